"""Engine benchmarks (prints a table; not a test).

    .venv/bin/python bench/bench_engine.py [--calls 100] [--call-seconds 10]

* call setup time: ``make_call`` to 200 OK received ("connecting") and to ACKed ("confirmed"), engine to
  engine over loopback, with Debian's baresip as the callee measured in the same run when installed;
* RSS and CPU of the calling engine process during a G.722 call (baresip's figures alongside);
* RSS of the calling process idle, after N sequential calls, and the growth.

Every engine is a ``softphone-cli`` subprocess driven through ``--commands``, as in the tests.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from softphone.testing import CliPeer


def setup_times(caller: CliPeer, target: str, n: int) -> tuple[list[float], list[float]]:
    """(to 200 OK, to confirmed) in milliseconds for n calls, hung up right after."""
    to_200, to_confirmed = [], []
    for _ in range(n):
        mark = caller.mark()
        t0 = time.perf_counter()
        cid = caller.command("make_call", account_id="local", target=target)
        e200 = caller.wait_state("connecting", cid, start=mark)
        t200 = time.perf_counter()
        caller.wait_state("confirmed", cid, start=mark)
        tconf = time.perf_counter()
        del e200
        to_200.append((t200 - t0) * 1000)
        to_confirmed.append((tconf - t0) * 1000)
        caller.command("hangup", call_id=cid)
        caller.wait_state("disconnected", cid, start=mark)
        time.sleep(0.05)  # pjlib recycles socket slots ~0.5 s after close; engine allows 16 calls/0.6 s
    return to_200, to_confirmed


def cpu_rss_during_call(caller: CliPeer, target: str, seconds: float, other: psutil.Process | None) -> dict:
    proc = psutil.Process(caller.proc.pid)
    cid = caller.command("make_call", account_id="local", target=target)
    caller.wait_state("confirmed", cid)
    stats = caller.command("call_stats", call_id=cid)
    time.sleep(0.5)
    procs = [proc] + ([other] if other else [])
    for p in procs:
        p.cpu_percent(None)
    time.sleep(seconds)
    cpu = [p.cpu_percent(None) for p in procs]
    rss = [p.memory_info().rss / 2**20 for p in procs]
    final = caller.command("call_stats", call_id=cid)
    caller.command("hangup", call_id=cid)
    caller.wait_state("disconnected", cid)
    return {"codec": stats["codec"], "cpu": cpu, "rss": rss, "mos": final["mos"]}


def rss_growth(caller: CliPeer, target: str, n: int) -> tuple[float, float, float]:
    proc = psutil.Process(caller.proc.pid)
    setup_times(caller, target, 5)  # warm up allocators and pools
    before = proc.memory_info().rss / 2**20
    setup_times(caller, target, n)
    time.sleep(0.5)
    after = proc.memory_info().rss / 2**20
    return before, after, after - before


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--call-seconds", type=float, default=10.0)
    args = ap.parse_args()
    rows: list[tuple[str, str, str]] = []
    callee = CliPeer(["--user", "bob", "--auto-answer", "--tone", "1000", "--codec", "G722/16000"], "bob")
    caller = CliPeer(["--user", "alice", "--tone", "600", "--codec", "G722/16000"], "alice")
    bare = None
    try:
        idle = psutil.Process(caller.proc.pid).memory_info().rss / 2**20
        rows.append(("engine RSS idle (caller process)", f"{idle:.1f} MB", "goal < 120 MB"))
        t200, tconf = setup_times(caller, callee.uri, 20)
        rows.append(("setup engine->engine, to 200 OK (median/p95)", _mp(t200), "20 calls"))
        rows.append(("setup engine->engine, to confirmed (median/p95)", _mp(tconf), ""))
        if shutil.which("baresip"):
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "interop"))
            from test_baresip_engine import Baresip

            bare = Baresip(Path(tempfile.mkdtemp(prefix="bench-baresip-")))
            b200, _ = setup_times(caller, bare.uri, 20)
            rows.append(("setup engine->baresip, to 200 OK (median/p95)", _mp(b200), "20 calls"))
            ratio = statistics.median(t200) / statistics.median(b200)
            rows.append(("  ratio engine callee / baresip callee", f"{ratio:.2f}", "setup to 200 OK"))
        r = cpu_rss_during_call(caller, callee.uri, args.call_seconds, None)
        rows.append(
            (f"CPU in a {r['codec']} call (caller engine)", f"{r['cpu'][0]:.1f} % of a core", "goal < 5 %")
        )
        rows.append(("RSS in the call (caller engine)", f"{r['rss'][0]:.1f} MB", f"MOS {r['mos']}"))
        if bare is not None:
            rb = cpu_rss_during_call(caller, bare.uri, args.call_seconds, psutil.Process(bare.proc.pid))
            cpu = f"{rb['cpu'][0]:.1f} % / {rb['cpu'][1]:.1f} %"
            note = "baresip: ausine 48k + resampler"
            rows.append((f"CPU in a {rb['codec']} call: engine / baresip", cpu, note))
            rss = f"{rb['rss'][0]:.1f} / {rb['rss'][1]:.1f} MB"
            rows.append(("RSS in that call: engine / baresip", rss, ""))
        before, after, growth = rss_growth(caller, callee.uri, args.calls)
        rows.append(
            (
                f"RSS after {args.calls} sequential calls",
                f"{before:.1f} -> {after:.1f} MB",
                f"growth {growth:+.2f} MB (goal < 5 MB)",
            )
        )
    finally:
        caller.quit()
        callee.quit()
        caller.kill()
        callee.kill()
        if bare is not None:
            bare.stop()
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'value':<26} note")
    print("-" * (width + 50))
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:<26} {note}")
    return 0


def _mp(values: list[float]) -> str:
    s = sorted(values)
    p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
    return f"{statistics.median(s):.1f} / {p95:.1f} ms"


if __name__ == "__main__":
    sys.exit(main())
