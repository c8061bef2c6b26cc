"""Sans-IO tests of the PBX core: fake UAs exchange messages with `Proxy` in memory, on a fake clock."""

from __future__ import annotations

import pytest
from pbx_fakes import PBX, FakeClock, FakeUA, Net, in_dialog

from server.sip.address import Address
from server.sip.auth import DigestAuthenticator
from server.sip.directory import DeviceKind, Disposition, Hotline, Trunk
from server.sip.memory_directory import InMemoryDirectory
from server.sip.message import SipRequest, SipResponse, make_response
from server.sip.proxy import Proxy

pytestmark = pytest.mark.unit

TRUNK = Address("udp", "127.0.0.2", 5090)
MEDIA = Address("udp", "127.0.0.1", 7000)
VIETTEL = Hotline("02873000001", "viettel", Trunk("127.0.0.2", 5090), inbound_extension="101")
MOBI = Hotline("02873000002", "mobifone", Trunk("127.0.0.2", 5090))


class World:
    def __init__(self, *, media_engine: bool = True) -> None:
        self.clock = FakeClock()
        self.dir = d = InMemoryDirectory()
        d.add_user(1, "101", default_hotline=VIETTEL.number)
        d.add_device(1, "101", "demo101")
        d.add_user(2, "102")
        d.add_device(2, "102", "demo102")
        d.add_device(2, "102phone", "phone102", device_kind=DeviceKind.IP_PHONE)
        d.add_user(3, "103")
        d.add_device(3, "103", "demo103")
        d.add_hotline("demo.local", VIETTEL)
        d.add_hotline("demo.local", MOBI)
        # the media engine's feature-call UAS (empty: rtpengine missing or --no-media)
        features = {"*43": MEDIA} if media_engine else {}
        self.proxy = Proxy(d, local={"udp": PBX}, feature_addresses=features)
        self.net = Net(self.proxy, self.clock)
        self.a = FakeUA(self.net, "101", "demo101", 5101)
        self.b = FakeUA(self.net, "102", "demo102", 5102)
        self.b_phone = FakeUA(self.net, "102phone", "phone102", 5112)
        self.c = FakeUA(self.net, "103", "demo103", 5103)
        self.trunk = TRUNK

    async def start(self) -> None:
        self.proxy.start(self.clock.now, self.dir.state())
        for ua in (self.a, self.b, self.b_phone, self.c):
            r = await ua.register()
            assert r is not None and r.status == 200

    async def call(
        self, ua: FakeUA, target: str, headers: list[tuple[str, str]] | None = None
    ) -> SipResponse | None:
        inv = ua.build(
            "INVITE",
            f"sip:{target}@demo.local",
            headers=headers,
            body=b"v=0\r\n",
            content_type="application/sdp",
        )
        return await ua.send_auth(inv)

    def trunk_inbox(self) -> list[SipRequest | SipResponse]:
        return self.net.inbox(self.trunk)


@pytest.fixture
async def w() -> World:
    world = World()
    await world.start()
    return world


def only(ua_or_box: FakeUA | list, method: str) -> SipRequest:  # type: ignore[type-arg]
    box = ua_or_box.inbox if isinstance(ua_or_box, FakeUA) else ua_or_box
    reqs = [m for m in box if isinstance(m, SipRequest) and m.method == method]
    assert len(reqs) == 1, [getattr(m, "method", getattr(m, "status", "?")) for m in box]
    box.remove(reqs[0])
    return reqs[0]


def first(box: list, method: str) -> SipRequest:  # type: ignore[type-arg]
    reqs = [m for m in box if isinstance(m, SipRequest) and m.method == method]
    assert reqs, [getattr(m, "method", getattr(m, "status", "?")) for m in box]
    for m in reqs:
        box.remove(m)
    return reqs[0]


def statuses(ua: FakeUA, method: str) -> list[int]:
    return [r.status for r in ua.responses(method)]


async def reply(ua: FakeUA, req: SipRequest, status: int) -> None:
    await ua.net.deliver(make_response(req, status), ua.addr)


