"""Live view (SSE), hang-up, call history and dashboard in chromium, with real calls between CLI peers."""

from __future__ import annotations

import csv
import io
import math
import re
import struct
import time
import wave
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.media.recording import safe_name
from softphone.testing import CliPeer
from tests.server.web.conftest import shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]


def _peer(server, ext: str) -> CliPeer:
    peer = CliPeer(
        ["--account", f"{ext}:demo{ext}@demo.local", "--registrar", server.registrar, "--wait"],
        name=f"agent{ext}",
    )
    peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
    return peer


def _tone_wav(path: Path, seconds: float = 1.0, rate: int = 8000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                for i in range(int(seconds * rate))
            )
        )


@pytest.fixture(scope="module")
def peers(console_server):
    made: list[CliPeer] = []
    yield made
    for p in made:
        p.kill()


def test_live_page_registrations_and_hang_up(console_server, page, peers) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, console_server, lang="vi")
    page.goto(f"{console_server.url}/console/live")
    shot(page, "live_empty_vi")
    peers.append(_peer(console_server, "101"))
    # The registration shows up without a reload (SSE).
    page.locator("#registrations", has_text="101").wait_for(timeout=15_000)
    peers.append(_peer(console_server, "102"))
    page.locator("#registrations", has_text="102").wait_for(timeout=15_000)
    caller, callee = peers

    # A ringing call: the hang-up button cancels it, the caller gets 487.
    mark = caller.mark()
    ringing = caller.command("make_call", account_id="main", target="102")
    callee.wait_for(lambda e: e["event"] == "IncomingCall", 15)
    page.locator("#calls button.danger").wait_for(timeout=15_000)
    shot(page, "live_ringing_vi")
    page.click("#calls button.danger")
    assert page.locator(".flash").inner_text() == "Đã kết thúc cuộc gọi."
    ev = caller.wait_state("disconnected", ringing, timeout=15, start=mark)
    assert ev["code"] == 487, ev

    # An answered call: BYE to both.
    mark, mark_b = caller.mark(), callee.mark()
    answered = caller.command("make_call", account_id="main", target="102")
    incoming = callee.wait_for(lambda e: e["event"] == "IncomingCall", 15, mark_b)
    callee.command("answer", call_id=incoming["call_id"])
    caller.wait_state("confirmed", answered, timeout=15, start=mark)
    page.goto(f"{console_server.url}/console/lang/en?next=/console/live")
    page.locator("#calls", has_text="answered").wait_for(timeout=15_000)
    shot(page, "live_call_en")
    time.sleep(1.2)  # a second of talk for the history
    page.click("#calls button.danger")
    assert page.locator(".flash").inner_text() == "Call ended."
    caller.wait_state("disconnected", answered, timeout=15, start=mark)
    callee.wait_state("disconnected", incoming["call_id"], timeout=15, start=mark_b)
    page.locator("#calls", has_text="No call is running.").wait_for(timeout=15_000)


def test_history_dashboard_export_and_recording(console_server, page, peers) -> None:
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/calls")
    rows = page.locator("tbody tr")
    rows.first.wait_for()
    assert rows.count() >= 2, page.content()
    text = page.locator("tbody").inner_text()
    assert "completed" in text and "cancelled" in text
    csv_text = page.request.get(f"{console_server.url}/console/calls?format=csv").text()
    records = list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))
    completed = next(r for r in records if r["disposition"] == "completed")
    assert int(completed["talk_seconds"]) >= 1 and completed["direction"] == "internal"
    xlsx = page.request.get(f"{console_server.url}/console/calls?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.body()), read_only=True).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:2] == ["start", "answer"]
    assert len(list(sheet.iter_rows())) == len(records) + 1
    # Filters narrow the set (and live in the URL).
    page.select_option("#f-status", "missed")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r".*status=missed.*"))
    assert "completed" not in page.locator("tbody").inner_text()
    # A recording stored for the answered call plays in the browser.
    recordings = console_server.data_dir / "recordings"
    _tone_wav(recordings / f"20261205T000000Z_102_{safe_name(completed['call_id'])}.wav")
    page.goto(f"{console_server.url}/console/calls?status=answered")
    audio = page.locator("audio").first
    audio.wait_for()
    duration = page.evaluate(
        """() => new Promise((ok, bad) => { const a = document.querySelector('audio');
             a.addEventListener('loadedmetadata', () => ok(a.duration));
             a.addEventListener('error', () => bad('error'));
             a.load(); })"""
    )
    assert 0.9 < duration < 1.1
    shot(page, "calls_en")
    page.goto(f"{console_server.url}/console/lang/vi?next=/console/calls")
    shot(page, "calls_vi")
    for lang in ("en", "vi"):
        page.goto(f"{console_server.url}/console/lang/{lang}?next=/console/dashboard")
        assert int(page.locator("#stat-all").inner_text()) >= 2
        assert int(page.locator("#stat-answered").inner_text()) >= 1
        assert page.locator("svg[role=img] rect.bar").count() == 24
        shot(page, f"dashboard_{lang}")
    page.click("#stat-missed")
    page.wait_for_url(re.compile(r".*/console/calls\?.*status=missed.*"))
