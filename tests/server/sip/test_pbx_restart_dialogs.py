"""Sans-IO: calls set up before a PBX restart stay controllable afterwards, through the MAC our Record-Route
carries (server/sip/dialog.py route_token), and forged route sets are still refused (no open relay)."""

from __future__ import annotations

import pytest
from pbx_fakes import PBX, FakeClock, FakeUA, Net, in_dialog

from server.sip.address import Address
from server.sip.directory import Disposition, Hotline, Trunk
from server.sip.memory_directory import InMemoryDirectory
from server.sip.message import SipRequest, SipResponse, make_response
from server.sip.proxy import Proxy, ProxySettings

pytestmark = pytest.mark.unit

KEY = b"the server's persisted secret"
TRUNK = Address("udp", "127.0.0.2", 5090)
HOTLINE = Hotline("02873000001", "viettel", Trunk("127.0.0.2", 5090))


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.dir = d = InMemoryDirectory()
        d.add_user(1, "101", default_hotline=HOTLINE.number)
        d.add_device(1, "101", "demo101")
        d.add_user(2, "102")
        d.add_device(2, "102", "demo102")
        d.add_hotline("demo.local", HOTLINE)
        self.net = Net(self.new_proxy(KEY), self.clock)
        self.a = FakeUA(self.net, "101", "demo101", 5101)
        self.b = FakeUA(self.net, "102", "demo102", 5102)

    def new_proxy(self, key: bytes | None) -> Proxy:
        return Proxy(self.dir, local={"udp": PBX}, settings=ProxySettings(route_key=key))

    async def start(self) -> None:
        self.net.proxy.start(self.clock.now, self.dir.state())
        for ua in (self.a, self.b):
            r = await ua.register()
            assert r is not None and r.status == 200

    async def restart(self, key: bytes | None = KEY) -> None:
        """The PBX process dies (all memory lost) and a new one starts on the same database."""
        self.clock.advance(30)
        self.net.proxy = self.new_proxy(key)
        self.net.proxy.start(self.clock.now, self.dir.state())

    async def call(self) -> tuple[SipRequest, SipRequest, SipResponse]:
        """101 calls 102, 102 answers, 101 ACKs. -> (INVITE as sent, INVITE at 102, 200 at 101)."""
        inv = self.a.build("INVITE", "sip:102@demo.local", body=b"v=0\r\n", content_type="application/sdp")
        await self.a.send_auth(inv)
        invite = self.a.last_sent("INVITE")
        at_b = take_request(self.b, "INVITE")
        await self.b.answer(at_b, 200)
        (ok,) = [r for r in self.a.responses("INVITE") if r.status == 200]
        await self.a.ack_2xx(invite, ok)
        take_request(self.b, "ACK")
        return invite, at_b, ok


@pytest.fixture
async def w() -> World:
    world = World()
    await world.start()
    return world


def take_request(ua: FakeUA, method: str) -> SipRequest:
    reqs = [m for m in ua.inbox if isinstance(m, SipRequest) and m.method == method]
    assert len(reqs) == 1, [getattr(m, "method", getattr(m, "status", "?")) for m in ua.inbox]
    ua.inbox.remove(reqs[0])
    return reqs[0]


def statuses(ua: FakeUA, method: str) -> list[int]:
    return [r.status for r in ua.responses(method)]


async def reply(ua: FakeUA, req: SipRequest, status: int) -> None:
    await ua.net.deliver(make_response(req, status), ua.addr)


def no_requests(ua: FakeUA) -> bool:
    return not [m for m in ua.inbox if isinstance(m, SipRequest)]


async def test_record_route_carries_a_proof_bound_to_the_call(w: World) -> None:
    _, at_b, ok = await w.call()
    (rr,) = at_b.record_routes
    assert rr.uri.params.get("dlg") and "lr" in rr.uri.params
    assert [str(r) for r in ok.record_routes] == [str(rr)]


@pytest.mark.parametrize("side", ["caller", "callee"])
async def test_bye_after_restart_reaches_the_other_side_and_closes_the_cdr(w: World, side: str) -> None:
    invite, at_b, ok = await w.call()
    answered_at = w.dir.calls[ok.call_id].answer
    assert answered_at is not None
    await w.restart()
    w.clock.advance(60)
    if side == "caller":
        bye = in_dialog(w.a, "BYE", ok, invite, uac=True)
        await w.a.send(bye)
        got = take_request(w.b, "BYE")
        assert got.uri.port == 5102 and not got.routes
        await reply(w.b, got, 200)
        assert statuses(w.a, "BYE") == [200]
    else:
        bye = in_dialog(w.b, "BYE", ok, at_b, uac=False)
        await w.b.send(bye)
        got = take_request(w.a, "BYE")
        assert got.uri.port == 5101 and not got.routes
        await reply(w.a, got, 200)
        assert statuses(w.b, "BYE") == [200]
    rec = w.dir.calls[ok.call_id]
    assert rec.end == w.clock.now and rec.answer == answered_at
    assert rec.disposition is Disposition.COMPLETED
    assert rec.hangup_cause == f"{side} BYE"
    assert rec.caller == "101" and rec.callee == "102"


