"""Sans-IO tests of call forwarding (always, busy, no answer, unreachable) through `Proxy`, fake clock."""

from __future__ import annotations

import pytest
from test_pbx_proxy import MEDIA, MOBI, TRUNK, VIETTEL, World, _uri, first, only, reply, statuses

from server.sip.address import Address
from server.sip.directory import Disposition, ForwardCondition, ForwardRule, ForwardTargetKind
from server.sip.message import SipRequest, make_response
from server.sip.routing import CALL_CENTER, VOICEMAIL_HEADER

pytestmark = pytest.mark.unit

CC = Address("udp", "127.0.0.1", 7100)  # the call-center UAS (voicemail)
ALWAYS, BUSY, NO_ANSWER, UNREACHABLE = (
    ForwardCondition.ALWAYS,
    ForwardCondition.BUSY,
    ForwardCondition.NO_ANSWER,
    ForwardCondition.UNREACHABLE,
)
EXT, VM, OUT = ForwardTargetKind.EXTENSION, ForwardTargetKind.VOICEMAIL, ForwardTargetKind.EXTERNAL


@pytest.fixture
async def w() -> World:
    world = World()
    await world.start()
    world.proxy.router.feature_addresses[CALL_CENTER] = CC
    return world


def forward(w: World, user_id: int, *rules: ForwardRule) -> None:
    w.dir.set_user(user_id, forwarding=rules)


def last_record(w: World):  # type: ignore[no-untyped-def]
    return w.dir.call_history[-1]


def cancel_of(invite: SipRequest) -> SipRequest:
    cancel = SipRequest("CANCEL", invite.uri, invite.headers.copy())
    cancel.headers.set("CSeq", f"{invite.cseq[0]} CANCEL")
    cancel.headers.remove("Content-Type")
    cancel.headers.remove("Proxy-Authorization")
    return cancel


async def test_always_rings_the_target_extension_only(w: World) -> None:
    forward(w, 2, ForwardRule(ALWAYS, EXT, "103"))
    await w.call(w.a, "102")
    at_c = only(w.c, "INVITE")
    assert not w.b.inbox and not w.b_phone.inbox
    await w.c.answer(at_c, 200)
    assert statuses(w.a, "INVITE") == [200]
    rec = last_record(w)
    assert rec.callee == "102" and rec.callee_user_id == 2
    assert rec.path == "extension 102 > forward always > extension 103"
    assert rec.disposition is Disposition.ANSWERED


async def test_forwarding_is_one_hop(w: World) -> None:
    forward(w, 2, ForwardRule(ALWAYS, EXT, "103"))
    forward(w, 3, ForwardRule(ALWAYS, EXT, "102"))
    await w.call(w.a, "102")
    only(w.c, "INVITE")  # 103's own forwarding does not apply to a forwarded call
    assert not w.b.inbox and not w.b_phone.inbox


async def test_dnd_is_busy(w: World) -> None:
    w.dir.set_user(2, dnd=True, forwarding=(ForwardRule(BUSY, EXT, "103"),))
    await w.call(w.a, "102")
    only(w.c, "INVITE")


async def test_on_a_call_is_busy_only_with_a_busy_rule(w: World) -> None:
    await w.call(w.c, "102")  # 103 and 102 talk
    at_b = only(w.b, "INVITE")
    only(w.b_phone, "INVITE")
    await w.b.answer(at_b, 200)
    assert statuses(w.c, "INVITE") == [200]
    await w.call(w.a, "102")  # without a rule: call waiting, 102 rings
    only(w.b, "INVITE")
    forward(w, 2, ForwardRule(BUSY, VM))
    await w.call(w.a, "102")
    at_box = only(w.net.inbox(CC), "INVITE")
    assert at_box.uri.user == CALL_CENTER and at_box.headers.get(VOICEMAIL_HEADER) == "1:102:busy"
    assert last_record(w).path == "extension 102 > forward busy > voicemail 102"


async def test_every_device_busy_forwards(w: World) -> None:
    forward(w, 2, ForwardRule(BUSY, EXT, "103"))
    await w.call(w.a, "102")
    await w.b.answer(only(w.b, "INVITE"), 486)
    assert not w.c.inbox
    await w.b_phone.answer(only(w.b_phone, "INVITE"), 600)
    at_c = only(w.c, "INVITE")
    assert not w.a.responses("INVITE")  # the caller never heard the busy
    await w.c.answer(at_c, 200)
    assert statuses(w.a, "INVITE") == [200]
    assert last_record(w).path == "extension 102 > forward busy > extension 103"


