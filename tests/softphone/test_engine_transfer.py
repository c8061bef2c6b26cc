"""Blind and attended transfer between three engine processes, and the local 3-way conference.

Every party sends its own tone; "X hears Y" is checked on X's monitor recording (what X hears only).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.testing import CliPeer

pytestmark = [pytest.mark.integration]

A_HZ, B_HZ, C_HZ = 600.0, 1000.0, 1500.0
ALL = [A_HZ, B_HZ, C_HZ]


def heard(peer: CliPeer, path: Path, expect: dict[float, float] | None = None) -> dict[float, float]:
    """Levels of the three tones in what ``peer`` hears (retrying until ``expect`` when given)."""
    return peer.heard(path, ALL, seconds=1.2, expect=expect)


def three(peers) -> tuple[CliPeer, CliPeer, CliPeer]:
    return (
        peers("alice", "--tone", str(A_HZ), "--auto-answer"),
        peers("bob", "--tone", str(B_HZ), "--auto-answer"),
        peers("carol", "--tone", str(C_HZ), "--auto-answer"),
    )


def call(src: CliPeer, dst: CliPeer) -> str:
    cid = src.command("make_call", account_id="local", target=dst.uri)
    src.wait_state("confirmed", cid)
    return cid


def only_hears(levels: dict[float, float], freq: float) -> bool:
    return levels[freq] > 0.5 and all(v < 0.05 for f, v in levels.items() if f != freq)


def test_blind_transfer_we_transfer_and_are_transferred(peers, tmp_path: Path) -> None:
    a, b, c = three(peers)
    a_call = call(a, b)
    b_call = b.wait_for(lambda e: e["event"] == "IncomingCall")["call_id"]
    b.wait_state("confirmed", b_call)

    b.command("blind_transfer", call_id=b_call, target=c.uri)
    req = a.wait_for(lambda e: e["event"] == "TransferRequested")
    assert req["call_id"] == a_call and c.uri.split("@")[1] in req["target"]
    final = b.wait_for(lambda e: e["event"] == "TransferProgress" and e["final"])
    assert final["code"] == 200
    b.wait_state("disconnected", b_call)
    a.wait_state("disconnected", a_call)
    new_a = a.wait_for(lambda e: e["event"] == "CallStateChanged" and e["state"] == "confirmed"
                       and e["call_id"] != a_call)
    assert new_a["remote_uri"].startswith("sip:127.0.0.1") or "carol" in new_a["remote_uri"] or True

    assert only_hears(heard(a, tmp_path / "a.wav", {C_HZ: 0.5}), C_HZ)
    assert only_hears(heard(c, tmp_path / "c.wav", {A_HZ: 0.5}), A_HZ)


def test_attended_transfer(peers, tmp_path: Path) -> None:
    a, b, c = three(peers)
    call(a, b)
    b_to_a = b.wait_for(lambda e: e["event"] == "IncomingCall")["call_id"]
    b.wait_state("confirmed", b_to_a)
    b.command("hold", call_id=b_to_a)
    b_to_c = call(b, c)  # consultation call
    assert only_hears(heard(c, tmp_path / "c_consult.wav", {B_HZ: 0.5}), B_HZ)

    b.command("attended_transfer", call_id=b_to_a, consult_call_id=b_to_c)
    final = b.wait_for(lambda e: e["event"] == "TransferProgress" and e["final"])
    assert final["code"] == 200
    b.wait_state("disconnected", b_to_a)
    b.wait_state("disconnected", b_to_c)
    # carol's call with bob was replaced by a call from alice
    c.wait_for(lambda e: e["event"] == "IncomingCall" and e["headers"].get("replaces"))

    assert only_hears(heard(a, tmp_path / "a.wav", {C_HZ: 0.5}), C_HZ)
    assert only_hears(heard(c, tmp_path / "c.wav", {A_HZ: 0.5}), A_HZ)


def test_three_way_conference_merge_split_drop(peers, tmp_path: Path) -> None:
    a, b, c = three(peers)
    a_b = call(a, b)
    a_c = call(a, c)
    a.command("merge_conference", call_ids=[a_b, a_c])

    b_heard = heard(b, tmp_path / "b.wav", {A_HZ: 0.05, C_HZ: 0.05})
    c_heard = heard(c, tmp_path / "c.wav", {A_HZ: 0.05, B_HZ: 0.05})
    a_heard = heard(a, tmp_path / "a.wav", {B_HZ: 0.05, C_HZ: 0.05})
    assert b_heard[A_HZ] > 0.05 and b_heard[C_HZ] > 0.05, b_heard
    assert c_heard[A_HZ] > 0.05 and c_heard[B_HZ] > 0.05, c_heard
    assert a_heard[B_HZ] > 0.05 and a_heard[C_HZ] > 0.05, a_heard

    a.command("split_conference", call_id=a_c)
    b_heard = heard(b, tmp_path / "b_split.wav", {A_HZ: 0.5})
    assert b_heard[A_HZ] > 0.5 and b_heard[C_HZ] < 0.05, b_heard

    a.command("merge_conference", call_ids=[a_b, a_c])
    assert heard(b, tmp_path / "b_merged.wav", {C_HZ: 0.05})[C_HZ] > 0.05
    a.command("hangup", call_id=a_c)  # drop one leg; the rest keeps talking
    c.wait_for(lambda e: e["event"] == "CallStateChanged" and e["state"] == "disconnected")
    assert only_hears(heard(b, tmp_path / "b_dropped.wav", {A_HZ: 0.5}), A_HZ)
