"""Added round-trip latency of the sounddevice bridge, measured through a private PulseAudio server.

The first bridge row is the engine's defaults as shipped (softphone/config.py: conference frame, PortAudio
block and jitter allowance, echo cancellation on); the others vary one setting. Each row also counts what a
listener would hear as a dropout during the measurement: playback underruns, microphone frames the
conference got no audio for, and PortAudio stream errors.

A probe port inside pjsua2's conference bridge sends a short 1 kHz burst every half second into
``SoundDeviceBridge``; the bridge plays it on the "speaker" null sink, whose monitor is the bridge's
microphone, so the burst comes back into the conference and to the probe. The delay between sending and
hearing the burst is the round trip. The same probe connected to a pure-Python echo port (no sound device)
gives the conference bridge's own delay; the difference is what the sounddevice bridge adds.

Run: ``.venv/bin/python bench/bench_audio_latency.py [--clicks 20]`` (needs pulseaudio + pulseaudio-utils).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "softphone"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import audio_env

from softphone.config import AUDIO_BLOCK_MS, AUDIO_JITTER_MS, FRAME_MS

RATE = 16000
FRAME = RATE * FRAME_MS // 1000
PERIOD_FRAMES = 500 // FRAME_MS  # one burst every 0.5 s
BURST = (0.5 * 32767 * np.sin(2 * np.pi * 1000 * np.arange(160) / RATE)).astype("<i2")  # 10 ms


def run_probe(
    ep: object, target: object, clicks: int, warmup_s: float, on_measure: Callable[[], None] = lambda: None
) -> list[float]:
    """Send ``clicks`` bursts through ``target`` (an AudioMedia that loops audio back); latencies in ms.
    ``on_measure`` runs when the warm-up is over and the measurement starts."""
    import pjsua2 as pj

    class Probe(pj.AudioMediaPort):
        def __init__(self) -> None:
            super().__init__()
            self.tick = 0
            self.sent: list[int] = []  # sample index at which each burst started
            self.received: list[bytes] = []
            self.active = False

        def onFrameRequested(self, frame: pj.MediaFrame) -> None:
            out = np.zeros(FRAME, dtype="<i2")
            if self.active and self.tick % PERIOD_FRAMES == 0 and len(self.sent) < clicks:
                out[: len(BURST)] = BURST
                self.sent.append(self.tick * FRAME)
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
            frame.buf = pj.ByteVector(out.tobytes())
            frame.size = FRAME * 2
            self.tick += 1

        def onFrameReceived(self, frame: pj.MediaFrame) -> None:
            if self.active:
                data = bytes(frame.buf) if frame.size else bytes(FRAME * 2)
                # Keep the stream aligned with the tick counter of onFrameRequested.
                self.received.append(data)

    probe = Probe()
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, RATE, 1, FRAME_MS * 1000, 16)
    probe.createPort("probe", fmt)
    probe.startTransmit(target)
    target.startTransmit(probe)
    deadline = time.monotonic() + warmup_s
    while time.monotonic() < deadline:
        ep.libHandleEvents(10)
    probe.tick = 0
    probe.active = True
    on_measure()
    deadline = time.monotonic() + clicks * 0.5 + 1.5
    while time.monotonic() < deadline:
        ep.libHandleEvents(10)
    probe.active = False
    probe.stopTransmit(target)
    target.stopTransmit(probe)
    rx = np.frombuffer(b"".join(probe.received), dtype="<i2").astype(np.float64)
    sent = list(probe.sent)
    del probe
    return detect_delays(rx, sent)


def detect_delays(rx: np.ndarray, sent: list[int]) -> list[float]:
    """For each sent burst, the delay (ms) to the first loud sample after it (within one period)."""
    threshold = 0.25 * 0.5 * 32767
    loud = np.abs(rx) > threshold
    delays = []
    period = PERIOD_FRAMES * FRAME
    for start in sent:
        window = loud[start : start + period]
        hits = np.flatnonzero(window)
        if len(hits):
            delays.append(hits[0] * 1000.0 / RATE)
    return delays


def _dropouts(before: object, after: object) -> str:
    """Playback underrun (ms of silence handed out once primed), starved mic frames, stream errors."""
    a, b = before, after
    under = b.speaker_underrun_bytes - a.speaker_underrun_bytes  # type: ignore[attr-defined]
    under_ms = under / (RATE * 2 / 1000)
    starved = b.mic_starved_frames - a.mic_starved_frames  # type: ignore[attr-defined]
    errors = b.stream_errors - a.stream_errors  # type: ignore[attr-defined]
    return f"{under_ms:.0f} / {starved} / {errors}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    if not audio_env.pulse_available():
        print("pulseaudio/pulseaudio-utils not installed")
        return 1
    root = Path(tempfile.mkdtemp(prefix="bench-audio-"))
    pulse = audio_env.start_pulse(root)
    try:
        pulse.pactl("set-default-source", "speaker.monitor")
        os.environ.update(pulse.env)
        import pjsua2 as pj

        from softphone.audio import SoundDeviceBridge

        ep = pj.Endpoint()
        ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = False
        cfg.logConfig.level = 1
        cfg.logConfig.consoleLevel = 1
        cfg.medConfig.clockRate = RATE
        cfg.medConfig.audioFramePtime = FRAME_MS
        ep.libInit(cfg)
        ep.audDevManager().setNullDev()
        ep.libStart()

        class Echo(pj.AudioMediaPort):
            def __init__(self) -> None:
                super().__init__()
                self.last = bytes(FRAME * 2)

            def onFrameRequested(self, frame: pj.MediaFrame) -> None:
                frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
                frame.buf = pj.ByteVector(self.last)
                frame.size = len(self.last)

            def onFrameReceived(self, frame: pj.MediaFrame) -> None:
                if frame.size:
                    self.last = bytes(frame.buf)

        rows = []
        echo = Echo()
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, RATE, 1, FRAME_MS * 1000, 16)
        echo.createPort("echo", fmt)
        base = run_probe(ep, echo, args.clicks, 0.5)
        rows.append(("conference bridge only (echo port)", base, None, ""))
        del echo

        grid = (
            ("defaults", AUDIO_BLOCK_MS, AUDIO_JITTER_MS, True),
            ("no echo cancellation", AUDIO_BLOCK_MS, AUDIO_JITTER_MS, False),
            ("", 5, 10, True),
            ("", 10, 20, True),
        )
        for name, block_ms, jitter, aec in grid:
            bridge = SoundDeviceBridge.create(
                True, clock_rate=RATE, block_ms=block_ms, jitter_ms=jitter, echo_cancellation=aec
            )
            problem = bridge.open("pulse", "pulse")
            if problem is not None:
                print("device problem:", problem.reason)
                return 1
            marks = []
            delays = run_probe(
                ep, bridge.media, args.clicks, args.warmup, lambda b=bridge, m=marks: m.append(b.stats)
            )
            dropouts = _dropouts(marks[0], bridge.stats)
            aec_text = "on" if aec else "off"
            label = f"bridge {name + ': ' if name else ''}block {block_ms}, jitter {jitter}, AEC {aec_text}"
            rows.append((label, delays, bridge.stream_latency(), dropouts))
            bridge.destroy()
            del bridge

        base_med = statistics.median(base) if base else float("nan")
        print()
        print(f"conference frame {FRAME_MS} ms; shared 2-core machine: figures move between runs")
        header = f"{'path':<58} {'n':>3} {'median ms':>9} {'min':>6} {'max':>6} {'added ms':>8}"
        print(header + "  PortAudio in/out ms  dropouts (underrun ms / starved frames / errors)")
        for label, delays, lat, dropouts in rows:
            if not delays:
                print(f"{label:<58} {0:>3} {'(no echo detected)':>9}")
                continue
            med = statistics.median(delays)
            added = "" if lat is None else f"{med - base_med:8.1f}"
            pa_lat = "" if lat is None else "/".join(f"{x * 1000:.0f}" for x in lat if x is not None)
            print(
                f"{label:<58} {len(delays):>3} {med:9.1f} {min(delays):6.1f} {max(delays):6.1f} {added:>8}"
                f"  {pa_lat:>19}  {dropouts}"
            )
        print("goal: added round trip <= 60 ms at the defaults, no dropouts")
        ep.libDestroy()
    finally:
        audio_env.stop_pulse(pulse)
    return 0


if __name__ == "__main__":
    sys.exit(main())
