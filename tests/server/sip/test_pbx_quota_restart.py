"""Sans-IO: the monthly-quota cut-off of a call answered before a PBX restart still happens, at its original
moment, with no in-dialog request needed (the dialog and cut-off are stored with the CDR on answer).

A restart is a new `Proxy` on the same `InMemoryDirectory` (all memory of the old one lost)."""

from __future__ import annotations

import pytest
from pbx_fakes import PBX, FakeClock, FakeUA, Net, in_dialog

from server.sip.address import Address
from server.sip.auth import DigestAuthenticator
from server.sip.directory import Disposition, Hotline, Trunk
from server.sip.memory_directory import InMemoryDirectory
from server.sip.message import SipRequest, SipResponse, make_response
from server.sip.proxy import Proxy, ProxySettings

pytestmark = pytest.mark.unit

KEY = b"the server's persisted secret"
TRUNK = Address("udp", "127.0.0.2", 5090)
HOTLINE = Hotline("02873000001", "viettel", Trunk("127.0.0.2", 5090))
AUTH_TRUNK = Address("udp", "127.0.0.3", 5090)
AUTH_HOTLINE = Hotline("02873000009", "", Trunk("127.0.0.3", 5090, username="pbxuser", password="trunkpw"))
LEFT = 30.0  # seconds of the monthly quota user 101 has left


class World:
    def __init__(self, local: dict[str, Address] | None = None) -> None:
        self.local = local or {"udp": PBX}
        self.clock = FakeClock()
        self.dir = d = InMemoryDirectory()
        d.add_user(1, "101", default_hotline=HOTLINE.number, monthly_minutes=10, minutes_used=10 - LEFT / 60)
        d.add_device(1, "101", "demo101")
        d.add_hotline("demo.local", HOTLINE)
        d.add_hotline("demo.local", AUTH_HOTLINE)
        self.net = Net(self.new_proxy(), self.clock)
        self.a = FakeUA(self.net, "101", "demo101", 5101)

    def new_proxy(self) -> Proxy:
        return Proxy(self.dir, local=self.local, settings=ProxySettings(route_key=KEY))

    async def start(self) -> None:
        self.net.proxy.start(self.clock.now, self.dir.state())
        r = await self.a.register()
        assert r is not None and r.status == 200

    async def restart(self, down_for: float) -> None:
        """The PBX process dies (all memory lost); a new one starts on the same database."""
        self.clock.advance(down_for)
        self.net.proxy = self.new_proxy()
        self.net.proxy.start(self.clock.now, self.dir.state())
        self.net.flush()

    def trunk_box(self, addr: Address = TRUNK) -> list[SipRequest | SipResponse]:
        return self.net.inbox(addr)

    async def outbound_call(self) -> tuple[SipRequest, SipResponse, SipRequest]:
        """101 calls out through the trunk, the carrier answers, 101 ACKs.
        -> (INVITE as 101 sent it, 200 at 101, INVITE at the trunk)."""
        inv = self.a.build(
            "INVITE", "sip:0961234567@demo.local", body=b"v=0\r\n", content_type="application/sdp"
        )
        await self.a.send_auth(inv)
        invite = self.a.last_sent("INVITE")
        at_trunk = take(self.trunk_box(), "INVITE")
        ok = make_response(at_trunk, 200, to_tag="carrier1")
        ok.headers.add("Contact", "<sip:84961234567@127.0.0.2:5090>")
        await self.net.deliver(ok, TRUNK)
        (ok_at_a,) = [r for r in self.a.responses("INVITE") if r.status == 200]
        await self.a.ack_2xx(invite, ok_at_a)
        take(self.trunk_box(), "ACK")
        return invite, ok_at_a, at_trunk


@pytest.fixture
async def w() -> World:
    world = World()
    await world.start()
    return world


def take(box: list[SipRequest | SipResponse], method: str) -> SipRequest:
    """The one request `method` in `box` (UDP retransmissions of it removed too)."""
    reqs = [m for m in box if isinstance(m, SipRequest) and m.method == method]
    assert reqs, [getattr(m, "method", getattr(m, "status", "?")) for m in box]
    assert len({r.branch for r in reqs}) == 1, reqs
    for r in reqs:
        box.remove(r)
    return reqs[0]


