"""A small SIP load client for the durability tests: many agents on one UDP socket registering, sending
MESSAGEs and placing calls through the PBX with digest auth, each acknowledgement timestamped (when the
2xx arrived), and a callee that answers every INVITE.  Built on the server's own message classes."""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from server.sip.auth import client_authorization
from server.sip.message import SipRequest, SipResponse, make_response, new_branch, new_tag
from server.sip.parser import parse_message
from server.sip.uri import parse_uri


@dataclass
class Acked:
    what: str  # "register" | "message" | "call"
    user: str
    key: str  # contact / message text / Call-ID
    cseq: int
    at: float  # time.time() when the 2xx arrived


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, on_message: Callable[[bytes], None]) -> None:
        self.on_message = on_message
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.on_message(data)


@dataclass
class _Pending:
    request: SipRequest
    password: str
    future: asyncio.Future[SipResponse]
    sent_at: float = field(default_factory=time.monotonic)


class LoadClient:
    """`await LoadClient.open(pbx_port, domain)`; each request is retransmitted every 0.5 s until answered."""

    def __init__(self, pbx: tuple[str, int], domain: str) -> None:
        self.pbx = pbx
        self.domain = domain
        self.port = 0
        self.acked: list[Acked] = []
        self.failed: list[tuple[str, str, int]] = []
        self._pending: dict[str, _Pending] = {}  # by branch
        self._proto: _Protocol | None = None
        self._retrans: asyncio.Task[None] | None = None
        self.answer_invites = True
        self.invites_answered = 0
        self.retransmissions = 0

    @classmethod
    async def open(cls, pbx_port: int, domain: str) -> LoadClient:
        self = cls(("127.0.0.1", pbx_port), domain)
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)  # a storm's answers arrive at once
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
        sock.bind(("127.0.0.1", 0))
        transport, proto = await loop.create_datagram_endpoint(lambda: _Protocol(self._received), sock=sock)
        self._proto = proto
        self.port = transport.get_extra_info("sockname")[1]
        self._retrans = asyncio.ensure_future(self._retransmit())
        return self

    def close(self) -> None:
        if self._retrans is not None:
            self._retrans.cancel()
        if self._proto is not None and self._proto.transport is not None:
            self._proto.transport.close()

    # ------------------------------------------------------------------ wire
    def _send(self, message: SipRequest | SipResponse) -> None:
        assert self._proto is not None and self._proto.transport is not None
        self._proto.transport.sendto(message.to_bytes(), self.pbx)

    async def _retransmit(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            for p in list(self._pending.values()):
                if now - p.sent_at >= 0.5:
                    p.sent_at = now
                    self.retransmissions += 1
                    self._send(p.request)

    def _received(self, data: bytes) -> None:
        try:
            msg = parse_message(data)
        except Exception:
            return
        if isinstance(msg, SipResponse):
            pending = self._pending.get(msg.via.branch or "")
            if pending is not None and msg.status >= 200 and not pending.future.done():
                del self._pending[msg.via.branch or ""]
                pending.future.set_result(msg)
            return
        if msg.method == "INVITE" and self.answer_invites:
            ok = make_response(msg, 200, to_tag=new_tag())
            ok.headers.add("Contact", f"<sip:callee@127.0.0.1:{self.port}>")
            self._send(ok)
            self.invites_answered += 1
        elif msg.method in ("BYE", "NOTIFY", "MESSAGE", "OPTIONS"):
            self._send(make_response(msg, 200, to_tag=msg.to_tag or new_tag()))

    # ------------------------------------------------------------------ requests
    def _request(
        self,
        method: str,
        uri: str,
        user: str,
        *,
        to: str,
        call_id: str,
        cseq: int,
        tag: str,
        contact: str,
        extra: list[tuple[str, str]] = (),  # type: ignore[assignment]
        body: bytes = b"",
    ) -> SipRequest:
        r = SipRequest(method, parse_uri(uri))
        h = r.headers
        h.add("Via", f"SIP/2.0/UDP 127.0.0.1:{self.port};branch={new_branch()};rport")
        h.add("Max-Forwards", "70")
        h.add("From", f"<sip:{user}@{self.domain}>;tag={tag}")
        h.add("To", to)
        h.add("Call-ID", call_id)
        h.add("CSeq", f"{cseq} {method}")
        h.add("Contact", f"<{contact}>")
        h.add("User-Agent", "durability-test")
        for name, value in extra:
            h.add(name, value)
        if body:
            h.add("Content-Type", "text/plain")
            r.body = body
        return r

    async def _transact(self, request: SipRequest, password: str, timeout: float = 20.0) -> SipResponse:
        future: asyncio.Future[SipResponse] = asyncio.get_running_loop().create_future()
        self._pending[request.via.branch or ""] = _Pending(request, password, future)
        self._send(request)
        return await asyncio.wait_for(future, timeout)

    async def _with_auth(
        self, request: SipRequest, user: str, password: str
    ) -> tuple[SipResponse, SipRequest]:
        resp = await self._transact(request, password)
        if resp.status not in (401, 407):
            return resp, request
        if request.method == "INVITE":
            ack = request.copy()
            ack.method = "ACK"
            ack.headers.set("CSeq", f"{request.cseq[0]} ACK")
            ack.headers.set("To", resp.headers.get("To") or "")
            self._send(ack)
        name = "WWW-Authenticate" if resp.status == 401 else "Proxy-Authenticate"
        again = request.copy()
        again.headers.set("Via", f"SIP/2.0/UDP 127.0.0.1:{self.port};branch={new_branch()};rport")
        again.headers.set("CSeq", f"{request.cseq[0] + 1} {request.method}")
        again.headers.add(
            "Authorization" if resp.status == 401 else "Proxy-Authorization",
            client_authorization(
                resp.headers.get_all(name)[0],
                method=request.method,
                uri=str(request.uri),
                username=user,
                password=password,
                cnonce=secrets.token_hex(4),
            ),
        )
        return await self._transact(again, password), again

    async def register(
        self, user: str, password: str, *, call_id: str, cseq: int, expires: int = 600
    ) -> SipResponse:
        contact = f"sip:{user}@127.0.0.1:{self.port}"
        req = self._request(
            "REGISTER",
            f"sip:{self.domain}",
            user,
            to=f"<sip:{user}@{self.domain}>",
            call_id=call_id,
            cseq=cseq,
            tag=new_tag(),
            contact=contact,
            extra=[("Expires", str(expires))],
        )
        resp, sent = await self._with_auth(req, user, password)
        if resp.status == 200:
            self.acked.append(Acked("register", user, contact, sent.cseq[0], time.time()))
        else:
            self.failed.append(("register", user, resp.status))
        return resp

    async def message(self, user: str, password: str, to_ext: str, text: str) -> SipResponse:
        req = self._request(
            "MESSAGE",
            f"sip:{to_ext}@{self.domain}",
            user,
            to=f"<sip:{to_ext}@{self.domain}>",
            call_id=secrets.token_hex(8),
            cseq=1,
            tag=new_tag(),
            contact=f"sip:{user}@127.0.0.1:{self.port}",
            body=text.encode(),
        )
        resp, _ = await self._with_auth(req, user, password)
        if resp.status in (200, 202):
            self.acked.append(Acked("message", user, text, 1, time.time()))
        else:
            self.failed.append(("message", user, resp.status))
        return resp

    async def call(self, user: str, password: str, to_ext: str) -> SipResponse:
        """INVITE (answered by whoever registered `to_ext`) and ACK; the call stays up."""
        call_id = secrets.token_hex(10)
        req = self._request(
            "INVITE",
            f"sip:{to_ext}@{self.domain}",
            user,
            to=f"<sip:{to_ext}@{self.domain}>",
            call_id=call_id,
            cseq=1,
            tag=new_tag(),
            contact=f"sip:{user}@127.0.0.1:{self.port}",
        )
        resp, sent = await self._with_auth(req, user, password)
        if resp.status == 200:
            ack = sent.copy()
            ack.method = "ACK"
            ack.uri = resp.contacts[0].uri if resp.contacts else sent.uri
            ack.headers.set("Via", f"SIP/2.0/UDP 127.0.0.1:{self.port};branch={new_branch()};rport")
            ack.headers.set("CSeq", f"{sent.cseq[0]} ACK")
            ack.headers.set("To", resp.headers.get("To") or "")
            ack.headers.remove("Proxy-Authorization")
            for rr in reversed(resp.headers.get_all("Record-Route")):
                ack.headers.add("Route", rr)
            self._send(ack)
            self.acked.append(Acked("call", user, call_id, sent.cseq[0], time.time()))
        else:
            self.failed.append(("call", user, resp.status))
        return resp