async def test_invite_gets_407_with_both_algorithms(w: World) -> None:
    inv = w.a.build("INVITE", "sip:102@demo.local", headers=[("User-Agent", "Softphone/0.1")])
    await w.a.send(inv)
    (r,) = w.a.responses("INVITE")
    assert r.status == 407
    values = r.headers.get_all("Proxy-Authenticate")
    assert "algorithm=SHA-256" in values[0] and "algorithm=MD5" in values[1]
    assert not w.b.inbox


async def answered_call(w: World) -> tuple[SipRequest, SipRequest, SipResponse]:
    """101 calls 102 (two devices); the app answers, the phone is cancelled. -> (invite, at_callee, 200)."""
    await w.call(w.a, "102")
    invite = w.a.last_sent("INVITE")
    at_app, at_phone = only(w.b, "INVITE"), only(w.b_phone, "INVITE")
    assert at_app.record_routes and "lr" in at_app.record_routes[0].uri.params
    assert at_app.uri.port == 5102 and at_phone.uri.port == 5112
    assert at_app.headers.get("Proxy-Authorization") is None
    await w.b.answer(at_app, 180)
    await w.b_phone.answer(at_phone, 180)
    assert statuses(w.a, "INVITE") == [180, 180]
    await w.b.answer(at_app, 200)
    (ok,) = w.a.responses("INVITE")
    assert ok.status == 200
    cancel = only(w.b_phone, "CANCEL")
    assert "elsewhere" in (cancel.headers.get("Reason") or "")
    await reply(w.b_phone, cancel, 200)
    await w.b_phone.answer(at_phone, 487)
    assert not w.a.responses("INVITE")
    return invite, at_app, ok


async def test_fork_answer_cancel_others_ack_bye_and_cdr(w: World) -> None:
    invite, at_app, ok = await answered_call(w)
    assert w.dir.calls[ok.call_id].disposition is Disposition.ANSWERED
    await w.a.ack_2xx(invite, ok)
    only(w.b, "ACK")
    await w.b.send(in_dialog(w.b, "BYE", ok, at_app, uac=False))
    bye = only(w.a, "BYE")
    await reply(w.a, bye, 200)
    assert statuses(w.b, "BYE") == [200]
    rec = w.dir.calls[ok.call_id]
    assert (
        rec.disposition is Disposition.COMPLETED and rec.end is not None and rec.hangup_cause == "callee BYE"
    )
    assert [c.disposition for c in w.dir.call_history][:3] == [
        Disposition.TRYING,
        Disposition.RINGING,
        Disposition.ANSWERED,
    ]
    assert rec.caller == "101" and rec.callee == "102" and rec.direction == "internal"


async def test_retransmitted_invite_is_absorbed(w: World) -> None:
    await w.call(w.a, "103")
    invite = w.a.last_sent("INVITE")
    only(w.c, "INVITE")
    await w.a.send(invite)
    assert not w.c.inbox


async def test_dnd_486_with_reason(w: World) -> None:
    w.dir.set_user(2, dnd=True)
    r = await w.call(w.a, "102")
    assert r is not None and r.status == 486
    assert r.headers.get("Reason") == 'SIP;cause=486;text="Do Not Disturb"'
    assert not w.b.inbox and not w.b_phone.inbox
    assert w.dir.call_history[-1].disposition is Disposition.DND


async def test_busy_everywhere(w: World) -> None:
    await w.call(w.c, "102")
    await w.b.answer(only(w.b, "INVITE"), 486)
    assert not w.c.responses("INVITE")  # the other device is still ringing
    await w.b_phone.answer(only(w.b_phone, "INVITE"), 603)
    assert statuses(w.c, "INVITE") == [603]
    assert w.dir.call_history[-1].disposition is Disposition.REJECTED


