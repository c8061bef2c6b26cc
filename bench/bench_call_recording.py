"""What recording two-party calls costs: N calls whose media is anchored in rtpengine (the SDP rewritten by
``CallAnchor`` as the PBX would send it), with and without the recording (subscriptions + our mixer writing
one WAV per call), against the same N calls relayed phone to phone... which cost the server nothing.

    .venv/bin/python bench/bench_call_recording.py --calls 25 50 100 --seconds 8

rtpengine's CPU from /proc/<pid>/stat; this process (probes + recorder) with ``time.process_time``, so the
recorder's own cost is the ``recorded`` row minus the ``anchored`` row.  Probe legs send PCMU at 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.media.call_recording import CallAnchor, CallRecorders, recording_policy
from server.media.engine import RtpEngine
from server.media.rtp_probe import ProbeLeg, pace, pcmu_tone, remote_of
from server.sip.address import Address
from server.sip.message import SipRequest, SipResponse
from server.sip.parser import parse_message

TICK = os.sysconf("SC_CLK_TCK")
PHONE = Address("udp", "127.0.0.1", 5099)


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def invite(call_id: str, sdp: str) -> SipRequest:
    msg = parse_message(
        (
            "INVITE sip:102@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKb\r\n"
            "From: <sip:101@bench>;tag=a\r\nTo: <sip:102@bench>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(sdp)}\r\n\r\n{sdp}"
        ).encode()
    )
    assert isinstance(msg, SipRequest)
    return msg


def ok(call_id: str, sdp: str) -> SipResponse:
    msg = parse_message(
        (
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKb\r\n"
            "From: <sip:101@bench>;tag=a\r\nTo: <sip:102@bench>;tag=b\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(sdp)}\r\n\r\n{sdp}"
        ).encode()
    )
    assert isinstance(msg, SipResponse)
    return msg


async def run(mode: str, calls: int, seconds: float, engine: RtpEngine, rec_dir: Path) -> dict[str, float]:
    recorders = CallRecorders(engine, rec_dir)
    anchor = CallAnchor(engine, recorders, recording_policy(["*"]))
    legs: list[ProbeLeg] = []
    for n in range(calls):
        a, b = ProbeLeg("127.0.0.1", 700, pcmu_tone(700)), ProbeLeg("127.0.0.1", 1200, pcmu_tone(1200))
        await a.open()
        await b.open()
        legs += [a, b]
        if mode == "direct":
            a.remote, b.remote = ("127.0.0.1", b.port), ("127.0.0.1", a.port)
            continue
        call_id = f"{mode}-{n}-{time.monotonic()}"
        inv = invite(call_id, a.sdp())
        assert anchor.wants(inv, PHONE)
        await anchor.rewrite(inv)
        b.remote = remote_of(inv.body.decode())
        resp = ok(call_id, b.sdp())
        if mode == "anchored":
            anchor.calls[call_id].recording = True  # answer without starting the recording
        assert anchor.wants(resp, PHONE)
        await anchor.rewrite(resp)
        a.remote = remote_of(resp.body.decode())
    await asyncio.sleep(0.5)
    await pace(legs, 1.0)  # warm-up: latching, first packets
    for leg in legs:
        leg.stats.received = leg.stats.gaps = leg.stats.late = 0
        leg.sent = 0
    engine_0, ours_0, wall_0 = proc_cpu(engine.pid or 0), time.process_time(), time.monotonic()
    await pace(legs, seconds)
    await asyncio.sleep(0.1)
    wall = time.monotonic() - wall_0
    engine_cpu = (proc_cpu(engine.pid or 0) - engine_0) / wall * 100
    ours = (time.process_time() - ours_0) / wall * 100
    sent = sum(leg.sent for leg in legs)
    received = sum(leg.stats.received for leg in legs)
    late = sum(leg.stats.late for leg in legs)
    for call_id in list(anchor.calls):
        await anchor._end(call_id, "bench")
    await recorders.close()
    for leg in legs:
        leg.close()
    return {
        "engine": engine_cpu,
        "ours": ours,
        "received": 100.0 * received / max(1, sent),
        "lost": float(sum(leg.stats.lost for leg in legs)),
        "late": 100.0 * late / max(1, received),
        "wavs": float(len(list(rec_dir.glob("*.wav")))),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    engine = RtpEngine(port_min=49000, port_max=49999)
    await engine.start()
    print("| mode | calls | legs | rtpengine CPU % | this process CPU % | received % | lost | late % |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    try:
        for calls in args.calls:
            for mode in ("direct", "anchored", "recorded"):
                with tempfile.TemporaryDirectory() as tmp:
                    r = await run(mode, calls, args.seconds, engine, Path(tmp))
                engine_cpu = r["engine"] if mode != "direct" else 0.0
                print(
                    f"| {mode} | {calls} | {2 * calls} | {engine_cpu:.1f} | {r['ours']:.1f} | "
                    f"{r['received']:.1f} | {r['lost']:.0f} | {r['late']:.2f} |",
                    flush=True,
                )
    finally:
        await engine.stop()


if __name__ == "__main__":
    asyncio.run(main())
