"""Digest authentication for the registrar and proxy (RFC 3261 §22, RFC 7616 hashing, RFC 8760).

Theory of operation
-------------------
Nonces are stateless and self-verifying: ``base64(issued_at || random || HMAC(secret, issued_at ||
random || realm))``.  A nonce older than `nonce_ttl` is answered with a fresh challenge carrying
``stale=true`` (the client retries without asking the user).  Replays are refused by remembering
the highest nonce-count (nc) seen per nonce: a response must carry a strictly larger nc than the
last accepted one.  That table only holds nonces younger than the TTL, so it stays bounded.

Unknown users are challenged exactly like known ones, and a response for an unknown user is
checked against a throw-away HA1 so the answer (and its cost) does not reveal which usernames exist.
Only ``qop=auth`` is accepted: without qop there is no nc, hence no replay protection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import struct
from dataclasses import dataclass
from enum import StrEnum

from server.sip.address import Address
from server.sip.directory import Directory, SipCredential
from server.sip.entropy import random_bytes
from server.sip.flood import FloodGuard
from server.sip.message import SipRequest, SipResponse, make_response, new_tag

log = logging.getLogger("server.sip.auth")

ALGORITHMS: dict[str, str] = {"MD5": "md5", "SHA-256": "sha256"}
# User-Agent substrings of clients that pick the first *supported* challenge (RFC 8760): SHA-256 first.
STRONG_FIRST_AGENTS = ("softphone", "pjsip", "pjsua", "linphone")


class AuthOutcome(StrEnum):
    OK = "ok"
    MISSING = "missing"  # no credentials for our realm: challenge
    STALE = "stale"  # right password, expired nonce: challenge with stale=true
    INVALID = "invalid"  # wrong password, unknown user, bad nonce, replay: challenge (count a failure)
    MALFORMED = "malformed"  # unparseable header: 400


@dataclass(frozen=True, slots=True, init=False)
class DigestResponse:
    """The parameters of one `Authorization`/`Proxy-Authorization: Digest ...` header."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = None
    opaque: str | None = None

    # Written out so that mypyc compiles it (dataclass's generated one stays interpreted): one per
    # authenticated request.
    def __init__(
        self,
        username: str,
        realm: str,
        nonce: str,
        uri: str,
        response: str,
        algorithm: str = "MD5",
        qop: str | None = None,
        nc: str | None = None,
        cnonce: str | None = None,
        opaque: str | None = None,
    ) -> None:
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "realm", realm)
        object.__setattr__(self, "nonce", nonce)
        object.__setattr__(self, "uri", uri)
        object.__setattr__(self, "response", response)
        object.__setattr__(self, "algorithm", algorithm)
        object.__setattr__(self, "qop", qop)
        object.__setattr__(self, "nc", nc)
        object.__setattr__(self, "cnonce", cnonce)
        object.__setattr__(self, "opaque", opaque)


@dataclass(frozen=True, slots=True, init=False)
class AuthResult:
    outcome: AuthOutcome
    username: str | None = None
    reason: str = ""

    # Written out so that mypyc compiles it (dataclass's generated one stays interpreted): one per request.
    def __init__(
        self,
        outcome: AuthOutcome,
        username: str | None = None,
        reason: str = "",
    ) -> None:
        object.__setattr__(self, "outcome", outcome)
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "reason", reason)


