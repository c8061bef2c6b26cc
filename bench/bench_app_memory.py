"""Resident memory of the desktop app: idle after login, and growth over many calls.

The real app (``python -m ui.app``, offscreen Qt, a fresh profile) runs its own ``--self-test`` against
``softphone-server run --demo``: it logs in through its widgets, activates, registers, then calls extension
102 (a ``softphone-cli`` that answers with 440 Hz) ``--calls`` times, recording and checking each call. The
self-test prints the process's RSS at each step. The peer, measured in the same run, is baresip registered to
the same PBX (idle RSS, and after the same number of calls to 102).

Run: ``.venv/bin/python bench/bench_app_memory.py [--calls 30] [--sound-device]`` (``--sound-device`` opens
PortAudio devices on a private PulseAudio, as a desktop user has them; the default is pjsua2's null device).
Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "softphone"))

from softphone.testing import Baresip, DemoServer  # noqa: E402

GOAL_IDLE_MB = 120


def run_app(server: DemoServer, work: Path, calls: int, env: dict[str, str]) -> list[dict[str, object]]:
    cmd = [
        sys.executable, "-m", "ui.app", "--profile", str(work / "profile"), "--server", server.url,
        "--language", "en", "--self-test", "--login", "0901000101", "--password", "agent101",
        "--test-call", "102", "--expect-hz", "440", "--calls", str(calls),
    ]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60 + 15 * calls, cwd=ROOT)
    steps = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    if r.returncode != 0:
        raise RuntimeError(f"self-test failed ({r.returncode}): {steps[-3:]}\n{r.stderr[-2000:]}")
    return steps


def baresip_rss(server: DemoServer, work: Path, calls: int) -> tuple[float, float]:
    account = f'<sip:103@demo.local>;auth_pass=demo103;outbound="sip:{server.registrar}";regint=600'
    b = Baresip(work / "baresip", source="ausine,1000", account=account, codecs=("g722", "g711"))
    try:
        b.wait_registered()
        time.sleep(2)
        proc = psutil.Process(b.proc.pid)
        idle = proc.memory_info().rss / 2**20
        for _ in range(calls):
            mark = len(b.events)
            b.command("dial", "sip:102@demo.local")
            b.wait_for(lambda e, m=mark: e.get("type") == "CALL_ESTABLISHED" and b.events.index(e) >= m, 20)
            time.sleep(2)
            b.command("hangup")
            b.wait_for(lambda e, m=mark: e.get("type") == "CALL_CLOSED" and b.events.index(e) >= m, 20)
        time.sleep(2)
        return idle, proc.memory_info().rss / 2**20
    finally:
        b.stop()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--sound-device", action="store_true", help="real PortAudio devices (private PulseAudio)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        pulse = None
        if args.sound_device:
            import audio_env

            pulse = audio_env.start_pulse(work / "pulse")
            env.update(pulse.env)
        else:
            env["SOFTPHONE_NULL_AUDIO"] = "1"
        server = DemoServer(work / "server", media=False)
        server.start()
        try:
            agent = server.agent("102", "--wait", "--auto-answer", "0.3", "--tone", "440")
            try:
                steps = run_app(server, work, args.calls, env)
                peer = baresip_rss(server, work, args.calls) if shutil.which("baresip") else None
            finally:
                agent.quit()
                agent.kill()
        finally:
            server.stop()
            if pulse is not None:
                audio_env.stop_pulse(pulse)
    by = {s["step"]: s for s in steps}
    calls = [s for s in steps if s["step"] == "call"]
    idle = float(by["registered"]["rss_mb"])  # type: ignore[arg-type]
    after = float(by["idle_after_calls"]["rss_mb"])  # type: ignore[arg-type]
    early = float(calls[min(4, len(calls) - 1)]["rss_mb"])  # type: ignore[arg-type]
    late = float(calls[-1]["rss_mb"])  # type: ignore[arg-type]
    per_call = (late - early) / max(1, len(calls) - 1 - min(4, len(calls) - 1)) * 1024
    audio = "PortAudio on PulseAudio" if args.sound_device else "null audio device"
    print(f"\ndesktop app ({audio}), offscreen; shared 2-core machine: figures move between runs")
    print(f"{'':<40} {'app MB':>8} {'baresip MB':>11} {'app/baresip':>12}")
    rows = [
        ("first window (before login)", float(by["started"]["rss_mb"]), None),  # type: ignore[arg-type]
        ("idle after login, registered", idle, peer[0] if peer else None),
        (f"idle after {len(calls)} calls", after, peer[1] if peer else None),
    ]
    for label, mine, theirs in rows:
        ratio = f"{mine / theirs:.1f}x" if theirs else ""
        other = f"{theirs:.1f}" if theirs else ""
        print(f"{label:<40} {mine:>8.1f} {other:>11} {ratio:>12}")
    print(f"growth from call 5 to call {len(calls)}: {per_call:.0f} KB per call")
    print(f"goal: <= {GOAL_IDLE_MB} MB idle after login, no growth over many calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
