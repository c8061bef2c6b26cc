"""The SIP accounts this desktop knows, persisted without secrets (Qt-free).

Passwords never touch this file: they go to the secret store (keyring) under ``sip-password:<id>``.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from softphone.config import AccountConfig

if TYPE_CHECKING:
    from softphone.secrets import Secrets




@dataclass(frozen=True, slots=True)
class HotlineChoice:
    number: str
    label: str
    carrier: str = ""
    default: bool = False


@dataclass(frozen=True, slots=True)
class AccountRecord:
    account_id: str
    display_name: str
    sip_username: str
    sip_domain: str
    registrar: str | None = None
    proxy: str | None = None
    transport: str = "udp"
    srtp: str = "off"
    register_expires: int = 300
    extension: str | None = None
    enabled: bool = True
    source: str = "manual"  # "manual" | "provisioned"
    device_id: int | None = None
    revision: int = 0
    company_name: str = ""
    hotlines: tuple[HotlineChoice, ...] = ()
    adaptive_number: bool = False
    echo_test: str = "*43"
    outbound_allowed: bool = True
    # Transports the server offers for a provisioned account, with their ports (the user may pick one).
    offered_transports: dict[str, int] = field(default_factory=dict)
    # Settings the agent chooses per account (Settings › Accounts › Edit).
    codecs: tuple[str, ...] = ()  # offered in this order, others off; () = the app's default order
    dtmf_method: str = "rfc4733"  # rfc4733 | info
    ringtone: str = ""  # a WAV file; "" = the built-in ringtone
    ring_volume: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> AccountRecord:
        return replace(self, **changes)

    def to_account_config(self, password: str) -> AccountConfig:
        transport = self.transport if self.transport in ("udp", "tcp", "tls") else "udp"
        srtp = self.srtp if self.srtp in ("off", "optional", "mandatory") else "off"
        return AccountConfig(
            account_id=self.account_id,
            display_name=self.display_name,
            sip_username=self.sip_username,
            sip_password=password,
            sip_domain=self.sip_domain,
            registrar=self.registrar or None,
            proxy=self.proxy or None,
            transport=transport,  # type: ignore[arg-type]
            srtp=srtp,  # type: ignore[arg-type]
            register=True,
            register_expires=self.register_expires,
            extension=self.extension,
            codecs=tuple(self.codecs),
            ringtone=self.ringtone,
            ring_volume=self.ring_volume,
        )

    def with_transport(self, transport: str) -> AccountRecord:
        """This account on ``transport``; a provisioned one moves its registrar and proxy to the port the
        server offers for it."""
        port = self.offered_transports.get(transport)
        if port is None:
            return replace(self, transport=transport)

        def moved(hostport: str | None) -> str | None:
            if not hostport:
                return hostport
            host = hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport
            return f"{host}:{port}"

        return replace(self, transport=transport, registrar=moved(self.registrar), proxy=moved(self.proxy))


def password_key(account_id: str) -> str:
    return f"sip-password:{account_id}"


class AccountBook:
    """Ordered accounts in ``accounts.json``; the first enabled one places calls by default."""

    def __init__(self, path: Path, secrets: Secrets) -> None:
        self.path = path
        self.secrets = secrets

    def load(self) -> list[AccountRecord]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        known = {f.name for f in fields(AccountRecord)}
        out = []
        for item in raw:
            data = {k: v for k, v in item.items() if k in known}
            data["hotlines"] = tuple(HotlineChoice(**h) for h in data.get("hotlines", ()))
            data["codecs"] = tuple(data.get("codecs", ()))
            out.append(AccountRecord(**data))
        return out

    def save(self, records: list[AccountRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps([asdict(r) for r in records], ensure_ascii=False, indent=1), encoding="utf-8"
        )
        os.replace(tmp, self.path)

    def password(self, account_id: str) -> str:
        return self.secrets.get(password_key(account_id)) or ""

    def set_password(self, account_id: str, password: str) -> None:
        self.secrets.set(password_key(account_id), password)

    def forget(self, account_id: str) -> None:
        with contextlib.suppress(Exception):  # already gone
            self.secrets.delete(password_key(account_id))

    def wipe(self, records: list[AccountRecord]) -> None:
        for r in records:
            self.forget(r.account_id)
        self.path.unlink(missing_ok=True)
