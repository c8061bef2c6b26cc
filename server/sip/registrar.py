"""The registrar: REGISTER with digest authentication, many contacts per user, expiry, persistence.

Bindings live in memory (the proxy reads them on every call) and every change goes to the journal
(committed to the database in batches), so `load()` after a restart brings them back.  Lookup is by user id:
one agent may register several devices, each with its own SIP username.

A REGISTER's To user must be the authenticated username; the realm is the To domain.  Contacts
carry their own `expires` param or fall back to the Expires header, then to `default_expires`;
values under `min_expires` get 423, values over `max_expires` are shortened.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.utils import formatdate

from server.sip.address import Address, parse_address
from server.sip.auth import DigestAuthenticator, authenticate
from server.sip.directory import Binding, Directory, SipCredential
from server.sip.errors import SipParseError
from server.sip.flood import FloodGuard
from server.sip.journal import BindingRemoved, BindingSaved, Journal
from server.sip.message import SipRequest, SipResponse, make_response, new_tag
from server.sip.uri import parse_uri

log = logging.getLogger("server.sip.registrar")


@dataclass(frozen=True, slots=True)
class RegisterResult:
    response: SipResponse
    credential: SipCredential | None = None  # set when the REGISTER was authenticated and applied
    added: tuple[Binding, ...] = ()  # new contacts (a refresh of a known one is not)
    removed: tuple[Binding, ...] = ()


class Registrar:
    def __init__(
        self,
        directory: Directory,
        journal: Journal,
        auth: DigestAuthenticator,
        flood: FloodGuard,
        *,
        min_expires: int = 60,
        max_expires: int = 3600,
        default_expires: int = 3600,
    ) -> None:
        self._directory = directory
        self.journal = journal
        self._auth = auth
        self._flood = flood
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default_expires
        self._by_user: dict[int, dict[tuple[str, str], Binding]] = {}
        self._by_contact: dict[str, Binding] = {}

    def load(self, bindings: tuple[Binding, ...], now: float) -> int:
        """Bring back persisted bindings (after a restart); expired ones are deleted."""
        count = 0
        for b in bindings:
            if b.expires_at <= now:
                self.journal.append(BindingRemoved(b.aor, b.contact))
                continue
            self._by_user.setdefault(b.user_id, {})[(b.aor, b.contact)] = b
            self._by_contact[b.contact] = b
            count += 1
        return count

    def bindings_of(self, user_id: int, now: float) -> tuple[Binding, ...]:
        """Live bindings of a user, newest first."""
        found = self._by_user.get(user_id)
        if not found:
            return ()
        live = [b for b in found.values() if b.expires_at > now]
        live.sort(key=lambda b: -b.expires_at)
        return tuple(live)

    def is_registered(self, user_id: int, now: float) -> bool:
        return bool(self.bindings_of(user_id, now))

    def all_bindings(self) -> list[Binding]:
        return [b for m in self._by_user.values() for b in m.values()]

    def expire(self, now: float) -> list[Binding]:
        """Remove bindings whose time is up; returns them (presence may change)."""
        gone: list[Binding] = []
        for uid, m in list(self._by_user.items()):
            for key, b in list(m.items()):
                if b.expires_at <= now:
                    del m[key]
                    gone.append(b)
            if not m:
                del self._by_user[uid]
        for b in gone:
            self._forget_contact(b)
            self.journal.append(BindingRemoved(b.aor, b.contact))
        return gone

    def binding_for_contact(self, contact: str) -> Binding | None:
        """The binding that registered this Contact URI (to reach a device on its own flow)."""
        return self._by_contact.get(contact)

    def _forget_contact(self, b: Binding) -> None:
        if self._by_contact.get(b.contact) is b:
            del self._by_contact[b.contact]

    def next_expiry(self) -> float | None:
        times = [b.expires_at for m in self._by_user.values() for b in m.values()]
        return min(times) if times else None

    def handle(self, request: SipRequest, source: Address, now: float) -> RegisterResult:
        try:
            to = request.to
            contacts = request.contacts
            wildcard = request.wildcard_contact
        except SipParseError as e:
            return RegisterResult(make_response(request, 400, e.reason))
        realm = to.uri.host.lower()
        got = authenticate(
            request,
            directory=self._directory,
            auth=self._auth,
            flood=self._flood,
            realm=realm,
            source=source,
            now=now,
            proxy=False,
        )
        if isinstance(got, SipResponse):
            return RegisterResult(got)
        cred = got
        if (to.uri.user or "") != cred.username:
            return RegisterResult(
                make_response(request, 403, "To user does not match credentials", new_tag())
            )
        aor = to.uri.aor()
        header_expires = request.expires
        call_id = request.call_id
        cseq = request.cseq[0]
        table = self._by_user.setdefault(cred.user_id, {})
        added: list[Binding] = []
        removed: list[Binding] = []

        if wildcard:
            if header_expires != 0:
                return RegisterResult(make_response(request, 400, "Wildcard Contact needs Expires: 0"))
            for key, b in list(table.items()):
                if b.aor == aor:
                    removed.append(table.pop(key))
        else:
            for c in contacts:
                raw = c.params.get("expires")
                if raw is not None and raw.isdigit():
                    expires = int(raw)
                elif header_expires is not None:
                    expires = header_expires
                else:
                    expires = self.default_expires
                contact = str(c.uri)
                key = (aor, contact)
                if expires == 0:
                    if key in table:
                        removed.append(table.pop(key))
                    continue
                if expires < self.min_expires:
                    resp = make_response(request, 423, to_tag=new_tag())
                    resp.headers.add("Min-Expires", str(self.min_expires))
                    return RegisterResult(resp)
                expires = min(expires, self.max_expires)
                instance = c.params.get("+sip.instance")
                if instance is not None:
                    for k, old in list(table.items()):
                        if old.aor == aor and old.instance_id == instance and k != key:
                            removed.append(table.pop(k))
                b = Binding(
                    aor=aor,
                    contact=contact,
                    expires_at=now + expires,
                    user_id=cred.user_id,
                    username=cred.username,
                    device_kind=cred.device_kind,
                    call_id=call_id,
                    cseq=cseq,
                    source=str(source),
                    instance_id=instance,
                    user_agent=request.headers.get("User-Agent", "") or "",
                )
                previous = table.get(key)
                if previous is not None and previous.call_id == call_id and previous.cseq > cseq:
                    continue  # out-of-order retransmission of an older REGISTER
                table[key] = b
                self._by_contact[contact] = b
                self.journal.append(BindingSaved(b))
                if previous is None:
                    added.append(b)
        for b in removed:
            self._forget_contact(b)
            self.journal.append(BindingRemoved(b.aor, b.contact))
        if removed or added:
            log.info(
                "register %s (user %d) from %s: +%d -%d contacts",
                aor,
                cred.user_id,
                source,
                len(added),
                len(removed),
            )
        resp = make_response(request, 200, to_tag=new_tag())
        for b in table.values():
            if b.aor == aor and b.expires_at > now:
                resp.headers.add("Contact", f"<{b.contact}>;expires={max(0, int(b.expires_at - now))}")
        resp.headers.add("Date", http_date(now))
        return RegisterResult(resp, cred, tuple(added), tuple(removed))


def http_date(now: float) -> str:
    # Formatting is slow next to a cached lookup, and a REGISTER burst shares a handful of seconds.
    second = int(now)
    found = _DATES.get(second)
    if found is None:
        if len(_DATES) >= 8:
            _DATES.clear()
        found = _DATES[second] = formatdate(second, usegmt=True)
    return found


_DATES: dict[int, str] = {}


def binding_address(b: Binding) -> Address | None:
    """Where to send requests for a binding.

    Over TCP/TLS, and over UDP when the Contact names another host than the REGISTER came from (the
    client is behind NAT), that is the flow the REGISTER came from; otherwise the Contact itself.
    """
    try:
        flow = parse_address(b.source)
    except ValueError:
        return None
    if flow.transport != "udp":
        return flow
    try:
        contact = parse_uri(b.contact)
    except SipParseError:
        return flow
    if contact.host.strip("[]") == flow.host and contact.transport == "udp":
        return Address("udp", flow.host, contact.port or 5060)
    return flow