async def test_caller_cancel_reaches_all_branches(w: World) -> None:
    await w.call(w.a, "102")
    invite = w.a.last_sent("INVITE")
    at_app, at_phone = only(w.b, "INVITE"), only(w.b_phone, "INVITE")
    await w.b.answer(at_app, 180)
    w.a.responses("INVITE")
    cancel = SipRequest("CANCEL", invite.uri, invite.headers.copy())
    cancel.headers.set("CSeq", f"{invite.cseq[0]} CANCEL")
    cancel.headers.remove("Content-Type")
    cancel.headers.remove("Proxy-Authorization")
    await w.a.send(cancel)
    assert statuses(w.a, "CANCEL") == [200]
    c1 = only(w.b, "CANCEL")
    await reply(w.b, c1, 200)
    await w.b.answer(at_app, 487)
    # the phone never sent a provisional: CANCEL waits for one (RFC 3261 9.1)
    assert not [m for m in w.b_phone.inbox if isinstance(m, SipRequest) and m.method == "CANCEL"]
    await w.b_phone.answer(at_phone, 180)
    c2 = only(w.b_phone, "CANCEL")
    await reply(w.b_phone, c2, 200)
    await w.b_phone.answer(at_phone, 487)
    assert statuses(w.a, "INVITE") == [487]
    assert w.dir.call_history[-1].disposition is Disposition.CANCELLED


async def test_ring_method_app_only(w: World) -> None:
    from server.sip.directory import RingMethod

    w.dir.set_user(2, ring_method=RingMethod.APP)
    await w.call(w.a, "102")
    only(w.b, "INVITE")
    assert not w.b_phone.inbox


async def test_ring_method_mobile_goes_out_through_default_hotline(w: World) -> None:
    from server.sip.directory import RingMethod

    w.dir.set_user(2, ring_method=RingMethod.MOBILE, mobile_number="0901234567", default_hotline=MOBI.number)
    await w.call(w.a, "102")
    out = only(w.trunk_inbox(), "INVITE")
    assert out.uri.user == "84901234567" and out.from_.uri.user == MOBI.number


async def test_outbound_adaptive_hotline_header_removed(w: World) -> None:
    await w.call(w.a, "0961 234 567".replace(" ", ""), headers=[("X-Hotline", "adaptive")])
    out = only(w.trunk_inbox(), "INVITE")
    assert out.uri.user == "84961234567" and out.uri.host == "127.0.0.2"
    assert out.from_.uri.user == VIETTEL.number
    assert out.headers.get("X-Hotline") is None
    await w.net.deliver(make_response(out, 183), TRUNK)
    (r,) = w.a.responses("INVITE")
    assert r.status == 183 and r.from_.uri.user == "101"  # caller sees its own From back
    assert w.dir.call_history[-1].hotline == VIETTEL.number


async def test_outbound_explicit_and_foreign_hotline(w: World) -> None:
    await w.call(w.a, "0961234567", headers=[("X-Hotline", MOBI.number)])
    assert only(w.trunk_inbox(), "INVITE").from_.uri.user == MOBI.number
    r = await w.call(w.a, "0961234567", headers=[("X-Hotline", "0999999999")])
    assert r is not None and r.status == 403


async def test_no_outbound_permission_403_reason(w: World) -> None:
    w.dir.set_user(1, allow_outbound=False)
    r = await w.call(w.a, "0961234567")
    assert r is not None and r.status == 403
    assert "Outbound calls not permitted" in (r.headers.get("Reason") or "")
    assert not w.trunk_inbox()


async def test_quota_cut_off_sends_bye_both_ways(w: World) -> None:
    w.dir.set_user(1, monthly_minutes=2, minutes_used=1.5)
    await w.call(w.a, "0961234567")
    out = only(w.trunk_inbox(), "INVITE")
    ok = make_response(out, 200, to_tag="trunk1")
    ok.headers.add("Contact", "<sip:84961234567@127.0.0.2:5090>")
    await w.net.deliver(ok, TRUNK)
    assert statuses(w.a, "INVITE") == [200]
    await w.net.advance(29)
    assert not w.a.inbox
    await w.net.advance(2)
    bye_a = first(w.a.inbox, "BYE")  # UDP: retransmitted until answered
    bye_t = first(w.trunk_inbox(), "BYE")
    assert "minutes" in (bye_a.headers.get("Reason") or "")
    assert bye_t.uri.host == "127.0.0.2"
    assert w.dir.outbound_seconds[1] == pytest.approx(30, abs=1)
    assert w.dir.call_history[-1].disposition is Disposition.QUOTA_EXCEEDED
    w.dir.outbound_seconds[1] = 0
    w.dir.set_user(1, minutes_used=2)
    r = await w.call(w.a, "0961234567")
    assert r is not None and r.status == 403