def requests(box: list[SipRequest | SipResponse]) -> list[str]:
    return [m.method for m in box if isinstance(m, SipRequest)]


async def answer_byes(w: World, bye_a: SipRequest, bye_t: SipRequest) -> None:
    await w.net.deliver(make_response(bye_a, 200), w.a.addr)
    await w.net.deliver(make_response(bye_t, 200), TRUNK)


async def test_cutoff_survives_a_restart_and_fires_at_the_original_moment(w: World) -> None:
    invite, ok, at_trunk = await w.outbound_call()
    answered = w.clock.now
    rec = w.dir.calls[ok.call_id]
    assert rec.answer == answered and rec.cutoff == pytest.approx(answered + LEFT)
    await w.restart(down_for=5)
    await w.restart(down_for=5)  # twice: the second process re-arms it as well
    await w.net.advance(answered + LEFT - 0.5 - w.clock.now)
    assert not requests(w.a.inbox) and not requests(w.trunk_box())
    await w.net.advance(1.0)

    bye_a, bye_t = take(w.a.inbox, "BYE"), take(w.trunk_box(), "BYE")
    for bye in (bye_a, bye_t):
        assert bye.call_id == ok.call_id
        assert "Monthly outbound minutes used up" in (bye.headers.get("Reason") or "")
    # to the caller: its own contact, as the carrier's side of its dialog
    assert (bye_a.uri.host, bye_a.uri.port) == ("127.0.0.1", 5101)
    assert bye_a.from_tag == "carrier1" and bye_a.to_tag == invite.from_tag
    assert bye_a.to.uri.user == "101"
    # to the carrier: its Contact, as the caller's side of its dialog
    assert bye_t.uri.host == "127.0.0.2" and bye_t.uri.user == "84961234567"
    assert bye_t.from_tag == at_trunk.from_tag and bye_t.to_tag == "carrier1"
    assert bye_t.cseq[0] > at_trunk.cseq[0]
    await answer_byes(w, bye_a, bye_t)

    rec = w.dir.calls[ok.call_id]
    assert rec.disposition is Disposition.QUOTA_EXCEEDED and rec.hangup_cause == "quota"
    assert rec.end == pytest.approx(answered + LEFT, abs=0.01)
    assert w.dir.outbound_seconds[1] == pytest.approx(LEFT, abs=0.01)
    assert [r for r in w.dir.state().running_calls if r.cutoff is not None] == []
    await w.net.advance(60)
    assert not requests(w.a.inbox) and not requests(w.trunk_box())  # answered: no retransmissions


async def test_cutoff_missed_while_down_fires_right_after_start_and_bills_only_the_quota(w: World) -> None:
    _, ok, _ = await w.outbound_call()
    answered = w.clock.now
    await w.restart(down_for=LEFT + 100)
    timer = w.net.proxy.next_timer()
    assert timer is not None and timer <= w.clock.now
    await w.net.advance(0)
    bye_a, bye_t = take(w.a.inbox, "BYE"), take(w.trunk_box(), "BYE")
    await answer_byes(w, bye_a, bye_t)
    rec = w.dir.calls[ok.call_id]
    assert rec.disposition is Disposition.QUOTA_EXCEEDED
    assert rec.end == pytest.approx(answered + LEFT)  # not the 100 s the server was down
    assert w.dir.outbound_seconds[1] == pytest.approx(LEFT)