async def test_a_decline_is_not_busy(w: World) -> None:
    forward(w, 2, ForwardRule(BUSY, EXT, "103"))
    await w.call(w.a, "102")
    await w.b.answer(only(w.b, "INVITE"), 603)
    await w.b_phone.answer(only(w.b_phone, "INVITE"), 603)
    assert statuses(w.a, "INVITE") == [603]
    assert not w.c.inbox


async def test_no_answer_after_n_seconds_cancels_and_forwards(w: World) -> None:
    forward(w, 2, ForwardRule(NO_ANSWER, EXT, "103", seconds=5))
    await w.call(w.a, "102")
    at_app, at_phone = only(w.b, "INVITE"), only(w.b_phone, "INVITE")
    await w.b.answer(at_app, 180)
    await w.b_phone.answer(at_phone, 180)
    assert statuses(w.a, "INVITE") == [180, 180]
    await w.net.advance(4.9)
    assert not w.b.inbox and not w.c.inbox
    await w.net.advance(0.2)
    for ua, inv in ((w.b, at_app), (w.b_phone, at_phone)):
        cancel = only(ua, "CANCEL")
        assert "No answer" in (cancel.headers.get("Reason") or "")
        await reply(ua, cancel, 200)
        await ua.answer(inv, 487)
    at_c = only(w.c, "INVITE")
    await w.c.answer(at_c, 180)
    assert statuses(w.a, "INVITE") == [180]
    await w.c.answer(at_c, 200)
    assert statuses(w.a, "INVITE") == [200]
    assert last_record(w).path == "extension 102 > forward no_answer > extension 103"


async def test_the_forward_target_rings_for_the_default_time(w: World) -> None:
    w.proxy.forking.ring_timeout = 30
    forward(w, 2, ForwardRule(NO_ANSWER, EXT, "103", seconds=5))
    await w.call(w.a, "102")
    invites = {ua: only(ua, "INVITE") for ua in (w.b, w.b_phone)}
    for ua, inv in invites.items():
        await ua.answer(inv, 180)
    await w.net.advance(5.1)
    for ua, inv in invites.items():
        await reply(ua, only(ua, "CANCEL"), 200)
        await ua.answer(inv, 487)
    at_c = only(w.c, "INVITE")
    await w.c.answer(at_c, 180)
    await w.net.advance(29)
    assert not [m for m in w.c.inbox if isinstance(m, SipRequest) and m.method == "CANCEL"]
    await w.net.advance(2)
    first(w.c.inbox, "CANCEL")  # (retransmitted over UDP)


async def test_caller_cancel_while_no_answer_is_not_forwarded(w: World) -> None:
    forward(w, 2, ForwardRule(NO_ANSWER, EXT, "103", seconds=5))
    await w.call(w.a, "102")
    invite = w.a.last_sent("INVITE")
    at_app, at_phone = only(w.b, "INVITE"), only(w.b_phone, "INVITE")
    await w.b.answer(at_app, 180)
    await w.b_phone.answer(at_phone, 180)
    await w.a.send(cancel_of(invite))
    for ua, inv in ((w.b, at_app), (w.b_phone, at_phone)):
        await reply(ua, only(ua, "CANCEL"), 200)
        await ua.answer(inv, 487)
    assert 487 in statuses(w.a, "INVITE")
    assert not w.c.inbox


async def test_unreachable_forwards_to_an_extension(w: World) -> None:
    w.dir.add_user(4, "104", forwarding=(ForwardRule(UNREACHABLE, EXT, "103"),))
    await w.call(w.a, "104")
    only(w.c, "INVITE")
    assert last_record(w).path == "extension 104 > forward unreachable > extension 103"


async def test_unreachable_without_a_rule_is_480(w: World) -> None:
    w.dir.add_user(4, "104", forwarding=(ForwardRule(BUSY, EXT, "103"),))
    r = await w.call(w.a, "104")
    assert r is not None and r.status == 480
    assert not w.c.inbox