async def test_inbound_hotline_to_its_extension(w: World) -> None:
    inv = SipRequest("INVITE", _uri(f"sip:{VIETTEL.number}@127.0.0.1:5060"))
    h = inv.headers
    h.add("Via", "SIP/2.0/UDP 127.0.0.2:5090;branch=z9hG4bKtrunk1")
    h.add("Max-Forwards", "70")
    h.add("From", "<sip:84961111111@127.0.0.2>;tag=t1")
    h.add("To", f"<sip:{VIETTEL.number}@127.0.0.1>")
    h.add("Call-ID", "inbound-1")
    h.add("CSeq", "1 INVITE")
    h.add("Contact", "<sip:84961111111@127.0.0.2:5090>")
    await w.net.deliver(inv, TRUNK)
    at_a = only(w.a, "INVITE")
    assert at_a.uri.port == 5101
    record = w.dir.call_history[-1]
    assert record.direction == "inbound"
    assert record.company_id == w.dir.user_routing(record.callee_user_id).company_id  # in the admins' list


async def test_stranger_gets_no_trunk(w: World) -> None:
    stranger = FakeUA(w.net, "999", "x", 5199)
    r = await w.call(stranger, "0961234567")
    assert r is not None and r.status == 407


async def test_feature_number_goes_to_the_media_engines_uas(w: World) -> None:
    await w.call(w.a, "*43")
    inv = only(w.net.inbox(MEDIA), "INVITE")
    assert inv.uri.user == "*43" and inv.uri.port == MEDIA.port


async def test_feature_number_the_engine_does_not_answer_is_404(w: World) -> None:
    r = await w.call(w.a, "*99")
    assert r is not None and r.status == 404 and r.reason == "No such feature"
    assert not w.net.inbox(MEDIA)


async def test_feature_number_without_a_media_engine_is_503_with_a_reason() -> None:
    w = World(media_engine=False)
    await w.start()
    r = await w.call(w.a, "*43")
    assert r is not None and r.status == 503
    assert r.headers.get("Reason") == 'SIP;cause=503;text="Media engine unavailable"'
    assert not w.net.inbox(MEDIA)


async def test_message_online_relayed_to_every_device(w: World) -> None:
    msg = w.a.build("MESSAGE", "sip:102@demo.local", body=b"hello", content_type="text/plain")
    await w.a.send_auth(msg)
    m1, m2 = only(w.b, "MESSAGE"), only(w.b_phone, "MESSAGE")
    assert m1.body == m2.body == b"hello"
    await reply(w.b, m1, 200)
    assert statuses(w.a, "MESSAGE") == [200]
    await reply(w.b_phone, m2, 200)
    assert not w.dir.messages


async def test_message_offline_stored_and_delivered_once_with_date(w: World) -> None:
    await w.c.register(expires=0)
    msg = w.a.build(
        "MESSAGE",
        "sip:103@demo.local",
        body=b"later",
        content_type="text/plain",
        headers=[("Date", "Sat, 21 Nov 2026 10:00:00 GMT")],
    )
    r = await w.a.send_auth(msg)
    assert r is not None and r.status == 202
    assert len(w.dir.messages) == 1 and not w.c.inbox
    w.clock.advance(60)
    await w.c.register()
    delivered = only(w.c, "MESSAGE")
    assert delivered.body == b"later" and delivered.headers.get("Date") == "Sat, 21 Nov 2026 10:00:00 GMT"
    assert delivered.from_.uri.user == "101"
    await reply(w.c, delivered, 200)
    assert w.dir.delivered == set(w.dir.messages)
    await w.c.register()
    assert not w.c.inbox


