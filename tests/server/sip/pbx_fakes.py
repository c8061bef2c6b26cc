"""Helpers for the PBX sans-IO tests: a fake clock and request builders (no sockets)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from server.sip.message import SipRequest, SipResponse
from server.sip.parser import parse_message


@dataclass
class FakeClock:
    now: float = 1_000_000.0

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def request(
    method: str,
    uri: str,
    *,
    from_: str,
    to: str,
    call_id: str | None = None,
    cseq: int = 1,
    via: str = "SIP/2.0/UDP 127.0.0.1:5099",
    branch: str | None = None,
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    body: bytes = b"",
    from_tag: str | None = "ft1",
) -> SipRequest:
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: {via};branch=z9hG4bK{branch or secrets.token_hex(6)};rport",
        "Max-Forwards: 70",
        f"From: <{from_}>" + (f";tag={from_tag}" if from_tag else ""),
        f"To: <{to}>",
        f"Call-ID: {call_id or secrets.token_hex(8)}",
        f"CSeq: {cseq} {method}",
    ]
    lines += [f"{n}: {v}" for n, v in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    msg = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    assert isinstance(msg, SipRequest)
    return msg


def header(resp: SipResponse, name: str) -> list[str]:
    return resp.headers.get_all(name)


# --------------------------------------------------------------------------- in-memory network + fake UAs
from server.sip.address import Address  # noqa: E402
from server.sip.auth import client_authorization  # noqa: E402
from server.sip.memory_directory import InMemoryDirectory  # noqa: E402
from server.sip.message import make_response, new_branch, new_tag  # noqa: E402
from server.sip.proxy import Proxy  # noqa: E402

PBX = Address("udp", "127.0.0.1", 5060)


class Net:
    """Carries the proxy's output to fake endpoints' inboxes, through bytes (as on the wire), and commits
    its journal into the `InMemoryDirectory` after every step (unless `auto_commit` is off)."""

    def __init__(self, proxy: Proxy, clock: FakeClock) -> None:
        self.proxy = proxy
        self.clock = clock
        self.inboxes: dict[Address, list[SipRequest | SipResponse]] = {}
        self.log: list[tuple[Address, SipRequest | SipResponse]] = []
        self.auto_commit = True

    def inbox(self, addr: Address) -> list[SipRequest | SipResponse]:
        return self.inboxes.setdefault(addr, [])

    async def deliver(self, msg: SipRequest | SipResponse, source: Address) -> None:
        self.proxy.receive(parse_message(msg.to_bytes()), source, self.clock.now)
        self.flush()

    def commit(self) -> None:
        """What the journal writer does: hand the pending writes to the store, tell the proxy."""
        seq, writes = self.proxy.journal.take()
        store = self.proxy.directory
        if isinstance(store, InMemoryDirectory):
            store.apply(writes)
        self.proxy.journal_committed(seq, self.clock.now)

    def flush(self) -> None:
        if self.auto_commit:
            self.commit()
        for s in self.proxy.take_outgoing():
            m = parse_message(s.message.to_bytes())
            self.inbox(s.dest).append(m)
            self.log.append((s.dest, m))

    async def advance(self, seconds: float, step: float = 0.25) -> None:
        end = self.clock.now + seconds
        while True:
            nxt = self.proxy.next_timer()
            if nxt is None or nxt > end:
                break
            self.clock.now = max(self.clock.now, nxt)
            self.proxy.on_timer(self.clock.now)
            self.flush()
        self.clock.now = end


class FakeUA:
    """A scripted SIP user agent speaking through `Net` (just enough of RFC 3261 for the tests)."""

    def __init__(self, net: Net, user: str, password: str, port: int, domain: str = "demo.local") -> None:
        self.net = net
        self.user = user
        self.password = password
        self.addr = Address("udp", "127.0.0.1", port)
        self.domain = domain
        self.cseq = 0
        self.sent: list[SipRequest] = []

    @property
    def contact(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.addr.port}"

    @property
    def inbox(self) -> list[SipRequest | SipResponse]:
        return self.net.inbox(self.addr)

    def take(self, kind: type, method: str | None = None, status: int | None = None):  # type: ignore[no-untyped-def]
        for i, m in enumerate(self.inbox):
            if not isinstance(m, kind):
                continue
            if method is not None and (m.cseq[1] if isinstance(m, SipResponse) else m.method) != method:
                continue
            if status is not None and isinstance(m, SipResponse) and m.status != status:
                continue
            return self.inbox.pop(i)
        return None

    def responses(self, method: str) -> list[SipResponse]:
        out = [m for m in self.inbox if isinstance(m, SipResponse) and m.cseq[1] == method]
        for m in [m for m in out if m.status == 100]:
            self.inbox.remove(m)
        out = [m for m in out if m.status != 100]
        for m in out:
            self.inbox.remove(m)
        return out

    def build(
        self,
        method: str,
        uri: str,
        *,
        to: str | None = None,
        call_id: str | None = None,
        from_tag: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> SipRequest:
        self.cseq += 1
        req = SipRequest(method, parse_message_uri(uri))
        h = req.headers
        h.add("Via", f"SIP/2.0/UDP 127.0.0.1:{self.addr.port};branch={new_branch()};rport")
        h.add("Max-Forwards", "70")
        h.add("From", f"<sip:{self.user}@{self.domain}>;tag={from_tag or new_tag()}")
        h.add("To", to or f"<{uri}>")
        h.add("Call-ID", call_id or secrets.token_hex(8))
        h.add("CSeq", f"{self.cseq} {method}")
        h.add("Contact", f"<{self.contact}>")
        for n, v in headers or []:
            h.add(n, v)
        if body:
            h.add("Content-Type", content_type or "text/plain")
            req.body = body
        return req

    async def send(self, req: SipRequest) -> None:
        self.sent.append(req)
        await self.net.deliver(req, self.addr)

    def last_sent(self, method: str) -> SipRequest:
        return next(r for r in reversed(self.sent) if r.method == method)

    async def send_auth(self, req: SipRequest) -> SipResponse | None:
        """Send; answer one 401/407 challenge; return the final (or last provisional) response."""
        await self.send(req)
        resp = self._final_for(req)
        if resp is not None and resp.status in (401, 407):
            if req.method == "INVITE":
                await self.send(_ack_for(req, resp))
            name = "WWW-Authenticate" if resp.status == 401 else "Proxy-Authenticate"
            challenge = resp.headers.get_all(name)[0]
            again = req.copy()
            self.cseq += 1
            again.headers.set("CSeq", f"{self.cseq} {req.method}")
            again.headers.set("Via", f"SIP/2.0/UDP 127.0.0.1:{self.addr.port};branch={new_branch()};rport")
            again.headers.add(
                "Authorization" if resp.status == 401 else "Proxy-Authorization",
                client_authorization(
                    challenge, method=req.method, uri=str(req.uri), username=self.user, password=self.password
                ),
            )
            await self.send(again)
            return self._final_for(again)
        return resp

    def _final_for(self, req: SipRequest) -> SipResponse | None:
        branch = req.via.branch
        found = None
        for m in list(self.inbox):
            if isinstance(m, SipResponse) and m.via.branch == branch and m.status >= 100:
                self.inbox.remove(m)
                if m.status != 100:
                    found = m if found is None or m.status >= found.status else found
        return found

    async def register(self, expires: int = 600) -> SipResponse | None:
        req = self.build(
            "REGISTER",
            f"sip:{self.domain}",
            to=f"<sip:{self.user}@{self.domain}>",
            headers=[("Expires", str(expires))],
        )
        return await self.send_auth(req)

    async def answer(
        self,
        invite: SipRequest,
        status: int = 200,
        reason: str | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> SipResponse:
        resp = make_response(invite, status, reason, to_tag=self.tag_for(invite))
        if status < 300:
            resp.headers.add("Contact", f"<{self.contact}>")
        for n, v in extra or []:
            resp.headers.add(n, v)
        await self.net.deliver(resp, self.addr)
        return resp

    _tags: dict[str, str] = {}

    def tag_for(self, req: SipRequest) -> str:
        return self._tags.setdefault(f"{self.user}:{req.call_id}", new_tag())

    async def ack_2xx(self, invite: SipRequest, ok: SipResponse) -> None:
        """ACK for a 2xx: to the remote target along the route set (reversed Record-Route)."""
        ack = in_dialog(self, "ACK", ok, invite, cseq=invite.cseq[0], uac=True)
        await self.send(ack)


def parse_message_uri(uri: str):  # type: ignore[no-untyped-def]
    from server.sip.uri import parse_uri

    return parse_uri(uri)


def _ack_for(invite: SipRequest, resp: SipResponse) -> SipRequest:
    ack = SipRequest("ACK", invite.uri)
    ack.headers.add("Via", invite.headers.get("Via") or "")
    ack.headers.add("Max-Forwards", "70")
    ack.headers.add("From", invite.headers.get("From") or "")
    ack.headers.add("To", resp.headers.get("To") or "")
    ack.headers.add("Call-ID", invite.call_id)
    ack.headers.add("CSeq", f"{invite.cseq[0]} ACK")
    return ack


def in_dialog(
    ua: FakeUA,
    method: str,
    ok: SipResponse,
    invite: SipRequest,
    *,
    cseq: int | None = None,
    uac: bool,
    headers: list[tuple[str, str]] | None = None,
) -> SipRequest:
    """A request inside the dialog established by `invite`/`ok`, from the caller (uac) or callee side."""
    if uac:
        target = ok.contacts[0].uri
        routes = list(reversed(ok.headers.get_all("Record-Route")))
        from_, to = invite.headers.get("From"), ok.headers.get("To")
    else:
        target = invite.contacts[0].uri
        routes = invite.headers.get_all("Record-Route")
        from_, to = ok.headers.get("To"), invite.headers.get("From")
    req = SipRequest(method, target)
    h = req.headers
    h.add("Via", f"SIP/2.0/UDP 127.0.0.1:{ua.addr.port};branch={new_branch()};rport")
    for r in routes:
        h.add("Route", r)
    h.add("Max-Forwards", "70")
    h.add("From", from_ or "")
    h.add("To", to or "")
    h.add("Call-ID", invite.call_id)
    if cseq is None:
        ua.cseq += 1
        cseq = ua.cseq + 100
    h.add("CSeq", f"{cseq} {method}")
    h.add("Contact", f"<{ua.contact}>")
    for n, v in headers or []:
        h.add(n, v)
    return req
