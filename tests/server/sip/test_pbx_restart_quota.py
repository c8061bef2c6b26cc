"""kill -9 of the real server during an outbound call with a small monthly quota, and a restart: the PBX still
cuts the call off at the original moment, or right after it starts when that moment passed while it was down
(BYE to the softphone and to the sipp carrier, CDR quota_exceeded, the quota billed and no more), with no
in-dialog request from either side to remind it.  The call is priced with its hotline's own rate table."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from server_process import Server, peer

from softphone.testing import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIPP_UAS = Path(__file__).parents[2] / "interop" / "sipp" / "uas_answer.xml"
# The hotlines' own table: Viettel 096 at 6,000 VND per started minute (the built-in: 1,180 per 6 s + 1 s).
TRUNK_RATES = [
    {
        "prefix": "096",
        "kind": "mobile",
        "label": "Viettel",
        "per_minute": 6000.0,
        "first_block": 60,
        "then_every": 60,
    },
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path / "data", free_port(), free_port())
    yield s
    s.kill9()


def wait_until(pred: Callable[[], object], timeout: float, what: str) -> object:
    end = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        assert time.monotonic() < end, f"{what}: not within {timeout} s"
        time.sleep(0.05)


def start_carrier(server: Server, port: int, log: Path) -> subprocess.Popen[bytes]:
    """sipp as the carrier's gateway: answers one call, then waits for its BYE (message log in `log`)."""
    return subprocess.Popen(
        [
            "sipp",
            f"127.0.0.1:{server.sip_port}",
            "-sf",
            str(SIPP_UAS),
            "-m",
            "1",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-nostdin",
            "-trace_msg",
            "-message_file",
            str(log),
            "-timeout",
            "120",
            "-timeout_error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("left", "down_past_cutoff"),
    [
        pytest.param(20.0, False, id="restart-before-cutoff"),  # room for the kill and the restart
        pytest.param(12.0, True, id="cutoff-while-down"),
    ],
)
def test_quota_cut_off_of_a_call_answered_before_kill9_happens_after_restart(
    server: Server, tmp_path: Path, left: float, down_past_cutoff: bool
) -> None:
    """`left`: seconds of its monthly quota 101 has left when it calls out."""
    if shutil.which("sipp") is None:
        pytest.skip("sipp not installed")
    server.start()  # seeds the demo company
    server.kill9()  # the PBX routes on what it loaded: edit the database while it is down
    carrier_port = free_port()
    with server.db() as db:
        # the demo's hotlines go to our simulated carrier; 101 has `left` seconds of its monthly quota
        db.execute("update hotlines set trunk_host = '127.0.0.1', trunk_port = ?", (carrier_port,))
        table = db.execute(
            "insert into rate_tables (company_id, name, is_default, entries) values (1, 'Trunk', 0, ?)",
            (json.dumps(TRUNK_RATES),),
        ).lastrowid
        db.execute("update hotlines set rate_table_id = ?", (table,))
        db.execute(
            "update users set monthly_minutes = 1, seconds_used_this_month = ?, usage_period = ?"
            " where id = (select user_id from extensions where number = '101')",
            (60.0 - left, datetime.now(UTC).strftime("%Y-%m")),
        )
    server.start()
    sipp_log = tmp_path / "carrier-messages.log"
    carrier = start_carrier(server, carrier_port, sipp_log)
    a = None
    try:
        a = peer(server, "101")
        call = a.command("make_call", account_id="main", target="0961234567")
        a.wait_state("confirmed", call, timeout=20)

        def answered() -> tuple[float, float] | None:
            with server.db() as db:
                row = db.execute(
                    "select answer, cutoff from call_records"
                    " where direction = 'outbound' and dialog is not null"
                ).fetchone()
            return row if row is not None and row[1] is not None else None

        answer, cutoff = wait_until(answered, 10, "the answered call in the CDR")  # type: ignore[misc]
        assert cutoff == pytest.approx(answer + left, abs=1.0)
        wait_until(
            lambda: sipp_log.exists() and b"ACK sip:" in sipp_log.read_bytes(), 10, "ACK at the carrier"
        )
        assert time.time() < cutoff - 5, "too slow to kill before the cut-off"

        server.kill9()
        mark = a.mark()
        if down_past_cutoff:
            time.sleep(max(0.0, cutoff + 1.0 - time.time()))
        restarting = time.time()
        server.start()
        restarted = time.time()

        ev = a.wait_state("disconnected", call, timeout=max(cutoff - time.time(), 0) + 30, start=mark)
        disconnected = time.time()
        assert carrier.wait(30) == 0, "the carrier did not get its BYE"
    finally:
        if a is not None:
            a.quit(10)
            a.kill()
        if carrier.poll() is None:
            carrier.kill()
            carrier.wait(5)

    # at the original moment (or right after the restart, had the restart taken longer than the quota)
    assert cutoff - 1.0 <= disconnected <= max(cutoff, restarted) + 5.0, (cutoff, restarted, disconnected)
    if down_past_cutoff:
        assert disconnected > restarting
    assert left - 1.0 <= ev["duration_s"] <= max(cutoff, restarted) - answer + 5.0, ev
    messages = sipp_log.read_text(errors="replace")
    bye = messages[messages.index("BYE sip:") :]
    assert "Monthly outbound minutes used up" in bye.split("\n\n")[0]
    with server.db() as db:
        end, disposition, cause, cost = db.execute(
            "select end, disposition, hangup_cause, cost from call_records where direction = 'outbound'"
        ).fetchone()
        (used,) = db.execute(
            "select seconds_used_this_month from users"
            " where id = (select user_id from extensions where number = '101')"
        ).fetchone()
    assert (disposition, cause) == ("quota_exceeded", "quota")
    assert end == pytest.approx(cutoff)  # never later: a late cut-off bills up to the cut-off only
    assert used == pytest.approx(60.0, abs=0.01)  # the whole quota, billed after the restart
    assert cost == 6000.0  # under a minute of talk, one started minute of the hotline's table
    assert b"re-armed after a restart" in server.log.read_bytes()