async def test_presence_subscribe_notify_on_changes(w: World) -> None:
    sub = w.a.build("SUBSCRIBE", "sip:103@demo.local", headers=[("Event", "presence"), ("Expires", "600")])
    r = await w.a.send_auth(sub)
    assert r is not None and r.status == 202
    n1 = only(w.a, "NOTIFY")
    assert b"<basic>open</basic>" in n1.body and n1.headers.get("Event") == "presence"
    await reply(w.a, n1, 200)
    await w.c.register(expires=0)
    n2 = only(w.a, "NOTIFY")
    assert b"<basic>closed</basic>" in n2.body
    await reply(w.a, n2, 200)
    await w.c.register()
    await reply(w.a, only(w.a, "NOTIFY"), 200)
    pub = w.c.build(
        "PUBLISH",
        "sip:103@demo.local",
        headers=[("Event", "presence"), ("Expires", "600")],
        content_type="application/pidf+xml",
        body=b'<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple id="a"><status><basic>open'
        b'</basic></status></tuple><dm:person xmlns:dm="x" xmlns:rpid="y"><rpid:activities>'
        b"<rpid:away/></rpid:activities></dm:person></presence>",
    )
    r = await w.c.send_auth(pub)
    assert r is not None and r.status == 200
    n3 = only(w.a, "NOTIFY")
    assert b"rpid:away" in n3.body


async def test_presence_on_the_phone(w: World) -> None:
    sub = w.c.build("SUBSCRIBE", "sip:102@demo.local", headers=[("Event", "presence")])
    await w.c.send_auth(sub)
    await reply(w.c, only(w.c, "NOTIFY"), 200)
    await answered_call(w)
    n = only(w.c, "NOTIFY")
    assert b"on-the-phone" in n.body


async def test_blind_transfer_refer_and_notify_routed_in_dialog(w: World) -> None:
    invite, at_app, ok = await answered_call(w)
    await w.a.ack_2xx(invite, ok)
    only(w.b, "ACK")
    refer = in_dialog(w.a, "REFER", ok, invite, uac=True, headers=[("Refer-To", "<sip:103@demo.local>")])
    await w.a.send(refer)
    at_b = only(w.b, "REFER")
    assert at_b.headers.get("Refer-To") == "<sip:103@demo.local>"
    await reply(w.b, at_b, 202)
    assert statuses(w.a, "REFER") == [202]
    notify = in_dialog(
        w.b, "NOTIFY", ok, at_app, uac=False, headers=[("Event", "refer"), ("Subscription-State", "active")]
    )
    await w.b.send(notify)
    await reply(w.a, only(w.a, "NOTIFY"), 200)
    assert statuses(w.b, "NOTIFY") == [200]
    # the transferee's new call to 103 is an ordinary authenticated INVITE
    await w.call(w.b, "103", headers=[("Referred-By", "<sip:101@demo.local>")])
    assert only(w.c, "INVITE").headers.get("Referred-By") == "<sip:101@demo.local>"


async def test_attended_transfer_invite_with_replaces(w: World) -> None:
    invite, _, ok = await answered_call(w)
    replaces = f"{ok.call_id};to-tag={ok.to_tag};from-tag={invite.from_tag}"
    await w.call(w.c, "102", headers=[("Replaces", replaces)])
    at_b = only(w.b, "INVITE")
    assert at_b.headers.get("Replaces") == replaces


def _uri(text: str):  # type: ignore[no-untyped-def]
    from server.sip.uri import parse_uri

    return parse_uri(text)


AUTH_TRUNK = Trunk("127.0.0.3", 5090, username="pbxuser", password="trunkpw", register=True)
AUTH_LINE = Hotline("02873000009", "", AUTH_TRUNK)
AUTH_TRUNK_ADDR = Address("udp", "127.0.0.3", 5090)