async def test_hang_up_after_restart_before_the_cutoff_ends_the_call_normally(w: World) -> None:
    invite, ok, _ = await w.outbound_call()
    answered = w.clock.now
    await w.restart(down_for=5)
    w.clock.advance(5)
    await w.a.send(in_dialog(w.a, "BYE", ok, invite, uac=True))
    bye_t = take(w.trunk_box(), "BYE")
    await w.net.deliver(make_response(bye_t, 200), TRUNK)
    assert [r.status for r in w.a.responses("BYE")] == [200]
    rec = w.dir.calls[ok.call_id]
    assert rec.disposition is Disposition.COMPLETED and rec.hangup_cause == "caller BYE"
    assert w.dir.outbound_seconds[1] == pytest.approx(10)
    assert rec.end == pytest.approx(answered + 10)
    await w.net.advance(LEFT + 60)
    assert not requests(w.a.inbox) and not requests(w.trunk_box())  # the cut-off was dropped


async def test_stored_dialog_keeps_the_trunk_cseq_offset_across_a_restart(w: World) -> None:
    """No quota here: the dialog is restored lazily by the caller's BYE, from the stored dialog, so the
    CSeq offset of the INVITE re-sent with the carrier's credentials survives."""
    w.dir.set_user(1, monthly_minutes=None)
    carrier = DigestAuthenticator(algorithms=("MD5",))
    inv = w.a.build(
        "INVITE",
        "sip:0961234567@demo.local",
        headers=[("X-Hotline", AUTH_HOTLINE.number)],
        body=b"v=0\r\n",
        content_type="application/sdp",
    )
    await w.a.send_auth(inv)
    invite = w.a.last_sent("INVITE")
    box = w.trunk_box(AUTH_TRUNK)
    first = take(box, "INVITE")
    chal = make_response(first, 407, to_tag="chal")
    chal.headers.add("Proxy-Authenticate", carrier.challenges("carrier", w.clock.now)[0])
    await w.net.deliver(chal, AUTH_TRUNK)
    take(box, "ACK")
    second = take(box, "INVITE")
    assert second.cseq[0] == first.cseq[0] + 1
    ok_t = make_response(second, 200, to_tag="carrier2")
    ok_t.headers.add("Contact", "<sip:84961234567@127.0.0.3:5090>")
    await w.net.deliver(ok_t, AUTH_TRUNK)
    (ok,) = [r for r in w.a.responses("INVITE") if r.status == 200]
    assert w.dir.calls[ok.call_id].cutoff is None
    await w.restart(down_for=20)
    assert w.net.proxy.next_timer() != w.clock.now  # nothing to cut off
    bye = in_dialog(w.a, "BYE", ok, invite, uac=True, cseq=invite.cseq[0] + 1)
    await w.a.send(bye)
    at_trunk = take(box, "BYE")
    assert at_trunk.cseq[0] == bye.cseq[0] + 1
    await w.net.deliver(make_response(at_trunk, 200), AUTH_TRUNK)
    rec = w.dir.calls[ok.call_id]
    assert rec.disposition is Disposition.COMPLETED
    assert w.dir.outbound_seconds[1] == pytest.approx(20)


class TcpUA(FakeUA):
    """A softphone on TCP: its Contact names its listening port, requests come on a connection's port."""

    @property
    def contact(self) -> str:
        return "sip:101@127.0.0.1:5101;transport=tcp"


async def test_cutoff_bye_to_a_tcp_caller_follows_its_new_connection_after_the_restart() -> None:
    w = World(local={"udp": PBX, "tcp": Address("tcp", "127.0.0.1", 5060)})
    w.a = TcpUA(w.net, "101", "demo101", 40001)
    w.a.addr = Address("tcp", "127.0.0.1", 40001)
    await w.start()
    _, ok, _ = await w.outbound_call()
    await w.restart(down_for=5)
    w.a.addr = Address("tcp", "127.0.0.1", 40002)  # the old connection died with the server: a new one
    r = await w.a.register()
    assert r is not None and r.status == 200
    await w.net.advance(LEFT)
    bye = take(w.net.inbox(Address("tcp", "127.0.0.1", 40002)), "BYE")
    assert bye.call_id == ok.call_id
    assert not requests(w.net.inbox(Address("tcp", "127.0.0.1", 40001)))
    take(w.trunk_box(), "BYE")
    assert w.dir.calls[ok.call_id].disposition is Disposition.QUOTA_EXCEEDED
