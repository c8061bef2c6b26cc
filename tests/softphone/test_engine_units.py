"""Pure parts of the engine: MOS estimate, presence mapping, crash-safe WAV writer, SIP text helpers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import pjsua2 as pj
import pytest

from softphone import presence
from softphone.call_quality import estimate_mos, mos_from_r, r_factor
from softphone.cli import build_parser, parse_account
from softphone.recording import CrashSafeWavWriter
from softphone.runtime.sip_text import extract_headers, sip_date, split_name_addr

pytestmark = [pytest.mark.unit]


def test_mos_is_high_for_a_clean_call_and_falls_with_loss_and_delay() -> None:
    clean = estimate_mos("PCMU", rtt_ms=2, jitter_ms=1, loss_pct=0)
    assert 4.3 <= clean <= 4.5
    assert estimate_mos("PCMU", 2, 1, 5) < clean
    assert estimate_mos("PCMU", 2, 1, 20) < estimate_mos("PCMU", 2, 1, 5)
    assert estimate_mos("G722", 600, 1, 0) < estimate_mos("G722", 100, 1, 0)
    assert mos_from_r(0) == 1.0 and mos_from_r(120) == 4.5
    assert 0 <= r_factor("unknown", 10_000, 100) <= 93.2


@pytest.mark.parametrize("status", presence.PUBLISHABLE)
@pytest.mark.parametrize("note", ["", "back at 3"])
def test_presence_round_trip(status: str, note: str) -> None:
    assert presence.from_pj(presence.to_pj(status, note)) == (status, note)


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Do Not Disturb", "dnd"),
        ("Do not disturb", "dnd"),
        ("On the phone", "on_the_phone"),
        ("Busy", "busy"),
    ],
)
def test_presence_reads_the_pbx_notes(note: str, expected: str) -> None:
    """The PBX NOTIFYs DND and calls as a busy activity with its own note (server/sip/presence.py)."""
    ps = pj.PresenceStatus()
    ps.status = pj.PJSUA_BUDDY_STATUS_ONLINE
    ps.activity = pj.PJRPID_ACTIVITY_BUSY
    ps.note = note
    assert presence.from_pj(ps)[0] == expected


def test_presence_rejects_unknown_status() -> None:
    with pytest.raises(ValueError):
        presence.to_pj("sleeping")


def test_wav_writer_header_tracks_flushed_data(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    w = CrashSafeWavWriter(path, 16000)
    w.write(b"\x01\x00" * 1600)
    w.write(b"\x01")  # half a sample is dropped, never misaligns the file
    w.flush()
    with wave.open(str(path)) as r:
        assert r.getnframes() == 1600 and r.getframerate() == 16000
    w.write(b"\x02\x00" * 800)
    w.close()
    with wave.open(str(path)) as r:
        assert r.getnframes() == 2400


def test_wav_writer_file_is_valid_after_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "killed.wav"
    script = textwrap.dedent(
        f"""
        import sys, time
        from softphone.recording import CrashSafeWavWriter
        w = CrashSafeWavWriter({str(path)!r}, 8000)
        for i in range(10_000):
            w.write(b"\\x10\\x00" * 160)
            if i % 5 == 4:
                w.flush()
            if i == 50:
                print("go", flush=True)
            time.sleep(0.002)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "go"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    with wave.open(str(path)) as r:
        n = r.getnframes()
        frames = r.readframes(n)
    assert n >= 50 * 160 and n % 160 == 0
    assert len(frames) == n * 2


def test_sip_text_helpers() -> None:
    assert split_name_addr('"Al Smith" <sip:a@x;transport=tcp>') == ("Al Smith", "sip:a@x;transport=tcp")
    assert split_name_addr("Bob <sip:b@y>") == ("Bob", "sip:b@y")
    assert split_name_addr("sip:c@z") == ("", "sip:c@z")
    msg = "INVITE sip:x SIP/2.0\r\nX-Hotline: 0287\r\nVia: v\r\nx-other:  1 \r\n\r\nX-Body: no"
    assert extract_headers(msg) == {"x-hotline": "0287", "x-other": "1"}


def test_cli_account_and_flags() -> None:
    argv = ["--account", "101:demo101@demo.local", "--registrar", "127.0.0.1:5060"]
    args = build_parser().parse_args([*argv, "--auto-answer", "--tone", "440"])
    acc = parse_account(args.account, args)
    assert (acc.sip_username, acc.sip_password, acc.sip_domain) == ("101", "demo101", "demo.local")
    assert acc.registrar == "127.0.0.1:5060" and args.auto_answer == 0.0 and args.tone == 440.0
    assert build_parser().parse_args(["--auto-answer=2.5"]).auto_answer == 2.5
    assert build_parser().parse_args([]).auto_answer is None
    assert acc.register_expires == 300
    args = build_parser().parse_args([*argv, "--register-expires", "90"])
    assert parse_account(args.account, args).register_expires == 90


def test_sip_date_parses_rfc1123_dates_and_rejects_garbage() -> None:
    def msg(date_line: str) -> str:
        return f"MESSAGE sip:a@b SIP/2.0\r\nFrom: <sip:x@y>\r\n{date_line}Content-Length: 0\r\n\r\nDate: body"

    assert sip_date(msg("Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n")) == 1289690940.0
    assert sip_date(msg("date:Sat, 13 Nov 2010 23:29:00 -0000\r\n")) == 1289690940.0
    assert sip_date(msg("")) is None  # the body's "Date:" is not a header
    assert sip_date(msg("Date: yesterday\r\n")) is None