def verify_on_trunk(req: SipRequest, header: str) -> None:
    from server.sip.auth import AuthOutcome, ha1_for
    from server.sip.directory import SipCredential

    cred = SipCredential(
        0, 0, "carrier", "pbxuser", "trunkpw", ha1_for("MD5", "pbxuser", "carrier", "trunkpw"), None
    )
    result = TRUNK_AUTH.verify(
        req.headers.get_all(header), realm="carrier", method=req.method, credential=cred, now=w_clock_now[0]
    )
    assert result.outcome is AuthOutcome.OK, result


def challenge(req: SipRequest, status: int) -> SipResponse:
    resp = make_response(req, status, to_tag="trunkchal")
    name = "Proxy-Authenticate" if status == 407 else "WWW-Authenticate"
    resp.headers.add(name, TRUNK_AUTH.challenges("carrier", w_clock_now[0])[0])
    return resp


TRUNK_AUTH = DigestAuthenticator(algorithms=("MD5",))  # the simulated carrier's authenticator
w_clock_now = [0.0]


async def test_trunk_challenge_answered_with_credentials_and_cseq_kept_consistent(w: World) -> None:
    w.dir.add_hotline("demo.local", AUTH_LINE)
    w_clock_now[0] = w.clock.now
    await w.call(w.a, "0961234567", headers=[("X-Hotline", AUTH_LINE.number)])
    invite_from_a = w.a.last_sent("INVITE")
    box = w.net.inbox(AUTH_TRUNK_ADDR)
    first = only(box, "INVITE")
    await w.net.deliver(challenge(first, 407), AUTH_TRUNK_ADDR)
    assert only(box, "ACK").cseq == (first.cseq[0], "ACK")
    second = only(box, "INVITE")
    assert second.cseq[0] == first.cseq[0] + 1 and second.branch != first.branch
    verify_on_trunk(second, "Proxy-Authorization")
    assert not w.a.responses("INVITE")  # the caller never sees the trunk's challenge
    ok = make_response(second, 200, to_tag="trunk2")
    ok.headers.add("Contact", "<sip:84961234567@127.0.0.3:5090>")
    await w.net.deliver(ok, AUTH_TRUNK_ADDR)
    (ok_at_a,) = w.a.responses("INVITE")
    assert ok_at_a.status == 200 and ok_at_a.cseq == invite_from_a.cseq
    await w.a.ack_2xx(invite_from_a, ok_at_a)
    assert only(box, "ACK").cseq == (second.cseq[0], "ACK")
    bye = in_dialog(w.a, "BYE", ok_at_a, invite_from_a, uac=True, cseq=invite_from_a.cseq[0] + 1)
    await w.a.send(bye)
    bye_at_trunk = only(box, "BYE")
    assert bye_at_trunk.cseq[0] == bye.cseq[0] + 1
    await w.net.deliver(make_response(bye_at_trunk, 200), AUTH_TRUNK_ADDR)
    (r,) = w.a.responses("BYE")
    assert r.status == 200 and r.cseq == bye.cseq


async def test_pbx_registers_to_trunk_with_digest_and_refreshes(w: World) -> None:
    w.dir.add_hotline("demo.local", AUTH_LINE)
    w_clock_now[0] = w.clock.now
    await w.net.advance(6)
    box = w.net.inbox(AUTH_TRUNK_ADDR)
    reg = first(box, "REGISTER")  # (and its UDP retransmissions)
    assert reg.to.uri.user == "pbxuser" and reg.uri.host == "127.0.0.3"
    await w.net.deliver(challenge(reg, 401), AUTH_TRUNK_ADDR)
    reg2 = only(box, "REGISTER")
    verify_on_trunk(reg2, "Authorization")
    ok = make_response(reg2, 200, to_tag="r")
    ok.headers.add("Contact", f"{reg2.headers.get('Contact')};expires=100")
    await w.net.deliver(ok, AUTH_TRUNK_ADDR)
    await w.net.advance(60)
    assert not [m for m in box if isinstance(m, SipRequest)]
    await w.net.advance(30)
    refresh = first(box, "REGISTER")
    assert refresh.call_id == reg.call_id and refresh.cseq[0] > reg2.cseq[0]


