"""A `Directory` held in dicts: for tests, benchmarks and the sans-IO examples."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from server.sip.carriers import normalize_number
from server.sip.directory import (
    Binding,
    CallRecord,
    DeviceKind,
    Hotline,
    QueuedMessage,
    RingMethod,
    SipCredential,
    UserRouting,
)


def ha1(algorithm_hash: str, username: str, realm: str, password: str) -> str:
    h = hashlib.new(algorithm_hash)
    h.update(f"{username}:{realm}:{password}".encode())
    return h.hexdigest()


@dataclass
class InMemoryDirectory:
    """Implements `server.sip.directory.Directory`.  Mutate it through the `add_*`/`set_*` helpers."""

    credentials: dict[tuple[str, str], SipCredential] = field(default_factory=dict)
    users: dict[int, UserRouting] = field(default_factory=dict)
    hotlines_by_domain: dict[str, list[Hotline]] = field(default_factory=dict)
    outbound_seconds: dict[int, float] = field(default_factory=dict)
    calls: dict[str, CallRecord] = field(default_factory=dict)
    call_history: list[CallRecord] = field(default_factory=list)
    messages: dict[str, QueuedMessage] = field(default_factory=dict)
    delivered: set[str] = field(default_factory=set)
    bindings: dict[tuple[str, str], Binding] = field(default_factory=dict)

    # --- set-up helpers (not part of the protocol) ---------------------------------
    def add_user(
        self,
        user_id: int,
        extension: str,
        *,
        domain: str = "demo.local",
        company_id: int = 1,
        display_name: str | None = None,
        **routing: object,
    ) -> UserRouting:
        u = UserRouting(
            user_id=user_id,
            company_id=company_id,
            domain=domain,
            extensions=(extension,),
            display_name=display_name or f"Agent {extension}",
            **routing,  # type: ignore[arg-type]
        )
        self.users[user_id] = u
        return u

    def add_device(
        self,
        user_id: int,
        username: str,
        password: str,
        *,
        device_kind: DeviceKind = DeviceKind.APP,
        enabled: bool = True,
        store_plaintext: bool = True,
    ) -> SipCredential:
        u = self.users[user_id]
        c = SipCredential(
            user_id=user_id,
            company_id=u.company_id,
            domain=u.domain,
            username=username,
            password=password if store_plaintext else None,
            ha1_md5=ha1("md5", username, u.domain, password),
            ha1_sha256=ha1("sha256", username, u.domain, password),
            device_kind=device_kind,
            enabled=enabled,
        )
        self.credentials[(u.domain, username)] = c
        return c

    def set_user(self, user_id: int, **changes: object) -> UserRouting:
        u = replace(self.users[user_id], **changes)  # type: ignore[arg-type]
        self.users[user_id] = u
        return u

    def add_hotline(self, domain: str, hotline: Hotline) -> None:
        self.hotlines_by_domain.setdefault(domain, []).append(hotline)

    # --- Directory protocol ----------------------------------------------------------
    async def sip_credential(self, domain: str, username: str) -> SipCredential | None:
        return self.credentials.get((domain, username))

    async def user_routing(self, user_id: int) -> UserRouting | None:
        u = self.users.get(user_id)
        if u is None:
            return None
        return replace(u, minutes_used=u.minutes_used + self.outbound_seconds.get(user_id, 0.0) / 60.0)

    async def user_by_extension(self, domain: str, extension: str) -> int | None:
        for u in self.users.values():
            if u.domain == domain and extension in u.extensions:
                return u.user_id
        return None

    async def hotlines(self, domain: str) -> list[Hotline]:
        return list(self.hotlines_by_domain.get(domain, []))

    async def hotline_by_number(self, number: str) -> tuple[str, Hotline] | None:
        wanted = normalize_number(number) or number
        for domain, lines in self.hotlines_by_domain.items():
            for h in lines:
                if (normalize_number(h.number) or h.number) == wanted:
                    return domain, h
        return None

    async def add_outbound_seconds(self, user_id: int, seconds: float) -> None:
        self.outbound_seconds[user_id] = self.outbound_seconds.get(user_id, 0.0) + seconds

    async def record_call(self, cdr: CallRecord) -> None:
        self.calls[cdr.call_id] = cdr
        self.call_history.append(cdr)

    async def call_record(self, call_id: str) -> CallRecord | None:
        return self.calls.get(call_id)

    async def pending_cutoffs(self) -> list[CallRecord]:
        return [
            r for r in self.calls.values() if r.cutoff is not None and r.answer is not None and r.end is None
        ]

    async def queue_message(self, msg: QueuedMessage) -> None:
        self.messages[msg.message_id] = msg

    async def pending_messages(self, domain: str, user_id: int) -> list[QueuedMessage]:
        return [
            m
            for m in self.messages.values()
            if m.domain == domain and m.user_id == user_id and m.message_id not in self.delivered
        ]

    async def mark_delivered(self, message_id: str) -> None:
        self.delivered.add(message_id)

    async def save_binding(self, b: Binding) -> None:
        self.bindings[(b.aor, b.contact)] = b

    async def delete_binding(self, aor: str, contact: str) -> None:
        self.bindings.pop((aor, contact), None)

    async def load_bindings(self) -> list[Binding]:
        return list(self.bindings.values())


__all__ = ["InMemoryDirectory", "RingMethod", "ha1"]
