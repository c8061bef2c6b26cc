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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "softphone"))

from softphone.testing import Baresip, DemoServer  # noqa: E402

GOAL_IDLE_MB = 120


def smaps_rollup(pid: int) -> dict[str, float]:
    """Rss and Pss of a process in MB (Linux ``/proc/<pid>/smaps_rollup``)."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss", "Pss_Anon", "Pss_File"):
            out[key] = int(rest.split()[0]) / 1024
    return out


def by_mapping(pid: int, top: int = 25) -> list[tuple[str, float]]:
    """Rss per mapped file (anonymous memory as ``[anon]``), largest first, in MB."""
    sizes: dict[str, float] = {}
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and ":" not in head[0]:
            name = Path(head[5]).name if len(head) > 5 else "[anon]"
        elif head and head[0] == "Rss:":
            sizes[name] = sizes.get(name, 0.0) + int(head[1]) / 1024
    return sorted(sizes.items(), key=lambda kv: -kv[1])[:top]


def run_app(
    server: DemoServer, work: Path, calls: int, env: dict[str, str], *, mappings: bool = False
) -> list[dict[str, object]]:
    """Run the app's self-test; each step's line gets the process's Rss/Pss read from outside."""
    profile = work / f"profile-{time.monotonic_ns()}"
    cmd = [
        sys.executable, "-m", "ui.app", "--profile", str(profile), "--server", server.url,
        "--language", "en", "--self-test", "--login", "0901000101", "--password", "agent101",
        "--test-call", "102", "--expect-hz", "440", "--calls", str(calls),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    err: list[str] = []
    threading.Thread(target=lambda: err.extend(proc.stderr or ()), daemon=True).start()
    steps: list[dict[str, object]] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if not line.startswith("{"):
            continue
        step = json.loads(line)
        try:
            step.update(smaps_rollup(proc.pid))
            # the keyring helper (softphone.secrets.KeyringProcess) lives a few seconds after each use
            kids = psutil.Process(proc.pid).children(recursive=True)
            step["helper_Rss"] = sum(k.memory_info().rss for k in kids) / 2**20
            if mappings and step["step"] in ("started", "registered", "idle_after_calls"):
                step["mappings"] = by_mapping(proc.pid)
        except (OSError, psutil.Error):
            pass
        steps.append(step)
    code = proc.wait(timeout=60 + 15 * calls)
    if code != 0:
        raise RuntimeError(f"self-test failed ({code}): {steps[-3:]}\n{''.join(err)[-2000:]}")
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


def spread(values: list[float]) -> str:
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3, help="app runs; the table shows median (min-max)")
    ap.add_argument("--mappings", action="store_true", help="print Rss per mapped file of the last run")
    ap.add_argument("--growth-from", type=int, default=5, help="count growth per call from this call on")
    ap.add_argument("--no-peer", action="store_true", help="skip baresip")
    ap.add_argument("--sound-device", action="store_true", help="real PortAudio devices (private PulseAudio)")
    args = ap.parse_args()
    runs: list[list[dict[str, object]]] = []
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
                for _ in range(args.runs):
                    runs.append(run_app(server, work, args.calls, env, mappings=args.mappings))
                use_peer = shutil.which("baresip") and not args.no_peer
                peer = baresip_rss(server, work, args.calls) if use_peer else None
            finally:
                agent.quit()
                agent.kill()
        finally:
            server.stop()
            if pulse is not None:
                audio_env.stop_pulse(pulse)

    def values(step: str, key: str) -> list[float]:
        return [float(s[key]) for r in runs for s in r if s["step"] == step and key in s]  # type: ignore[arg-type]

    def growth(key: str) -> list[float]:
        """KB per call from call ``--growth-from`` to the last (the first calls load codecs and warm caches;
        History holds the newest ``HISTORY_ROWS`` calls: count past them to see a leak)."""
        out: list[float] = []
        for r in runs:
            calls = [s for s in r if s["step"] == "call" and key in s]
            first = min(args.growth_from - 1, len(calls) - 1)
            if len(calls) - 1 > first:
                late, early = float(calls[-1][key]), float(calls[first][key])  # type: ignore[arg-type]
                out.append((late - early) / (len(calls) - 1 - first) * 1024)
        return out

    audio = "PortAudio on PulseAudio" if args.sound_device else "null audio device"
    print(f"\ndesktop app ({audio}), offscreen, {len(runs)} runs: median (min-max); load {os.getloadavg()}")
    print(f"{'':<34} {'app Rss MB':>22} {'app Pss MB':>22} {'baresip MB':>11}")
    rows = [
        ("first window (before login)", "started", None),
        ("logged in", "logged_in", None),
        ("activated", "activated", None),
        ("idle after login, registered", "registered", peer[0] if peer else None),
        (f"idle after {args.calls} calls", "idle_after_calls", peer[1] if peer else None),
    ]
    for label, step, theirs in rows:
        other = f"{theirs:.1f}" if theirs else ""
        print(f"{label:<34} {spread(values(step, 'Rss')):>22} {spread(values(step, 'Pss')):>22} {other:>11}")
    helpers = [v for step in ("registered", "idle_after_calls") for v in values(step, "helper_Rss")]
    if any(helpers):
        print(f"child processes (keyring helper) at those steps: {spread(helpers)} MB Rss")
    for key, what in (("Rss", "Rss"), ("Pss_Anon", "anonymous (heap) Pss"), ("Pss_File", "file-backed Pss")):
        if g := growth(key):
            span = f"from call {args.growth_from} to call {args.calls}"
            print(f"growth of {what} {span}: {spread(g)} KB per call")
    print(f"goal: <= {GOAL_IDLE_MB} MB idle after login, no growth over many calls")
    if args.mappings:
        for s in runs[-1]:
            if "mappings" in s:
                print(f"\nRss by mapping at {s['step']}:")
                for name, mb in s["mappings"]:  # type: ignore[attr-defined]
                    print(f"  {mb:7.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