async def test_no_open_relay_for_forged_in_dialog_requests(w: World) -> None:
    """A request with a To tag for a dialog we never set up is not relayed (toll-fraud guard)."""
    stranger = FakeUA(w.net, "999", "x", 5199)
    forged = stranger.build(
        "INVITE",
        "sip:84961234567@127.0.0.2:5090",
        to="<sip:84961234567@127.0.0.2>;tag=abc",
        headers=[("Route", "<sip:127.0.0.1:5060;lr>"), ("Route", "<sip:127.0.0.2:5090;lr>")],
    )
    await stranger.send(forged)
    assert statuses(stranger, "INVITE") == [481]
    assert not w.trunk_inbox()
    bye = stranger.build("BYE", "sip:102@127.0.0.1:5102", to="<sip:102@demo.local>;tag=zzz")
    await stranger.send(bye)
    assert statuses(stranger, "BYE") == [481]
    assert not w.b.inbox


async def test_dialog_event_for_busy_lamp_fields(w: World) -> None:
    sub = w.c.build("SUBSCRIBE", "sip:102@demo.local", headers=[("Event", "dialog"), ("Expires", "600")])
    r = await w.c.send_auth(sub)
    assert r is not None and r.status == 202

    async def next_state() -> bytes:
        n = next(m for m in w.c.inbox if isinstance(m, SipRequest) and m.method == "NOTIFY")
        w.c.inbox.remove(n)
        assert n.headers.get("Event") == "dialog"
        assert n.headers.get("Content-Type") == "application/dialog-info+xml"
        await reply(w.c, n, 200)
        return n.body

    idle = await next_state()
    assert b"<dialog-info" in idle and b"<dialog " not in idle
    invite, at_app, ok = await answered_call(w)
    assert b"<state>early</state>" in await next_state()
    assert b"<state>confirmed</state>" in await next_state()
    await w.a.ack_2xx(invite, ok)
    await w.b.send(in_dialog(w.b, "BYE", ok, at_app, uac=False))
    await reply(w.a, only(w.a, "BYE"), 200)
    assert b"<dialog " not in await next_state()


async def test_typing_indicator_to_offline_user_is_not_stored(w: World) -> None:
    await w.c.register(expires=0)
    msg = w.a.build(
        "MESSAGE", "sip:103@demo.local", body=b"<isComposing/>", content_type="application/im-iscomposing+xml"
    )
    r = await w.a.send_auth(msg)
    assert r is not None and r.status == 480
    assert not w.dir.messages


async def test_auto_answer_users_get_call_info_answer_after(w: World) -> None:
    w.dir.set_user(3, auto_answer=True)
    await w.call(w.a, "103")
    assert "answer-after=0" in (only(w.c, "INVITE").headers.get("Call-Info") or "")
    await w.call(w.a, "102")
    assert only(w.b, "INVITE").headers.get("Call-Info") is None


