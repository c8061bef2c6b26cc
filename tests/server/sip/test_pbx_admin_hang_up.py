"""Sans-IO: an administrator ends a call from the console (`Proxy.hang_up`): BYE to both parties once it is
answered, CANCEL to the ringing branch before (the caller then gets 487)."""

from __future__ import annotations

import pytest
from test_pbx_quota_restart import TRUNK, World, answer_byes, take

from server.sip.directory import Disposition
from server.sip.message import make_response
from server.sip.proxy import ADMIN_HANGUP_REASON

pytestmark = pytest.mark.unit


@pytest.fixture
async def w() -> World:
    world = World()
    await world.start()
    return world


async def test_answered_call_gets_a_bye_on_both_sides(w: World) -> None:
    _invite, ok, _ = await w.outbound_call()
    assert w.net.proxy.hang_up(ok.call_id, w.clock.now)
    w.net.flush()
    bye_a, bye_t = take(w.a.inbox, "BYE"), take(w.trunk_box(), "BYE")
    assert bye_a.headers.get("Reason") == ADMIN_HANGUP_REASON
    await answer_byes(w, bye_a, bye_t)
    rec = w.dir.calls[ok.call_id]
    assert rec.disposition is Disposition.COMPLETED and rec.hangup_cause == "administrator"
    assert not w.net.proxy.hang_up(ok.call_id, w.clock.now)  # gone


async def test_ringing_call_is_cancelled_and_the_caller_gets_487(w: World) -> None:
    inv = w.a.build("INVITE", "sip:0961234567@demo.local", body=b"v=0\r\n", content_type="application/sdp")
    await w.a.send_auth(inv)
    at_trunk = take(w.trunk_box(), "INVITE")
    await w.net.deliver(make_response(at_trunk, 180, to_tag="carrier1"), TRUNK)
    assert w.net.proxy.hang_up(at_trunk.call_id, w.clock.now)
    w.net.flush()
    cancel = take(w.trunk_box(), "CANCEL")
    await w.net.deliver(make_response(cancel, 200), TRUNK)
    await w.net.deliver(make_response(at_trunk, 487, to_tag="carrier1"), TRUNK)
    assert [r.status for r in w.a.responses("INVITE") if r.status >= 200] == [487]
    assert not w.net.proxy.hang_up("no-such-call", w.clock.now)
