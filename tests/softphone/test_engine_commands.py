"""The engine's typed command boundary: every command has exactly one handler, wire names parse strictly,
settings survive a restart, an account's codec order is what it offers, and the bridge's FIFOs shed only the
latency nobody needed."""

from __future__ import annotations

import pytest

from softphone import commands as c
from softphone.ringbuffer import ByteRing, SlackTrim


@pytest.mark.unit
def test_every_command_has_one_handler_and_a_wire_name() -> None:
    from softphone.runtime.dispatch import HANDLERS

    commands = set(c.Command.by_name.values())
    assert set(HANDLERS) == commands
    assert all(cls.name == name for name, cls in c.Command.by_name.items())
    assert c.Command.by_name["make_call"] is c.MakeCall and c.Command.by_name["call_stats"] is c.GetCallStats


@pytest.mark.unit
def test_wire_form_is_strict() -> None:
    cmd = c.from_json("merge_conference", {"call_ids": ["c1", "c2"]})
    assert cmd == c.MergeConference(("c1", "c2"))
    acc = c.from_json("add_account", {"account": {
        "account_id": "a", "display_name": "A", "sip_username": "a", "sip_password": "", "sip_domain": "x",
        "codecs": ["PCMU/8000"],
    }})
    assert isinstance(acc, c.AddAccount) and acc.account.codecs == ("PCMU/8000",)
    with pytest.raises(ValueError, match="unknown command"):
        c.from_json("make_coffee", {})
    with pytest.raises(ValueError, match="unknown argument"):
        c.from_json("hold", {"call_id": "c1", "loudly": True})
    with pytest.raises(ValueError, match="hold"):
        c.from_json("hold", {})


@pytest.mark.unit
def test_settings_are_sticky_calls_are_not() -> None:
    assert c.sticky_key(c.SetDnd(True)) == ("set_dnd", "")
    assert c.sticky_key(c.Hold("c1")) is None


@pytest.mark.unit
def test_slack_trim_drops_only_what_was_never_needed() -> None:
    ring = ByteRing(4096)
    trim = SlackTrim(window_reads=4, margin=0)
    ring.write(bytes(100))  # 100 bytes of start-up backlog nobody will need
    for _ in range(4):
        ring.write(bytes(20))
        ring.read(20)
        trim.after_read(ring)
    assert ring.available() == 0 and trim.dropped == 100
    # bursty producer: 40 bytes every other read; the 20 left between bursts are needed, never dropped
    for i in range(8):
        if i % 2 == 0:
            ring.write(bytes(40))
        ring.read(20)
        trim.after_read(ring, starved=False)
    assert trim.dropped == 100


@pytest.mark.unit
def test_slack_trim_backs_off_after_starving_and_relaxes_slowly() -> None:
    ring = ByteRing(4096)
    trim = SlackTrim(window_reads=2, margin=4, backoff=20, max_margin=44, relax_windows=10)
    for _ in range(5):
        trim.after_read(ring, starved=True)
    assert trim.margin == 4  # starving once, however long (a stream starting, a call ending), is not load
    for _ in range(3):
        ring.write(bytes(20))
        ring.read(20)
        trim.after_read(ring)
        trim.after_read(ring, starved=True)
    assert trim.margin == 44  # starving again soon after: raised each time, capped
    ring.clear()
    # the producer now runs 30 bytes ahead: the trim keeps the raised margin, it does not cut to the edge
    ring.write(bytes(30))
    for _ in range(2):
        ring.write(bytes(20))
        ring.read(20)
        trim.after_read(ring)
    assert trim.dropped == 0 and trim.margin == 42  # one quiet window: relaxed by backoff / relax_windows
    for _ in range(2 * 20):
        ring.write(bytes(20))
        ring.read(20)
        trim.after_read(ring)
    assert trim.margin == 4 and ring.available() == 4 and trim.dropped == 26


@pytest.mark.integration
def test_an_accounts_codec_order_is_what_it_offers(peers) -> None:
    bob = peers("bob", "--auto-answer")
    alice = peers("alice")
    alice.command("add_account", account={
        "account_id": "narrow", "display_name": "alice", "sip_username": "alice", "sip_password": "",
        "sip_domain": f"127.0.0.1:{alice.port}", "register": False, "codecs": ["PCMA/8000"],
    })
    for account, codec in (("narrow", "PCMA"), ("local", "G722")):
        cid = alice.command("make_call", account_id=account, target=bob.uri)
        alice.wait_state("confirmed", cid)
        assert alice.command("call_stats", call_id=cid)["codec"] == codec
        assert alice.command("sound_stats") is None  # the null sound device has no bridge
        alice.command("hangup", call_id=cid)
        alice.wait_state("disconnected", cid)


@pytest.mark.unit
def test_slack_trim_with_quiet_peak_waits_for_a_pause_to_drop() -> None:
    import struct

    loud, quiet = struct.pack("<10h", *([8000] * 10)), bytes(20)
    ring = ByteRing(4096)
    trim = SlackTrim(window_reads=2, margin=0, quiet_peak=512, patience=2)
    ring.write(loud * 3)  # 60 bytes of backlog, all speech
    for _ in range(2):
        ring.write(loud)
        ring.read(20)
        trim.after_read(ring)
    assert trim.dropped == 0 and ring.available() == 60  # due, but the head is speech: waits
    ring.write(quiet)
    ring.read(20)
    trim.after_read(ring)
    assert trim.dropped == 0
    ring.write(quiet * 2)
    ring.read(20)
    ring.read(20)  # the speech backlog is played out; a pause is next
    trim.after_read(ring)
    assert trim.dropped > 0  # dropped inside the pause
    # speech without a pause: dropped anyway after `patience` windows
    ring, trim = ByteRing(4096), SlackTrim(window_reads=2, margin=0, quiet_peak=512, patience=2)
    ring.write(loud * 3)
    for _ in range(2 + 3):  # the window, then 3 of the 4 reads of patience
        ring.write(loud)
        ring.read(20)
        trim.after_read(ring)
    assert trim.dropped == 0
    ring.write(loud)
    ring.read(20)
    trim.after_read(ring)
    assert trim.dropped == 60