async def test_in_dialog_requests_toward_a_carrier_carry_the_hotline_it_saw(w: World) -> None:
    await w.call(w.a, "0961234567")
    invite_from_a = w.a.last_sent("INVITE")
    out = only(w.trunk_inbox(), "INVITE")
    assert out.from_.uri.user == VIETTEL.number
    ok = make_response(out, 200, to_tag="carrier1")
    ok.headers.add("Contact", "<sip:84961234567@127.0.0.2:5090>")
    await w.net.deliver(ok, TRUNK)
    (ok_at_a,) = w.a.responses("INVITE")
    assert ok_at_a.from_.uri.user == "101"
    await w.a.ack_2xx(invite_from_a, ok_at_a)
    ack = only(w.trunk_inbox(), "ACK")
    assert ack.from_.uri.user == VIETTEL.number and ack.from_tag == out.from_tag
    # a re-INVITE from the caller: the carrier sees the hotline; the caller its own From in the answer
    reinvite = in_dialog(w.a, "INVITE", ok_at_a, invite_from_a, uac=True)
    await w.a.send(reinvite)
    at_trunk = only(w.trunk_inbox(), "INVITE")
    assert at_trunk.from_.uri.user == VIETTEL.number and at_trunk.from_tag == out.from_tag
    await w.net.deliver(make_response(at_trunk, 200), TRUNK)
    (r,) = w.a.responses("INVITE")
    assert r.status == 200 and r.from_.uri.user == "101"
    # the carrier hangs up: its BYE names the hotline in To; the caller gets its own From back
    bye = SipRequest("BYE", invite_from_a.contacts[0].uri)
    for name, value in (
        ("Via", "SIP/2.0/UDP 127.0.0.2:5090;branch=z9hG4bKcarrierbye1"),
        ("Max-Forwards", "70"),
        ("From", ok.headers.get("To") or ""),
        ("To", out.headers.get("From") or ""),
        ("Call-ID", ok.call_id),
        ("CSeq", "5 BYE"),
    ):
        bye.headers.add(name, value)
    for rr in out.headers.get_all("Record-Route"):
        bye.headers.add("Route", rr)
    await w.net.deliver(bye, TRUNK)
    at_a = only(w.a, "BYE")
    assert at_a.to.uri.user == "101" and at_a.to_tag == invite_from_a.from_tag
    await w.net.deliver(make_response(at_a, 200), w.a.addr)
    bye_ok = [m for m in w.trunk_inbox() if isinstance(m, SipResponse) and m.cseq[1] == "BYE"]
    assert bye_ok and bye_ok[0].status == 200 and bye_ok[0].to.uri.user == VIETTEL.number


NAMED = Hotline("02873000005", "viettel", Trunk("carrier.test", 5060))
GW1, GW2 = Address("udp", "127.0.0.51", 5060), Address("udp", "127.0.0.52", 5060)


async def test_a_gateway_named_by_host_name_is_used_once_located_with_failover(w: World) -> None:
    w.dir.add_hotline("demo.local", NAMED)
    r = await w.call(w.a, "0961234567", headers=[("X-Hotline", NAMED.number)])
    assert r is not None and r.status == 503 and r.headers.get("Retry-After")  # not located yet
    assert ("carrier.test", 5060, "udp") in w.proxy.locator.take_wanted()
    w.proxy.locator.found(("carrier.test", 5060, "udp"), (GW1, GW2), w.clock.now + 60)
    await w.call(w.a, "0961234567", headers=[("X-Hotline", NAMED.number)])
    first_try = only(w.net.inbox(GW1), "INVITE")
    assert first_try.uri.host == "carrier.test" and first_try.uri.port is None  # the name stays in the R-URI
    await w.net.deliver(make_response(first_try, 503, to_tag="gw1"), GW1)
    second_try = only(w.net.inbox(GW2), "INVITE")
    assert second_try.branch != first_try.branch and second_try.cseq == first_try.cseq
    assert not w.a.responses("INVITE")  # the caller does not see the first gateway's failure
    ok = make_response(second_try, 200, to_tag="gw2")
    ok.headers.add("Contact", "<sip:84961234567@127.0.0.52:5060>")
    await w.net.deliver(ok, GW2)
    assert statuses(w.a, "INVITE") == [200]


async def test_when_every_gateway_fails_the_caller_gets_the_best_answer(w: World) -> None:
    w.dir.add_hotline("demo.local", NAMED)
    w.proxy.locator.found(("carrier.test", 5060, "udp"), (GW1, GW2), w.clock.now + 60)
    await w.call(w.a, "0961234567", headers=[("X-Hotline", NAMED.number)])
    await w.net.deliver(make_response(only(w.net.inbox(GW1), "INVITE"), 503, to_tag="g1"), GW1)
    await w.net.deliver(make_response(only(w.net.inbox(GW2), "INVITE"), 486, to_tag="g2"), GW2)
    assert statuses(w.a, "INVITE") == [486]
