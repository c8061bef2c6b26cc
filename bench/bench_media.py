"""Media legs vs CPU on this box: hold music, echo and one conference room on the PBX's feature UAS over
rtpengine (the room mixed by our numpy mixer in its own process: "mixer CPU"), and the peer
row, rtpengine alone relaying the same number of legs (plain offer/answer between two probe legs, no feature
logic, no Python anywhere in its path).

The callers are `--workers` subprocesses of this script (asyncio RTP probes, `server/media/rtp_probe.py`),
so the engine's CPU and the server's CPU are measured apart from the load generator's: rtpengine from
/proc/<pid>/stat, the server (this process: UAS + ng client) with ``time.process_time``.  At the callers:
packets received vs expected, lost (sequence gaps no later packet filled), reordered, late (> 60 ms after the

The ``transcode`` row is N/2 two-leg calls relayed by rtpengine between a G.722-only leg and a PCMU-only leg
(what the call center's agent bridge does when the agent's phone takes only PCMU): rtpengine decodes and
encodes every packet both ways.  The G.722 side sends arbitrary 160-byte payloads (no G.722 encoder here;
the decoder's cost does not depend on the content); loss and lateness are counted at both receivers.

Run: ``.venv/bin/python bench/bench_media.py [--legs 100,200,300,400] [--seconds 8] [--workers 4]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.media.engine import NgClient, RtpEngine  # noqa: E402
from server.media.feature_calls import ECHO_TEST, HOLD_MUSIC, FeatureCalls  # noqa: E402
from server.media.ng import Value  # noqa: E402
from server.media.prompts import ensure_prompts  # noqa: E402
from server.media.rtp_probe import ProbeLeg, SipProbe, pace, pcmu_tone, remote_of  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


# ---------------------------------------------------------------------------------------------- worker
async def worker(mode: str, count: int, target: tuple[str, int], seconds: float) -> dict[str, float]:
    tones = pcmu_tone(700.0)
    wideband = [bytes((i * 37 + j) & 0xFF for j in range(160)) for i in range(50)]  # see the docstring
    legs: list[ProbeLeg] = []
    for i in range(count * (2 if mode in ("relay", "transcode") else 1)):
        if mode == "transcode" and i % 2 == 0:
            leg = ProbeLeg("127.0.0.1", 0.0, wideband, codec=(9, "G722/8000"))
        else:
            leg = ProbeLeg("127.0.0.1", 700.0, tones)
        await leg.open()
        legs.append(leg)
    setup_failed = 0
    sip: SipProbe | None = None
    ng: NgClient | None = None
    if mode in ("relay", "transcode"):
        ng = NgClient(target)
        await ng.open()
        for i in range(count):
            a, b = legs[2 * i], legs[2 * i + 1]
            cid = f"relay-{os.getpid()}-{i}"
            params: dict[str, Value] = {"call-id": cid, "from-tag": "a", "sdp": a.sdp()}
            if mode == "transcode":  # offer the PCMU side PCMU too: it answers PCMU, rtpengine transcodes
                params["codec"] = {"transcode": ["PCMU"]}
            offer = await ng.command("offer", params)
            answer = await ng.command(
                "answer", {"call-id": cid, "from-tag": "a", "to-tag": "b", "sdp": b.sdp()}
            )
            b.remote = remote_of(str(offer["sdp"]))
            a.remote = remote_of(str(answer["sdp"]))
    else:
        sip = SipProbe(target)
        await sip.open()
        number = {"echo": ECHO_TEST, "moh": HOLD_MUSIC, "conference": "*801"}[mode]
        for leg in legs:
            call = await sip.invite(number, leg)
            setup_failed += call.status != 200
    await asyncio.sleep(1.0)  # all workers set up (and the echo's beep is over) before measuring
    for leg in legs:
        leg.stats.received = leg.stats.gaps = leg.stats.late = leg.stats.reordered = 0
        leg.stats.last_at = None
        leg.sent = 0
    started = time.monotonic()
    await pace(legs, seconds)  # hold callers send too (a real phone does; the engine drops it)
    await asyncio.sleep(0.3)
    music = int(len(legs) * (time.monotonic() - started) / 0.02)
    expected = music if mode in ("moh", "conference") else sum(leg.sent for leg in legs)
    result = {
        "legs": len(legs),
        "expected": expected,
        "received": sum(leg.stats.received for leg in legs),
        "lost": sum(leg.stats.lost for leg in legs),
        "reordered": sum(leg.stats.reordered for leg in legs),
        "late": sum(leg.stats.late for leg in legs),
        "setup_failed": setup_failed,
    }
    if sip is not None:
        for call in list(sip.calls.values()):
            sip.bye(call)
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.3)
        sip.close()
    if ng is not None:
        for i in range(count):
            await ng.command("delete", {"call-id": f"relay-{os.getpid()}-{i}", "from-tag": "a"})
        ng.close()
    for leg in legs:
        leg.close()
    return result


# ------------------------------------------------------------------------------------------------ main
async def run_row(
    mode: str, legs: int, workers: int, seconds: float, calls: FeatureCalls, engine: RtpEngine
) -> dict[str, float | str]:
    per = [legs // workers + (1 if i < legs % workers else 0) for i in range(workers)]
    if mode in ("relay", "transcode"):
        per = [max(1, n // 2) for n in per]  # each relay call is two legs
        target = ("127.0.0.1", engine.ng_port)
    else:
        target = (calls.host, calls.port)
    assert engine.pid is not None
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--worker",
            mode,
            str(n),
            f"{target[0]}:{target[1]}",
            str(seconds),
            stdout=asyncio.subprocess.PIPE,
        )
        for n in per
        if n
    ]
    await asyncio.sleep(1.0 + 0.01 * legs)  # set-up
    mixer_pid = calls.mixer.pid if calls.mixer is not None else None
    mixer_cpu0 = proc_cpu(mixer_pid) if mixer_pid else 0.0
    engine_cpu0, server_cpu0, wall0 = proc_cpu(engine.pid), time.process_time(), time.monotonic()
    await asyncio.sleep(seconds * 0.8)
    engine_cpu = proc_cpu(engine.pid) - engine_cpu0
    mixer_cpu = proc_cpu(mixer_pid) - mixer_cpu0 if mixer_pid else 0.0
    server_cpu = time.process_time() - server_cpu0
    wall = time.monotonic() - wall0
    outs = [json.loads((await p.communicate())[0]) for p in procs]
    total = {k: sum(o[k] for o in outs) for k in outs[0]}
    return {
        "mode": mode,
        "requested": legs,
        "legs": total["legs"],
        "engine_cpu": 100 * engine_cpu / wall,
        "server_cpu": 100 * server_cpu / wall,
        "mixer_cpu": 100 * mixer_cpu / wall,
        "received": 100 * total["received"] / max(1, total["expected"]),
        "lost": total["lost"],
        "reordered": total["reordered"],
        "late": 100 * total["late"] / max(1, total["received"]),
        "setup_failed": total["setup_failed"],
    }


async def main(args: argparse.Namespace) -> None:
    engine = RtpEngine(port_min=45000, port_max=49999)
    await engine.start()
    prompts = Path(args.prompts) if args.prompts else Path(tempfile.mkdtemp())
    calls = FeatureCalls(engine, ensure_prompts(prompts), limit=10_000)
    await calls.start()
    rows = []
    try:
        for legs in [int(n) for n in args.legs.split(",") if n]:
            for mode in args.modes.split(","):
                row = await run_row(mode, legs, args.workers, args.seconds, calls, engine)
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
                if row["setup_failed"]:
                    print(f"{row['setup_failed']} calls not answered in that row", file=sys.stderr)
                await asyncio.sleep(1.0)
        if args.conference:
            row = await run_row("conference", args.conference, args.workers, args.seconds, calls, engine)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    finally:
        await calls.stop()
        await engine.stop()
    peer = {int(r["requested"]): float(r["engine_cpu"]) for r in rows if r["mode"] == "relay"}
    cores, secs = os.cpu_count(), args.seconds
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nmedia legs on {cores} cores, {secs:.0f} s per row, {args.workers} callers, load {load}\n")
    print(
        "| mode | legs | rtpengine CPU % | vs relay | server CPU % | mixer CPU % | received % | lost"
        " | reordered | late % |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        base = peer.get(int(r["requested"]))
        ratio = float(r["engine_cpu"]) / base if base else float("nan")  # nan: no relay row
        print(
            f"| {r['mode']} | {r['legs']} | {r['engine_cpu']:.1f} | {ratio:.2f} | {r['server_cpu']:.1f} "
            f"| {r['mixer_cpu']:.1f} "
            f"| {r['received']:.1f} | {r['lost']} | {r['reordered']} | {r['late']:.2f} |"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        mode, count, target, seconds = sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
        host, port = target.rsplit(":", 1)
        print(json.dumps(asyncio.run(worker(mode, count, (host, int(port)), seconds))))
    else:
        parser = argparse.ArgumentParser()
        parser.add_argument("--legs", default="100,200,300,400")
        parser.add_argument("--seconds", type=float, default=8.0)
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--modes", default="moh,echo,relay", help="also: transcode")
        parser.add_argument("--conference", type=int, default=50, help="members of one room (0: no row)")
        parser.add_argument("--prompts", help="a directory with your own moh.wav (default: generated)")
        asyncio.run(main(parser.parse_args()))
