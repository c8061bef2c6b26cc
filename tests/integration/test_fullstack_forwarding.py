"""Full stack: call forwarding set through the HTTP API steers the real PBX (`softphone-server run --demo`)
with real callers (softphone-cli): always, busy, no answer after N s, unreachable (to an extension and to
voicemail), and an external target reaching a stand-in carrier gateway."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fullstack_support import Agents, ServerProcess, call, hangup, wait_until

from softphone.testing import CliPeer, speech_pitches, tone_levels

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def user_id(server: ServerProcess, ext: str) -> int:
    users = httpx.get(f"{server.api}/admin/users", headers=server.admin_headers(), timeout=15).json()
    return int(next(u["id"] for u in users if ext in u["extensions"]))


def set_forwarding(server: ServerProcess, ext: str, body: dict[str, Any]) -> None:
    url = f"{server.api}/admin/users/{user_id(server, ext)}/forwarding"
    r = httpx.put(url, json=body, headers=server.admin_headers(), timeout=15)
    assert r.status_code == 200, r.text


@pytest.fixture
def forwarding(shared_server: ServerProcess) -> Iterator[None]:
    """Every test starts and ends with no forwarding for 102."""
    set_forwarding(shared_server, "102", {})
    yield
    set_forwarding(shared_server, "102", {})


def rule(kind: str, target: str = "", **more: Any) -> dict[str, Any]:
    return {"enabled": True, "target_kind": kind, "target": target, **more}


def record_path(server: ServerProcess, since: int) -> str:
    """The path of the newest call record to 102 after row id `since` (written behind, so wait)."""
    sql = (
        "select path from call_records where id > ? and callee = '102' and path is not null order by id desc"
    )

    rows = wait_until(lambda: server.query(sql, (since,)), 10)
    assert rows, "no call record with a path"
    return str(rows[0][0])


def last_record_id(server: ServerProcess) -> int:
    return int(server.query("select coalesce(max(id), 0) from call_records")[0][0])


def rang(peer: CliPeer, start: int = 0) -> bool:
    return peer.find(lambda e: e["event"] == "IncomingCall", start) is not None


def test_always_to_another_extension(shared_server: ServerProcess, agents: Agents, forwarding: None) -> None:
    a101 = agents.start(shared_server, "101")
    a102 = agents.start(shared_server, "102")
    a103 = agents.start(shared_server, "103", "--auto-answer=0")
    set_forwarding(shared_server, "102", {"always": rule("extension", "103")})
    since = last_record_id(shared_server)
    hangup(a101, call(a101, "102"))
    assert rang(a103) and not rang(a102)
    assert record_path(shared_server, since) == "extension 102 > forward always > extension 103"


def test_busy_everywhere_forwards(shared_server: ServerProcess, agents: Agents, forwarding: None) -> None:
    a101 = agents.start(shared_server, "101")
    agents.start(shared_server, "102", "--dnd")  # the device itself answers 486
    a103 = agents.start(shared_server, "103", "--auto-answer=0")
    set_forwarding(shared_server, "102", {"busy": rule("extension", "103")})
    since = last_record_id(shared_server)
    hangup(a101, call(a101, "102"))
    assert rang(a103)
    assert record_path(shared_server, since) == "extension 102 > forward busy > extension 103"


def test_no_answer_after_n_seconds(shared_server: ServerProcess, agents: Agents, forwarding: None) -> None:
    a101 = agents.start(shared_server, "101")
    a102 = agents.start(shared_server, "102")  # rings, never answers
    a103 = agents.start(shared_server, "103", "--auto-answer=0")
    set_forwarding(shared_server, "102", {"no_answer": rule("extension", "103", seconds=5)})
    since = last_record_id(shared_server)
    mark = a101.mark()
    started = time.monotonic()
    call_id = a101.command("make_call", account_id="main", target="102")
    a102.wait_for(lambda e: e["event"] == "IncomingCall", 15)
    a103.wait_for(lambda e: e["event"] == "IncomingCall", 15)
    elapsed = time.monotonic() - started
    a101.wait_state("confirmed", call_id, timeout=15, start=mark)
    assert 4.5 <= elapsed <= 9.0, elapsed
    a102.wait_state("disconnected", timeout=10)  # its ringing was cancelled
    hangup(a101, call_id)
    assert record_path(shared_server, since) == "extension 102 > forward no_answer > extension 103"


def test_unreachable_to_an_extension_then_to_voicemail(
    shared_server: ServerProcess, agents: Agents, forwarding: None, tmp_path: Path
) -> None:
    # the app prefers G.722; the voicemail bridge transcodes the caller to the recorder's PCMU
    a101 = agents.start(shared_server, "101", "--tone", "700")
    a103 = agents.start(shared_server, "103", "--auto-answer=0")
    # 102 has no registered device
    set_forwarding(shared_server, "102", {"unreachable": rule("extension", "103")})
    since = last_record_id(shared_server)
    hangup(a101, call(a101, "102"))
    assert rang(a103)
    assert record_path(shared_server, since) == "extension 102 > forward unreachable > extension 103"

    admin = shared_server.admin_headers()
    box = {"name": "102", "config": {"owner": "extension", "extension": "102"}}
    r = httpx.post(f"{shared_server.api}/admin/voicemail_boxes", json=box, headers=admin, timeout=15)
    assert r.status_code == 201, r.text
    box_id = r.json()["id"]
    set_forwarding(shared_server, "102", {"unreachable": rule("voicemail")})
    since = last_record_id(shared_server)
    mark = a103.mark()
    call_id = call(a101, "102")  # the voicemail answers: greeting, beep, then it records the tone
    a101.command("start_monitor", path=str(tmp_path / "greeting.wav"))
    time.sleep(8.0)
    a101.command("stop_monitor")
    hangup(a101, call_id)
    # the box was created with the API's default greeting: the built-in sentence is spoken, no chime
    assert len(speech_pitches(tmp_path / "greeting.wav")) >= 3
    assert not rang(a103, mark)
    folder = shared_server.data_dir / "voicemail" / str(box_id)
    assert wait_until(lambda: (folder / "index.jsonl").exists(), 10), shared_server.text()
    (message,) = folder.glob("*.wav")
    assert tone_levels(message, [700.0], skip_s=0.3)[700.0] > 0.3  # the caller's tone, recorded
    path = record_path(shared_server, since)
    assert path.startswith("extension 102 > forward unreachable > voicemail"), path


def test_external_number_reaches_the_carrier(
    shared_server: ServerProcess, agents: Agents, forwarding: None
) -> None:
    carrier = CliPeer(["--user", "carrier", "--wait", "--auto-answer=0", "--tone", "1200"], name="carrier")
    agents.peers.append(carrier)
    admin = shared_server.admin_headers()
    for h in httpx.get(f"{shared_server.api}/admin/hotlines", headers=admin, timeout=15).json():
        r = httpx.patch(
            f"{shared_server.api}/admin/hotlines/{h['id']}",
            json={"trunk_host": "127.0.0.1", "trunk_port": carrier.port},
            headers=admin,
            timeout=15,
        )
        assert r.status_code == 200, r.text
    a101 = agents.start(shared_server, "101")
    set_forwarding(shared_server, "102", {"always": rule("external", "0901234567")})
    since = last_record_id(shared_server)
    call_id = call(a101, "102")
    incoming = carrier.wait_for(lambda e: e["event"] == "IncomingCall", 10)
    assert "02873001234" in incoming["remote_uri"], incoming  # 102's default hotline as caller ID
    hangup(a101, call_id)
    assert record_path(shared_server, since) == "extension 102 > forward always > external 84901234567"
    # 102 loses the outbound permission: the PBX refuses the forward with a reason
    r = httpx.patch(
        f"{shared_server.api}/admin/users/{user_id(shared_server, '102')}",
        json={"allow_outbound": False},
        headers=admin,
        timeout=15,
    )
    assert r.status_code == 200, r.text
    try:
        mark = a101.mark()
        carrier_mark = carrier.mark()
        ended = a101.wait_state(
            "disconnected", a101.command("make_call", account_id="main", target="102"), timeout=20, start=mark
        )
        assert (ended["code"], ended["reason"]) == (403, "Outbound calls not permitted"), ended
        assert not rang(carrier, carrier_mark)
    finally:
        r = httpx.patch(
            f"{shared_server.api}/admin/users/{user_id(shared_server, '102')}",
            json={"allow_outbound": True},
            headers=admin,
            timeout=15,
        )
        assert r.status_code == 200, r.text


def forwarding_of(server: ServerProcess, ext: str) -> dict[str, Any]:
    url = f"{server.api}/admin/users/{user_id(server, ext)}/forwarding"
    body: dict[str, Any] = httpx.get(url, headers=server.admin_headers(), timeout=15).json()
    return body


def dial_code(peer: CliPeer, code: str, record: Path) -> None:
    """Dial a feature code, record what the server says until it hangs up (it does after its sentence)."""
    peer.record_call(code, record)


def test_star_72_forwards_from_the_phone_and_star_73_restores(
    shared_server: ServerProcess, agents: Agents, forwarding: None, tmp_path: Path
) -> None:
    a101 = agents.start(shared_server, "101")
    a102 = agents.start(shared_server, "102", "--auto-answer=0")
    a103 = agents.start(shared_server, "103", "--auto-answer=0")

    dial_code(a102, "*72103", tmp_path / "set.wav")
    assert len(speech_pitches(tmp_path / "set.wav")) >= 3  # the spoken confirmation, not the chime
    always = forwarding_of(shared_server, "102")["always"]
    assert always["enabled"] and always["target_kind"] == "extension" and always["target"] == "103"
    audit = shared_server.query("select count(*) from audit_log where entity = 'forwarding'")
    assert audit[0][0] >= 1
    start102, start103 = a102.mark(), a103.mark()
    hangup(a101, call(a101, "102"))
    assert rang(a103, start103) and not rang(a102, start102)

    dial_code(a102, "*73", tmp_path / "clear.wav")
    assert len(speech_pitches(tmp_path / "clear.wav")) >= 3
    assert not forwarding_of(shared_server, "102")["always"]["enabled"]
    start102, start103 = a102.mark(), a103.mark()
    mark = a101.mark()
    call_id = a101.command("make_call", account_id="main", target="102")
    a102.wait_for(lambda e: e["event"] == "IncomingCall", 15, start102)
    a101.command("hangup", call_id=call_id)
    a101.wait_state("disconnected", call_id, timeout=15, start=mark)
    assert not rang(a103, start103)


def test_star_72_to_a_missing_extension_is_refused_aloud_and_changes_nothing(
    shared_server: ServerProcess, agents: Agents, forwarding: None, tmp_path: Path
) -> None:
    a102 = agents.start(shared_server, "102", "--auto-answer=0")
    dial_code(a102, "*729876", tmp_path / "refused.wav")
    assert len(speech_pitches(tmp_path / "refused.wav")) >= 3  # the spoken error
    assert not forwarding_of(shared_server, "102")["always"]["enabled"]