async def test_reinvite_ack_then_bye_after_restart(w: World) -> None:
    invite, at_b, ok = await w.call()
    await w.restart()
    reinvite = in_dialog(w.a, "INVITE", ok, invite, uac=True)
    await w.a.send(reinvite)
    at_b2 = take_request(w.b, "INVITE")
    assert at_b2.call_id == ok.call_id and at_b2.to_tag == ok.to_tag
    await w.b.answer(at_b2, 200)
    (ok2,) = [r for r in w.a.responses("INVITE") if r.status == 200]
    await w.a.send(in_dialog(w.a, "ACK", ok, invite, uac=True, cseq=reinvite.cseq[0]))
    take_request(w.b, "ACK")
    assert ok2.call_id == ok.call_id
    # the restored dialog is known now: the callee's BYE passes too and ends it
    await w.b.send(in_dialog(w.b, "BYE", ok, at_b, uac=False))
    await reply(w.a, take_request(w.a, "BYE"), 200)
    assert statuses(w.b, "BYE") == [200]
    assert w.dir.calls[ok.call_id].hangup_cause == "callee BYE"
    # ended here: the same proof cannot bring the dialog back
    await w.a.send(in_dialog(w.a, "BYE", ok, invite, uac=True))
    assert statuses(w.a, "BYE") == [481]
    assert no_requests(w.b)


async def test_forged_or_copied_route_proofs_are_refused(w: World) -> None:
    invite, _, ok = await w.call()
    await w.restart()
    good = in_dialog(w.a, "BYE", ok, invite, uac=True)
    (route,) = good.headers.get_all("Route")
    token = route.split("dlg=")[1].split(";")[0].split(">")[0]
    issued, mac = token.split("-")
    flipped = mac[:-1] + ("a" if mac[-1] != "a" else "b")

    tampered = in_dialog(w.a, "BYE", ok, invite, uac=True)
    tampered.headers.set("Route", route.replace(token, f"{issued}-{flipped}"))
    await w.a.send(tampered)
    assert statuses(w.a, "BYE") == [481]

    backdated = in_dialog(w.a, "BYE", ok, invite, uac=True)
    backdated.headers.set("Route", route.replace(token, f"{int(issued, 16) - 1:x}-{mac}"))
    await w.a.send(backdated)
    assert statuses(w.a, "BYE") == [481]

    other_call = in_dialog(w.a, "BYE", ok, invite, uac=True)
    other_call.headers.set("Call-ID", "someone-elses-call")
    await w.a.send(other_call)
    assert statuses(w.a, "BYE") == [481]

    other_tags = in_dialog(w.a, "BYE", ok, invite, uac=True)
    other_tags.headers.set("From", "<sip:101@demo.local>;tag=notthecaller")
    await w.a.send(other_tags)
    assert statuses(w.a, "BYE") == [481]
    assert no_requests(w.b)

    # our proof copied onto a new "dialog" aimed at the carrier trunk: no toll fraud
    stranger = FakeUA(w.net, "999", "x", 5199)
    forged = stranger.build(
        "INVITE",
        "sip:84961234567@127.0.0.2:5090",
        to="<sip:84961234567@127.0.0.2>;tag=abc",
        call_id="fresh-call-id",
        headers=[("Route", route)],
    )
    await stranger.send(forged)
    assert statuses(stranger, "INVITE") == [481]
    assert not w.net.inbox(TRUNK)

    # the untouched request still works
    await w.a.send(good)
    await reply(w.b, take_request(w.b, "BYE"), 200)
    assert statuses(w.a, "BYE") == [200]


async def test_another_key_does_not_accept_the_proof(w: World) -> None:
    invite, _, ok = await w.call()
    await w.restart(key=b"some other server")
    await w.a.send(in_dialog(w.a, "BYE", ok, invite, uac=True))
    assert statuses(w.a, "BYE") == [481]
    assert no_requests(w.b)


async def test_proof_expires_with_the_maximum_dialog_age(w: World) -> None:
    invite, _, ok = await w.call()
    await w.restart()
    w.clock.advance(ProxySettings().max_dialog_age + 3600)
    await w.a.send(in_dialog(w.a, "BYE", ok, invite, uac=True))
    assert statuses(w.a, "BYE") == [481]
    assert no_requests(w.b)


async def test_outbound_trunk_call_hung_up_after_restart_is_billed(w: World) -> None:
    inv = w.a.build("INVITE", "sip:0961234567@demo.local", body=b"v=0\r\n", content_type="application/sdp")
    await w.a.send_auth(inv)
    invite = w.a.last_sent("INVITE")
    box = w.net.inbox(TRUNK)
    (at_trunk,) = [m for m in box if isinstance(m, SipRequest) and m.method == "INVITE"]
    box.remove(at_trunk)
    ok_trunk = make_response(at_trunk, 200, to_tag="carrier1")
    ok_trunk.headers.add("Contact", "<sip:gw@127.0.0.2:5090>")
    await w.net.deliver(ok_trunk, TRUNK)
    (ok,) = [r for r in w.a.responses("INVITE") if r.status == 200]
    await w.restart()
    w.clock.advance(90)
    await w.a.send(in_dialog(w.a, "BYE", ok, invite, uac=True))
    (bye,) = [m for m in box if isinstance(m, SipRequest) and m.method == "BYE"]
    assert bye.uri.host == "127.0.0.2"
    rec = w.dir.calls[ok.call_id]
    assert rec.direction == "outbound" and rec.end is not None and rec.answer is not None
    assert w.dir.outbound_seconds.get(1) == pytest.approx(rec.end - rec.answer)
