"""Sans-IO: what the PBX writes goes to its journal, not to the database; only a response that promises
durability (202 for a stored MESSAGE) waits for the commit; everything else is answered at once."""

from __future__ import annotations

import pytest
from pbx_fakes import PBX, FakeClock, FakeUA, Net

from server.sip.journal import BindingSaved, CallRecorded, MessageQueued
from server.sip.memory_directory import InMemoryDirectory
from server.sip.proxy import Proxy

pytestmark = pytest.mark.unit


@pytest.fixture
async def world() -> tuple[Net, FakeUA, FakeUA, InMemoryDirectory]:
    d = InMemoryDirectory()
    for uid, ext in ((1, "101"), (2, "102")):
        d.add_user(uid, ext)
        d.add_device(uid, ext, f"demo{ext}")
    proxy = Proxy(d, local={"udp": PBX})
    net = Net(proxy, FakeClock())
    proxy.start(net.clock.now, d.state())
    return net, FakeUA(net, "101", "demo101", 5101), FakeUA(net, "102", "demo102", 5102), d


async def test_a_registration_is_answered_before_anything_is_committed(world) -> None:
    net, a, _b, d = world
    net.auto_commit = False
    r = await a.register()
    assert r is not None and r.status == 200
    assert not d.bindings  # nothing in the database yet...
    pending = net.proxy.journal
    assert len(pending) == 1
    seq, writes = pending.take()
    assert [type(w) for w in writes] == [BindingSaved] and seq == 1
    d.apply(writes)
    net.proxy.journal_committed(seq, net.clock.now)
    assert list(d.bindings) == [("sip:101@demo.local", "sip:101@127.0.0.1:5101")]


async def test_a_stored_message_is_accepted_only_once_committed(world) -> None:
    net, a, _b, d = world
    await a.register()
    net.auto_commit = False
    msg = a.build("MESSAGE", "sip:102@demo.local", body=b"xin chao", content_type="text/plain")
    r = await a.send_auth(msg)
    assert r is None or r.status == 407 or r.status < 200  # no final answer yet: 102 is offline, storing
    assert not [m for m in a.responses("MESSAGE") if m.status == 202]
    seq, writes = net.proxy.journal.take()
    assert any(isinstance(w, MessageQueued) for w in writes)
    d.apply(writes)
    net.proxy.journal_committed(seq - 1, net.clock.now)  # an earlier commit does not release it
    net.flush()
    assert not [m for m in a.responses("MESSAGE") if m.status == 202]
    net.proxy.journal_committed(seq, net.clock.now)
    net.flush()
    assert [m.status for m in a.responses("MESSAGE")] == [202]
    assert len(d.messages) == 1


async def test_every_cdr_state_change_is_journaled_in_order(world) -> None:
    net, a, b, _d = world
    await a.register()
    await b.register()
    net.auto_commit = False
    net.proxy.journal.take()
    invite = a.build("INVITE", "sip:102@demo.local", body=b"v=0\r\n", content_type="application/sdp")
    await a.send_auth(invite)
    at_b = next(m for m in b.inbox if getattr(m, "method", "") == "INVITE")
    b.inbox.remove(at_b)
    await b.answer(at_b, 180)
    await b.answer(at_b, 200)
    _seq, writes = net.proxy.journal.take()
    states = [str(w.record.disposition) for w in writes if isinstance(w, CallRecorded)]
    assert states == ["trying", "ringing", "answered"]