_ESCAPE = re.compile(r"\\(.)")
# quoted-string unrolled ("[^"\\]*(?:\\.[^"\\]*)*"): three times faster than an alternation per character
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("[^"\\]*(?:\\.[^"\\]*)*"|[^\s,"]+)\s*(?:,|$)')


def parse_digest(value: str) -> DigestResponse | None:
    """Parse a Digest credentials header value; None if it is not Digest or lacks required fields."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if m is None:
            return None
        key, raw = m.group(1).lower(), m.group(2)
        if raw.startswith('"'):
            raw = raw[1:-1]
            if "\\" in raw:
                raw = _ESCAPE.sub(r"\1", raw)
        params[key] = raw
        pos = m.end()
    try:
        return DigestResponse(
            username=params["username"],
            realm=params["realm"],
            nonce=params["nonce"],
            uri=params["uri"],
            response=params["response"].lower(),
            algorithm=params.get("algorithm", "MD5"),
            qop=params.get("qop"),
            nc=params.get("nc"),
            cnonce=params.get("cnonce"),
            opaque=params.get("opaque"),
        )
    except KeyError:
        return None


def select_digest(header_values: list[str], realm: str) -> DigestResponse | AuthResult:
    """The Digest credentials for `realm` among a request's credentials headers, or the outcome
    (MISSING: none for our realm; MALFORMED: unparseable)."""
    for value in header_values:
        d = parse_digest(value)
        if d is None:
            if value.strip().lower().startswith("digest"):
                return AuthResult(AuthOutcome.MALFORMED, reason="malformed Digest credentials")
            continue
        if d.realm == realm:
            return d
    return AuthResult(AuthOutcome.MISSING)


_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


def _h(alg: str, data: str) -> str:
    return _HASHES[alg](data.encode()).hexdigest()


def ha1_for(alg: str, username: str, realm: str, password: str) -> str:
    return _h(alg, f"{username}:{realm}:{password}")


def expected_response(alg: str, ha1: str, method: str, d: DigestResponse) -> str:
    ha2 = _h(alg, f"{method}:{d.uri}")
    return _h(alg, f"{ha1}:{d.nonce}:{d.nc}:{d.cnonce}:{d.qop}:{ha2}")


class DigestAuthenticator:
    """Issues challenges and verifies responses.  Sans-IO: `now` is always passed in."""

    def __init__(
        self,
        *,
        secret: bytes | None = None,
        nonce_ttl: float = 300.0,
        algorithms: tuple[str, ...] = ("SHA-256", "MD5"),
        strong_first_agents: tuple[str, ...] = STRONG_FIRST_AGENTS,
    ) -> None:
        self._secret = secret or os.urandom(32)
        self._ttl = nonce_ttl
        self._algorithms = algorithms
        self._strong_first_agents = tuple(a.lower() for a in strong_first_agents)
        self._opaque = hashlib.sha256(self._secret + b"opaque").hexdigest()[:16]
        self._nc_seen: dict[str, tuple[float, int]] = {}  # nonce -> (issued_at, highest nc)
        self._last_prune = 0.0
        self._dummy_key = os.urandom(16).hex()
        self._order_by_agent: dict[str | None, tuple[str, ...]] = {}

    # --- challenges ------------------------------------------------------------------
    def new_nonce(self, now: float) -> str:
        body = struct.pack(">d", now) + random_bytes(8)
        return base64.urlsafe_b64encode(body + self._mac(body)).decode().rstrip("=")

    def challenge_order(self, user_agent: str | None) -> tuple[str, ...]:
        """Algorithms in the order to offer them to this client.

        RFC 8760 §2.4 wants the strongest first and clients to pick the first they support, but
        deployed clients do not: sipp 3.6 takes the first challenge and fails on SHA-256, baresip 1.0
        fails when any challenge is SHA-256, so do older desk phones.  So SHA-256 (first) and MD5 go
        to clients known to choose correctly (our app and other pjsip/linphone stacks); everyone else
        gets MD5 only.  The choice depends on the User-Agent, never on the user, so unknown users
        still get the same challenge as known ones.
        """
        found = self._order_by_agent.get(user_agent)
        if found is not None:
            return found
        ua = (user_agent or "").lower()
        if "MD5" in self._algorithms and not any(a in ua for a in self._strong_first_agents):
            found = ("MD5",)
        else:
            found = self._algorithms
        if len(self._order_by_agent) >= 256:
            self._order_by_agent.clear()  # bounded: User-Agent is chosen by the peer
        self._order_by_agent[user_agent] = found
        return found

    def challenges(
        self, realm: str, now: float, *, stale: bool = False, user_agent: str | None = None
    ) -> list[str]:
        """WWW-/Proxy-Authenticate values, in `challenge_order` for the client's User-Agent."""
        nonce = self.new_nonce(now)
        stale_param = ", stale=true" if stale else ""
        return [
            f'Digest realm="{realm}", nonce="{nonce}", opaque="{self._opaque}", '
            f'algorithm={alg}, qop="auth"{stale_param}'
            for alg in self.challenge_order(user_agent)
        ]

    # --- verification ----------------------------------------------------------------
    def verify(
        self,
        header_values: list[str],
        *,
        realm: str,
        method: str,
        credential: SipCredential | None,
        now: float,
    ) -> AuthResult:
        """Check the credentials headers of a request against `credential` (None: unknown user)."""
        found = select_digest(header_values, realm)
        if isinstance(found, AuthResult):
            return found
        return self.verify_digest(found, method=method, credential=credential, now=now, realm=realm)

    def verify_digest(
        self, d: DigestResponse, *, realm: str, method: str, credential: SipCredential | None, now: float
    ) -> AuthResult:
        """`verify` for credentials already picked by `select_digest`."""
        if d.algorithm not in self._algorithms:
            return AuthResult(AuthOutcome.INVALID, d.username, f"unsupported algorithm {d.algorithm}")
        if d.qop != "auth" or not d.nc or not d.cnonce:
            return AuthResult(AuthOutcome.INVALID, d.username, "qop=auth with nc and cnonce required")
        try:
            nc = int(d.nc, 16)
        except ValueError:
            return AuthResult(AuthOutcome.MALFORMED, d.username, "bad nc")
        issued = self._nonce_time(d.nonce)
        if issued is None:
            return AuthResult(AuthOutcome.INVALID, d.username, "nonce not ours")

        ha1 = self._ha1(d.algorithm, credential, d.username, realm)
        good = hmac.compare_digest(expected_response(d.algorithm, ha1, method, d), d.response)
        if credential is None or not credential.enabled or not good:
            return AuthResult(AuthOutcome.INVALID, d.username, "wrong credentials")
        if now - issued > self._ttl or issued - now > 5.0:
            return AuthResult(AuthOutcome.STALE, d.username, "nonce expired")

        self._prune(now)
        _, last_nc = self._nc_seen.get(d.nonce, (issued, 0))
        if nc <= last_nc:
            return AuthResult(AuthOutcome.INVALID, d.username, f"replayed nonce count {d.nc}")
        self._nc_seen[d.nonce] = (issued, nc)
        return AuthResult(AuthOutcome.OK, d.username)

    # --- internals -------------------------------------------------------------------
    def _mac(self, body: bytes) -> bytes:
        return hmac.digest(self._secret, body, "sha256")[:12]  # one-shot C path, same bytes

    def _nonce_time(self, nonce: str) -> float | None:
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except (ValueError, TypeError):
            return None
        if len(raw) != 28:
            return None
        body, mac = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        return float(struct.unpack(">d", body[:8])[0])

    def _ha1(self, alg: str, credential: SipCredential | None, username: str, realm: str) -> str:
        if credential is not None:
            stored = credential.ha1_sha256 if alg == "SHA-256" else credential.ha1_md5
            if stored:
                return stored.lower()
            if credential.password is not None:
                return ha1_for(alg, credential.username, realm, credential.password)
        return ha1_for(alg, username, realm, self._dummy_key)

    def _prune(self, now: float) -> None:
        if now - self._last_prune < self._ttl / 4:
            return
        self._last_prune = now
        horizon = now - self._ttl - 5.0
        self._nc_seen = {n: v for n, v in self._nc_seen.items() if v[0] >= horizon}


def client_authorization(
    challenge: str,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    nc: int = 1,
    cnonce: str = "0a4f113b",
) -> str:
    """Build a Digest credentials value answering `challenge` (used by tests and the trunk client)."""
    params = dict(
        (k.lower(), v.strip('"')) for k, v in re.findall(r'([A-Za-z0-9_-]+)=("[^"]*"|[^\s,]+)', challenge)
    )
    alg = params.get("algorithm", "MD5")
    realm, nonce = params["realm"], params["nonce"]
    ha1 = ha1_for(alg, username, realm, password)
    d = DigestResponse(
        username=username,
        realm=realm,
        nonce=nonce,
        uri=uri,
        response="",
        algorithm=alg,
        qop="auth",
        nc=f"{nc:08x}",
        cnonce=cnonce,
    )
    opaque = f', opaque="{params["opaque"]}"' if "opaque" in params else ""
    head = f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
    if "auth" not in params.get("qop", "").split(","):  # RFC 2069 style, still met on carrier gateways
        resp = _h(alg, f"{ha1}:{nonce}:{_h(alg, f'{method}:{uri}')}")
        return head + f'response="{resp}", algorithm={alg}{opaque}'
    resp = expected_response(alg, ha1, method, d)
    return head + f'response="{resp}", algorithm={alg}, qop=auth, nc={nc:08x}, cnonce="{cnonce}"{opaque}'


def challenge_response(
    request: SipRequest,
    auth: DigestAuthenticator,
    realm: str,
    now: float,
    *,
    proxy: bool,
    stale: bool = False,
) -> SipResponse:
    status = 407 if proxy else 401
    resp = make_response(request, status, to_tag=new_tag())
    name = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
    for value in auth.challenges(realm, now, stale=stale, user_agent=request.headers.get("User-Agent")):
        resp.headers.add(name, value)
    return resp


def authenticate(
    request: SipRequest,
    *,
    directory: Directory,
    auth: DigestAuthenticator,
    flood: FloodGuard,
    realm: str,
    source: Address,
    now: float,
    proxy: bool,
) -> SipCredential | SipResponse:
    """The credential of an authenticated request, or the response to send (challenge, 403, 400)."""
    header = "Proxy-Authorization" if proxy else "Authorization"
    found = select_digest(request.headers.get_all(header), realm)
    if isinstance(found, AuthResult):
        result = found
        credential = None
    else:
        if flood.locked_out(source.host, found.username, now):
            return make_response(request, 403, "Too many failed attempts", to_tag=new_tag())
        credential = directory.sip_credential(realm, found.username)
        result = auth.verify_digest(found, realm=realm, method=request.method, credential=credential, now=now)
    if result.outcome is AuthOutcome.OK and credential is not None:
        flood.auth_succeeded(source.host, credential.username)
        return credential
    if result.outcome is AuthOutcome.MALFORMED:
        return make_response(request, 400, "Malformed credentials", to_tag=new_tag())
    if result.outcome is AuthOutcome.INVALID and result.username is not None:
        log.info("auth: %s %r from %s refused: %s", request.method, result.username, source, result.reason)
        flood.auth_failed(source.host, result.username, now)
    return challenge_response(
        request, auth, realm, now, proxy=proxy, stale=result.outcome is AuthOutcome.STALE
    )