async def test_external_target_goes_out_as_the_forwarding_users_call(w: World) -> None:
    rule = ForwardRule(UNREACHABLE, OUT, "84901234567")
    w.dir.add_user(4, "104", default_hotline=MOBI.number, forwarding=(rule,))
    await w.call(w.a, "104")
    out = only(w.trunk_inbox(), "INVITE")
    assert out.uri.user == "84901234567" and out.from_.uri.user == MOBI.number
    rec = last_record(w)
    assert rec.hotline == MOBI.number and rec.callee == "104"
    assert rec.path == "extension 104 > forward unreachable > external 84901234567"
    ok = make_response(out, 200, to_tag="trunk1")
    ok.headers.add("Contact", "<sip:84901234567@127.0.0.2:5090>")
    await w.net.deliver(ok, TRUNK)
    assert statuses(w.a, "INVITE") == [200]


async def test_external_target_needs_the_forwarding_users_permission_and_minutes(w: World) -> None:
    w.dir.add_user(4, "104", allow_outbound=False, forwarding=(ForwardRule(ALWAYS, OUT, "84901234567"),))
    r = await w.call(w.a, "104")
    assert r is not None and r.status == 403 and "not permitted" in (r.headers.get("Reason") or "")
    w.dir.set_user(4, allow_outbound=True, monthly_minutes=1, minutes_used=1.0)
    r = await w.call(w.a, "104")
    assert r is not None and r.status == 403 and "minutes" in (r.headers.get("Reason") or "")
    assert not [m for m in w.trunk_inbox() if isinstance(m, SipRequest) and m.method == "INVITE"]
    assert last_record(w).disposition is Disposition.REJECTED


async def test_inbound_hotline_call_forwarded_out_again(w: World) -> None:
    forward(w, 1, ForwardRule(ALWAYS, OUT, "84901234567"))
    inv = SipRequest("INVITE", _uri(f"sip:{VIETTEL.number}@127.0.0.1:5060"))
    h = inv.headers
    h.add("Via", "SIP/2.0/UDP 127.0.0.2:5090;branch=z9hG4bKtrunkfw")
    h.add("Max-Forwards", "70")
    h.add("From", "<sip:84961111111@127.0.0.2>;tag=t1")
    h.add("To", f"<sip:{VIETTEL.number}@127.0.0.1>")
    h.add("Call-ID", "inbound-fw")
    h.add("CSeq", "1 INVITE")
    h.add("Contact", "<sip:84961111111@127.0.0.2:5090>")
    await w.net.deliver(inv, TRUNK)
    out = [m for m in w.trunk_inbox() if isinstance(m, SipRequest) and m.method == "INVITE"]
    assert out and out[-1].uri.user == "84901234567"
    assert not w.a.inbox
    assert last_record(w).direction == "inbound"


async def test_voicemail_header_from_a_caller_is_dropped(w: World) -> None:
    await w.call(w.a, "103", headers=[(VOICEMAIL_HEADER, "1:102")])
    assert only(w.c, "INVITE").headers.get(VOICEMAIL_HEADER) is None


async def test_voicemail_without_a_call_center_is_480(w: World) -> None:
    del w.proxy.router.feature_addresses[CALL_CENTER]
    forward(w, 2, ForwardRule(ALWAYS, VM))
    r = await w.call(w.a, "102")
    assert r is not None and r.status == 480
    assert MEDIA not in w.net.inboxes or not w.net.inbox(MEDIA)


async def test_call_center_legs_ring_the_agent_never_a_forward(w: World) -> None:
    forward(w, 2, ForwardRule(ALWAYS, EXT, "103"))
    w.proxy.router.pbx_sources = frozenset({CC})
    leg = w.a.build("INVITE", "sip:102@demo.local", body=b"v=0\r\n", content_type="application/sdp")
    await w.net.deliver(leg, CC)
    only(w.b, "INVITE")
    assert not w.c.inbox


async def test_a_forward_to_an_extension_that_is_gone_rings_the_user(w: World) -> None:
    forward(w, 2, ForwardRule(ALWAYS, EXT, "109"), ForwardRule(BUSY, EXT, "109"))
    await w.call(w.a, "102")
    at_app = only(w.b, "INVITE")
    await w.b.answer(at_app, 486)
    await w.b_phone.answer(only(w.b_phone, "INVITE"), 486)
    assert statuses(w.a, "INVITE") == [486]
    assert last_record(w).path is None
