"""Passwords (argon2), SIP HA1 digests, one-time secrets and our small HMAC-signed tokens.

Token format: `base64url(json payload) "." base64url(HMAC-SHA256(key, payload part))`.  The payload carries
`typ` (what the token is for) and `exp` (POSIX seconds); verification checks both, in constant time.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import string
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    """argon2id login-password hashing; tests inject `Passwords.fast()` (same code path, cheap parameters).

    The methods are coroutines that hash on a worker thread: one hash at the default cost takes ~110 ms of
    CPU (argon2-cffi releases the GIL), and on the event loop it would stall every HTTP request and every SIP
    transaction of the server for that long.  A small pool of its own bounds how many run at once (64 MiB
    each), so a burst of logins queues there instead of filling the loop's default executor."""

    def __init__(self, hasher: PasswordHasher | None = None, concurrency: int = 2) -> None:
        self._hasher = hasher or PasswordHasher()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        # Verified against when the login is unknown, so timing does not reveal which logins exist.
        self._dummy = self._hasher.hash("not-a-real-password")

    @classmethod
    def fast(cls) -> Passwords:
        return cls(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._verify, password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def burn(self, password: str) -> None:
        """Spend the time of one verification (unknown login)."""
        await self.verify(self._dummy, password)


def ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """HA1 = H(username:realm:password) for `algorithm` "md5" or "sha256" (RFC 2617 / RFC 7616)."""
    return hashlib.new(algorithm, f"{username}:{realm}:{password}".encode()).hexdigest()


def digest(secret: str) -> str:
    """How one-time secrets (refresh tokens, OTP codes, provisioning tokens) are stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_otp_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def new_sip_password(length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class BadToken(Exception):
    """The token is malformed, forged, of the wrong type or expired."""


@dataclass(frozen=True, slots=True)
class TokenSigner:
    key: bytes

    def sign(self, typ: str, exp: float, **claims: Any) -> str:
        payload = _b64(json.dumps({"typ": typ, "exp": int(exp), **claims}, separators=(",", ":")).encode())
        mac = hmac.new(self.key, payload.encode(), hashlib.sha256).digest()
        return f"{payload}.{_b64(mac)}"

    def verify(self, token: str, typ: str, now: float) -> dict[str, Any]:
        try:
            payload, mac = token.split(".")
            expected = hmac.new(self.key, payload.encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(mac)):
                raise BadToken("bad signature")
            claims = json.loads(_unb64(payload))
        except BadToken:
            raise
        except (ValueError, UnicodeError) as exc:
            raise BadToken("malformed token") from exc
        if not isinstance(claims, dict) or claims.get("typ") != typ:
            raise BadToken("wrong token type")
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= now:
            raise BadToken("token expired")
        return claims
