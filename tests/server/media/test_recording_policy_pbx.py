"""End to end: `softphone-server run --demo` (no server-wide recording list); the recording policy and
overrides set through the admin API decide, call by call, whether agent 101's call to 102 is recorded.

A user with "always" in a company whose policy is off gets a recording holding both parties' tones, linked
from the call record (API: `recording`, `recording_url` serving the same WAV); after the company switches
to "all calls" and 101 to "never", 101's call is not recorded (no WAV, no link); back to "inherit", the
company's "all calls" records it.  Each edit is live for the very next call (no restart, no reload)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from media_audio import amplitude, read_wav
from test_call_recording_pbx import A_HZ, B_HZ, _agent, _wait

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("rtpengine") is None, reason="rtpengine-daemon missing"),
]


def _call(a: Any, b: Any, seconds: float = 2.5) -> None:
    call = a.command("make_call", account_id="main", target="102")
    a.wait_state("confirmed", call)
    time.sleep(seconds)
    a.command("hangup", call_id=call)
    a.wait_state("disconnected", call)
    b.wait_state("disconnected", timeout=10)


def _index(recordings: Path) -> list[dict[str, Any]]:
    index = recordings / "index.jsonl"
    return [json.loads(line) for line in index.read_text().splitlines()] if index.exists() else []


def _answers(api: httpx.Client) -> bool:
    try:
        return api.get("/health").status_code == 200
    except httpx.TransportError:
        return False


def _latest_call(api: httpx.Client) -> dict[str, Any]:
    rows = api.get("/admin/calls", params={"limit": 1}).json()
    assert rows, "no call record"
    return dict(rows[0])


def test_policy_and_overrides_decide_per_call(start_demo_server: Any, tmp_path: Path) -> None:
    env = {"SOFTPHONE_SERVER_MEDIA_PORT_MIN": "43000", "SOFTPHONE_SERVER_MEDIA_PORT_MAX": "43999"}
    server = start_demo_server(True, settings_env=env)
    _wait(lambda: "SIP service on" in server.text(), 60)
    assert "two-party call recording" in server.text()
    recordings = tmp_path / "data" / "recordings"
    with httpx.Client(base_url=f"{server.base_url}/api/v1", timeout=10) as api:
        _wait(lambda: _answers(api), 30)
        r = api.post("/auth/login", json={"login": "admin@demo.local", "password": "admin1234"})
        assert r.status_code == 200, r.text
        api.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        users = {u["extensions"][0]: u["id"] for u in api.get("/admin/users").json() if u["extensions"]}
        assert api.get("/admin/company").json()["recording_policy"] == "off"
        r = api.patch(f"/admin/users/{users['101']}", json={"recording": "always"})
        assert r.status_code == 200, r.text

        a = _agent(server.sip_port, "101", A_HZ)
        b = _agent(server.sip_port, "102", B_HZ, "--auto-answer")
        try:
            # 1. "always" in a company whose policy is off: recorded, both tones, linked from the CDR
            _call(a, b)
            _wait(lambda: len(_index(recordings)) == 1, 10)
            (entry,) = _index(recordings)
            assert (entry["caller"], entry["callee"]) == ("101", "102")
            wav = recordings / entry["path"]
            samples, rate = read_wav(wav)
            assert len(samples) >= 2 * rate, server.text()[-3000:]
            assert amplitude(samples, rate, A_HZ) > 300 and amplitude(samples, rate, B_HZ) > 300
            _wait(lambda: _latest_call(api).get("recording") == wav.name, 10)
            record = _latest_call(api)
            assert record["call_id"] == entry["call_id"] and record["callee"] == "102"
            assert record["recording_url"] == f"/api/v1/admin/calls/{record['id']}/recording"
            served = api.get(record["recording_url"].removeprefix("/api/v1"))
            assert served.status_code == 200 and served.content == wav.read_bytes()

            # 2. the company records all calls, but 101 says never: not recorded, no link
            r = api.patch("/admin/company", json={"recording_policy": "all"})
            assert r.status_code == 200, r.text
            r = api.patch(f"/admin/users/{users['101']}", json={"recording": "never"})
            assert r.status_code == 200, r.text
            _call(a, b)
            _wait(lambda: _latest_call(api)["call_id"] != record["call_id"], 10)
            time.sleep(1.5)  # a recording would have started within a second of the answer
            second = _latest_call(api)
            assert second["disposition"] in ("completed", "answered") and second["answer"] is not None
            assert len(_index(recordings)) == 1 and not list(recordings.glob(f"*{second['call_id'][:8]}*"))
            assert second["recording"] is None and second["recording_url"] is None

            # 3. 101 inherits the company's "all calls": recorded again
            r = api.patch(f"/admin/users/{users['101']}", json={"recording": "inherit"})
            assert r.status_code == 200, r.text
            _call(a, b)
            _wait(lambda: len(_index(recordings)) == 2, 10)
            third = _index(recordings)[1]
            samples, rate = read_wav(recordings / third["path"])
            assert amplitude(samples, rate, A_HZ) > 300 and amplitude(samples, rate, B_HZ) > 300
            _wait(lambda: _latest_call(api).get("recording") == Path(third["path"]).name, 10)
        finally:
            for peer in (a, b):
                peer.quit(10)
                peer.kill()
