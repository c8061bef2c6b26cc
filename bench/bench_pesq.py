"""Speech quality end to end: PESQ-WB and level of the same speech sent over G.722 through our PBX.

The product as shipped: ``softphone-server run --demo``; a recording baresip registered as 103 (its
``sndfile`` module dumps what it decodes) answers every call. The same reference speech is sent to it by

* baresip as 102 (``aufile`` source): the peer, measured in the same run;
* ``softphone-cli`` as 101 playing the file into the call (``--play``: pjsua2's player on the conference
  bridge);
* baresip as 102 capturing from a private PulseAudio (its ALSA ``pulse`` source), the reference played into
  that PulseAudio's "mic" sink: the peer of the microphone rows;
* ``softphone-cli`` as 101 on the sound device bridge, the reference played the same way (the desktop app's
  microphone path: PortAudio, the bridge's FIFOs and echo canceller), with and without echo cancellation.

The receive path, baresip (102) sending the same file to ``softphone-cli`` (101), is measured per stage: the
engine tap (what the conference bridge hands to the sound device: decoder, jitter buffer, bridge), once with
the null sound device and once with the sound device bridge, and in that same call what PortAudio played into
the private PulseAudio's "speaker" sink (parec from its monitor). Beside each receiving call: the jitter
buffer's playout figures (frames made up when it ran empty or a packet was lost or late, frames dropped),
since every one shifts the audio in time and PESQ punishes that; on this shared 2-core machine they follow
the load. "PulseAudio alone" (pacat into a null sink, parec from its monitor, no call) is the harness's own
ceiling for the PulseAudio rows. With ``--runs N`` a last table gives each row's median (min-max).

Each recording is aligned to the reference by cross-correlation, then scored with PESQ (ITU-T P.862.2
wide-band, the ``pesq`` package) at 16 kHz. The level is the active speech level (20 ms frames within 35 dB of
the loudest) in dBFS. The reference is natural speech (the 16 kHz sample Debian's linphone-common ships) or
synthetic speech (espeak-ng, English; ``--reference espeak``), at -26 dBFS active level.

Run: ``.venv/bin/python bench/bench_pesq.py [--runs 3]`` (needs baresip, espeak-ng, sox; pulseaudio for
the microphone and speaker rows). Not a test: it prints a table with ratios against baresip.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "softphone"))

import audio_env  # noqa: E402

from softphone.testing import Baresip, CliPeer, DemoServer  # noqa: E402

RATE = 16000
TARGET_DBFS = -26.0
# 10.6 s of natural speech at 16 kHz that Debian's linphone-common ships (installed with linphone-cli).
NATURAL = Path("/usr/share/sounds/linphone/hello16000.wav")
TEXT = (
    "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
    "It is easy to tell the depth of a well. These days a chicken leg is a rare dish. "
    "Rice is often served in round bowls."
)


def read_mono(path: Path) -> np.ndarray:
    """Float samples (-1..1) at 16 kHz, whatever the file's rate and channels."""
    with wave.open(str(path), "rb") as w:
        rate, ch, raw = w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    if rate != RATE:
        n = round(len(x) * RATE / rate)
        x = np.interp(np.linspace(0, len(x) - 1, n), np.arange(len(x)), x)
    return x


def write_mono(path: Path, x: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())


def active_level_dbfs(x: np.ndarray) -> float:
    """RMS of the 20 ms frames within 35 dB of the loudest one (a simple P.56-like active speech level)."""
    frame = RATE // 50
    n = len(x) // frame
    if n == 0:
        return float("-inf")
    power = (x[: n * frame].reshape(n, frame) ** 2).mean(axis=1)
    db = 10 * np.log10(power + 1e-20)
    active = power[db > db.max() - 35]
    return float(10 * np.log10(active.mean() + 1e-20))


def make_reference(work: Path, kind: str) -> Path:
    if kind == "natural":
        x = read_mono(NATURAL)
    else:
        raw = work / "espeak.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), TEXT], check=True)
        resampled = work / "espeak16.wav"
        subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(resampled)], check=True)
        x = read_mono(resampled)
    x = x * 10 ** ((TARGET_DBFS - active_level_dbfs(x)) / 20)
    pad = np.zeros(RATE // 2)
    ref = work / "reference.wav"
    write_mono(ref, np.concatenate([pad, x, pad]))
    return ref


def aligned(ref: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """The stretch of ``deg`` that lines up with ``ref`` (cross-correlation), as long as ``ref``."""
    n = 1 << int(np.ceil(np.log2(len(ref) + len(deg))))
    corr = np.fft.irfft(np.fft.rfft(deg, n) * np.conj(np.fft.rfft(ref, n)), n)
    lag = int(np.argmax(corr[: len(deg)]))
    out = deg[lag : lag + len(ref)]
    return np.pad(out, (0, len(ref) - len(out)))


def score(ref_path: Path, recorded: Path, later: bool = False) -> tuple[float, float]:
    """PESQ-WB and level of the best-aligned copy of the reference in ``recorded``; ``later``: of its later
    copy (the receive rows' recordings hold the reference twice and every stage of a call has the later one
    complete, so all stages are scored on the same audio)."""
    from pesq import pesq

    ref = read_mono(ref_path)
    deg = read_mono(recorded)
    if later:  # the first copy starts at the call's start or later: skipping half of it leaves the later one
        deg = deg[len(ref) // 2 :]
    deg = aligned(ref, deg)
    return float(pesq(RATE, ref, deg, "wb")), active_level_dbfs(deg)


def write_raw(raw: Path, wav: Path) -> Path:
    """parec's raw int16 mono recording as a WAV."""
    write_mono(wav, audio_env.read_raw(raw) / 32768.0)
    return wav


def listener(
    server: DemoServer, extension: str, root: Path, player: str = "alsa,null", play_rate: int = 48000,
    env: dict[str, str] | None = None,
) -> Baresip:
    """A baresip registered as ``extension`` that answers every call and sends silence back (the sender's
    echo canceller never sees double talk); it plays what it decodes with ``player``."""
    account = (
        f'<sip:{extension}@demo.local>;auth_pass=demo{extension};outbound="sip:{server.registrar}";'
        "regint=600;answermode=auto"
    )
    silence = root.parent / "silence.wav"
    if not silence.exists():
        write_mono(silence, np.zeros(RATE * 60))
    b = Baresip(
        root, source=f"aufile,{silence}", account=account, codecs=("g722",), player=player,
        play_rate=play_rate, env=env,
    )
    b.wait_registered()
    return b


def recorder(server: DemoServer, work: Path) -> Baresip:
    return listener(server, "103", work / "recorder")


def newest_dump(b: Baresip, before: set[Path]) -> Path:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        files = set(b.root.glob("dump-*-dec.wav")) - before
        if files:
            return max(files, key=lambda p: p.stat().st_mtime)
        time.sleep(0.2)
    raise RuntimeError("the recording baresip wrote no dump")


def wait_closed(b: Baresip, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while sum(e.get("type") == "CALL_CLOSED" for e in b.events) < count:
        if time.monotonic() > deadline:
            raise TimeoutError("call did not end")
        time.sleep(0.1)


def send_with_cli(
    server: DemoServer, args: list[str], seconds: float, env: dict[str, str] | None = None
) -> None:
    peer = CliPeer(
        [
            "--account", "101:demo101@demo.local", "--registrar", server.registrar,
            "--proxy", server.registrar, "--codec", "G722/16000", *args,
        ],
        name="sender101",
        env=env,
    )
    try:
        peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
        cid = peer.command("make_call", account_id="main", target="103")
        peer.wait_state("confirmed", cid, timeout=20)
        time.sleep(seconds)
        peer.command("hangup", call_id=cid)
        peer.wait_state("disconnected", cid, timeout=20)
    finally:
        peer.quit()
        peer.kill()


def reference_twice(ref: Path, work: Path) -> tuple[Path, float]:
    """The reference twice in a row and how long a call sending it lasts (see ``receive_with_cli``)."""
    twice = work / "reference-twice.wav"
    once = read_mono(ref)
    write_mono(twice, np.concatenate([once, once]))
    return twice, 2 * len(once) / RATE + 1


def call_from_baresip(
    server: DemoServer, target: str, source: Path | str, seconds: float, root: Path,
    before_end: Callable[[], None] = lambda: None, env: dict[str, str] | None = None,
) -> None:
    """baresip as 102 sends ``source`` (a WAV file, or a baresip audio source such as ``alsa,pulse``) to
    ``target`` for ``seconds``; ``before_end`` runs 2 s before the hangup (baresip hangs up when its file
    ends: a second before the speech ends)."""
    account = f'<sip:102@demo.local>;auth_pass=demo102;outbound="sip:{server.registrar}";regint=600'
    spec = source if isinstance(source, str) else f"aufile,{source}"
    b = Baresip(root, source=spec, account=account, codecs=("g722",), env=env)
    try:
        b.wait_registered()
        b.command("dial", f"sip:{target}@demo.local")
        b.wait_for(lambda e: e.get("type") == "CALL_ESTABLISHED", timeout=20)
        time.sleep(seconds - 2.0)
        before_end()
        time.sleep(2.0)
        b.command("hangup")
        b.wait_for(lambda e: e.get("type") == "CALL_CLOSED", timeout=20)
    finally:
        b.stop()


def receive_with_cli(
    server: DemoServer, ref: Path, work: Path, pulse: audio_env.PulseServer | None = None
) -> tuple[Path, Path | None, dict[str, object], dict[str, int] | None]:
    """baresip (102) sends the reference to softphone-cli (101), which records what it decodes at the
    conference bridge (the engine tap, ``--record-heard``). With ``pulse`` the CLI also plays it through the
    sound device bridge (PortAudio) into that PulseAudio's "speaker" null sink, recorded from its monitor in
    the same call. Returns the engine tap, the speaker recording (or None), the call's stats (the jitter
    buffer's playout figures) and the sound device bridge's counters, read just before the end.

    The reference is sent twice in a row and each recording is scored on its later copy: the speaker
    recording lacked the first ~1.7 s of the call's audio (its complete copy lines up sample-exactly with the
    engine tap; scored on the first, cut-off copy it read as PESQ ~2). The engine taps were scored on their
    best-aligned copy until a jitter-buffer glitch in the later copy only showed in the speaker row (the taps'
    notes give that best-copy score too). The bridge's counters show its speaker
    FIFO dropping ~1.7 s within the CLI's first 2 s: PortAudio's ALSA output into PulseAudio does not pull for
    ~1.9 s after the stream starts, and this CLI is called right after it started. The app keeps its streams
    running from start, so its calls do not lose their start (tests/softphone/test_engine_sound_device.py);
    the speaker row's note shows the drops, the score does not.
    """
    twice, seconds = reference_twice(ref, work)
    tag = "pulse" if pulse is not None else "null"
    heard = work / f"heard-{tag}.wav"
    env = None
    args = [
        "--account", "101:demo101@demo.local", "--registrar", server.registrar,
        "--proxy", server.registrar, "--codec", "G722/16000", "--wait", "--auto-answer",
        "--record-heard", str(heard),
    ]
    if pulse is not None:
        env = dict(pulse.env)
        args += ["--sound-device", "--audio-input", "pulse", "--audio-output", "pulse"]
    speaker_raw = work / f"speaker-{tag}.raw"
    stats: dict[str, object] = {}
    bridge: dict[str, int] | None = None
    peer = CliPeer(args, name=f"receiver101{tag}", env=env)
    try:
        peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
        rec = pulse.start_recording("speaker.monitor", speaker_raw) if pulse is not None else None

        def read_counters() -> None:
            nonlocal stats, bridge
            call_id = peer.wait_for(lambda e: e["event"] == "IncomingCall", 20)["call_id"]
            stats = peer.command("call_stats", call_id=call_id)
            bridge = peer.command("sound_stats")

        call_from_baresip(server, "101", twice, seconds, work / f"sender-in-{tag}", read_counters)
        if pulse is not None and rec is not None:
            time.sleep(0.3)
            pulse.stop_helper(rec)
    finally:
        peer.quit()
        peer.kill()
    speaker = write_raw(speaker_raw, work / f"speaker-{tag}.wav") if pulse is not None else None
    return heard, speaker, stats, bridge


def receive_with_baresip(server: DemoServer, ref: Path, work: Path) -> tuple[Path, Path] | None:
    """The peer of the speaker row: the same call path (baresip 102 sends the reference twice over G.722 to
    101), answered by baresip as 101 playing with its own ALSA player into the ALSA ``pulse`` device, i.e.
    the same private PulseAudio "speaker" null sink, recorded from its monitor like the app's. Returns what
    baresip decoded (``sndfile``) and the speaker recording; None without pulseaudio."""
    if not audio_env.pulse_available():
        return None
    twice, seconds = reference_twice(ref, work)
    pulse = audio_env.start_pulse(work / "pulse-baresip")
    raw = work / "speaker-baresip.raw"
    try:
        b = listener(
            server, "101", work / "receiver-baresip", player="alsa,pulse", play_rate=RATE, env=pulse.env
        )
        try:
            rec = pulse.start_recording("speaker.monitor", raw)
            call_from_baresip(server, "101", twice, seconds, work / "sender-to-baresip")
            time.sleep(0.3)
            pulse.stop_helper(rec)
            decoded = newest_dump(b, set())
        finally:
            b.stop()
    finally:
        audio_env.stop_pulse(pulse)
    return decoded, write_raw(raw, work / "speaker-baresip.wav")


def bridge_note(bridge: dict[str, int] | None) -> str:
    """The sound device bridge's speaker FIFO in ms: silence handed out (underruns), audio dropped (trims)."""
    if not bridge:
        return ""
    ms = RATE * 2 // 1000
    return (
        f"speaker FIFO: {bridge['speaker_underrun_bytes'] // ms} ms short,"
        f" {bridge['speaker_overrun_bytes'] // ms} ms dropped; stream errors {bridge['stream_errors']}"
        f" ({bridge['speaker_underflows']} output underflows)"
    )


def playout(stats: dict[str, object]) -> str:
    """The jitter buffer's playout figures of a receiving call, as a table note."""
    if not stats:
        return ""
    return (
        f"jb {stats['jb_delay_ms']} ms, made up {stats['jb_empty']} empty + {stats['jb_lost']} lost,"
        f" dropped {stats['jb_discarded']}"
    )


def tap_note(ref: Path, heard: Path, stats: dict[str, object]) -> str:
    """An engine tap's playout figures and its best-aligned copy's score (the row scores the later copy)."""
    return f"{playout(stats)}; best copy {score(ref, heard)[0]:.3f}"


def send_through_microphone(
    server: DemoServer, ref: Path, seconds: float, work: Path, extra: tuple[str, ...] = ()
) -> bool:
    if not audio_env.pulse_available():
        return False
    pulse = audio_env.start_pulse(work / f"pulse{len(extra)}")
    try:
        env = dict(pulse.env)
        samples = (read_mono(ref) * 32767).astype("<i2")
        loops = np.tile(samples, 3)  # the microphone hears the reference over and over
        player = pulse.play_tone_into("mic", loops)
        args = ["--sound-device", "--audio-input", "pulse", "--audio-output", "pulse", *extra]
        send_with_cli(server, args, seconds, env)
        pulse.stop_helper(player)
    finally:
        audio_env.stop_pulse(pulse)
    return True


def baresip_through_microphone(server: DemoServer, ref: Path, seconds: float, work: Path) -> bool:
    """The peer of the microphone rows: baresip as 102 capturing with its ALSA source from the same private
    PulseAudio "mic" the app records from (baresip has no echo canceller loaded)."""
    if not audio_env.pulse_available():
        return False
    pulse = audio_env.start_pulse(work / "pulse-baresip-mic")
    try:
        samples = (read_mono(ref) * 32767).astype("<i2")
        player = pulse.play_tone_into("mic", np.tile(samples, 3))
        call_from_baresip(server, "103", "alsa,pulse", seconds, work / "sender-mic", env=dict(pulse.env))
        pulse.stop_helper(player)
    finally:
        audio_env.stop_pulse(pulse)
    return True


def pulse_alone(ref: Path, work: Path) -> Path | None:
    """The reference through the private PulseAudio only (pacat into "mic", parec from its monitor): what
    the microphone rows lose before our code sees the audio."""
    if not audio_env.pulse_available():
        return None
    pulse = audio_env.start_pulse(work / "pulse-alone")
    raw = work / "pulse-alone.raw"
    try:
        rec = pulse.start_recording("mic.monitor", raw)
        time.sleep(0.5)
        player = pulse.play_tone_into("mic", (read_mono(ref) * 32767).astype("<i2"))
        player.wait(timeout=60)
        time.sleep(0.5)
        pulse.stop_helper(rec)
    finally:
        audio_env.stop_pulse(pulse)
    return write_raw(raw, work / "pulse-alone.wav")


Row = tuple[str, float, float, str]  # label, PESQ-WB, active level dBFS, note


def one_run(work: Path, kind: str) -> list[Row]:
    ref = make_reference(work, kind)
    seconds = len(read_mono(ref)) / RATE
    server = DemoServer(work / "server", media=False)
    server.start()
    rows: list[Row] = []
    try:
        rec = recorder(server, work)
        try:
            ref_level = active_level_dbfs(read_mono(ref))
            rows.append(("reference file", float("nan"), ref_level, ""))
            closed = 0
            cases = [
                (
                    "baresip (aufile) -> PBX -> baresip",
                    lambda: call_from_baresip(server, "103", ref, seconds + 1, work / "sender"),
                ),
                (
                    "softphone-cli --play -> PBX -> baresip",
                    lambda: send_with_cli(server, ["--play", str(ref)], 2 * seconds + 1),
                ),
                (
                    "baresip mic (ALSA pulse source) -> PBX -> baresip",
                    lambda: baresip_through_microphone(server, ref, 2 * seconds + 1, work),
                ),
                (
                    "softphone mic (sound device bridge) -> PBX -> baresip",
                    lambda: send_through_microphone(server, ref, 2 * seconds + 1, work),
                ),
                (
                    "  same, echo cancellation off",
                    lambda: send_through_microphone(
                        server, ref, 2 * seconds + 1, work, ("--no-echo-cancel",)
                    ),
                ),
            ]
            for label, send in cases:
                before = set(rec.root.glob("dump-*-dec.wav"))
                if send() is False:
                    print(f"skipped: {label} (pulseaudio not installed)")
                    continue
                closed += 1
                wait_closed(rec, closed)
                mos, level = score(ref, newest_dump(rec, before))
                rows.append((label, mos, level, ""))
            heard, _, stats, _ = receive_with_cli(server, ref, work)
            mos, level = score(ref, heard, later=True)
            label = "baresip -> PBX -> softphone-cli (engine tap)"
            rows.append((label, mos, level, tap_note(ref, heard, stats)))
            if audio_env.pulse_available():
                pulse = audio_env.start_pulse(work / "pulse-receive")
                try:
                    heard, speaker, stats, bridge = receive_with_cli(server, ref, work, pulse)
                finally:
                    audio_env.stop_pulse(pulse)
                mos, level = score(ref, heard, later=True)
                rows.append(("  --sound-device: engine tap", mos, level, tap_note(ref, heard, stats)))
                assert speaker is not None
                mos, level = score(ref, speaker, later=True)
                label = "  same call: speaker (PortAudio -> PulseAudio -> parec)"
                rows.append((label, mos, level, bridge_note(bridge)))
            peer = receive_with_baresip(server, ref, work)
            if peer is not None:
                mos, level = score(ref, peer[0], later=True)
                rows.append(("baresip -> PBX -> baresip (decoded, sndfile)", mos, level, ""))
                mos, level = score(ref, peer[1], later=True)
                rows.append(("  same call: speaker (ALSA -> PulseAudio -> parec)", mos, level, ""))
            alone = pulse_alone(ref, work)
            if alone is not None:
                mos, level = score(ref, alone)
                rows.append(("PulseAudio alone (pacat -> parec, no call)", mos, level, ""))
        finally:
            rec.stop()
    finally:
        server.stop()
    return rows


@contextlib.contextmanager
def cpu_load(processes: int, limit_s: float) -> Iterator[None]:
    """``processes`` busy loops (Python spinning) while the block runs; each also ends by itself after
    ``limit_s``, so none outlives an interrupted run."""
    spin = f"import time\nend = time.monotonic() + {limit_s}\nwhile time.monotonic() < end:\n    pass\n"
    procs = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(processes)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument(
        "--reference", choices=("natural", "espeak"), default="natural" if NATURAL.exists() else "espeak",
        help="natural speech (linphone-common's sample) or synthetic (espeak-ng)",
    )
    ap.add_argument(
        "--load", type=int, default=0, metavar="N",
        help="N busy-loop processes running during the runs (a loaded machine), each stopping by itself "
        "after 10 min per run",
    )
    args = ap.parse_args()
    for tool in ("baresip", "espeak-ng", "sox"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed")
            return 1
    scores: dict[str, list[float]] = {}
    loads: list[float] = []
    with cpu_load(args.load, 600.0 * args.runs):
        for run in range(1, args.runs + 1):
            start_load = os.getloadavg()[0]
            with tempfile.TemporaryDirectory(prefix="bench-pesq-") as tmp:
                rows = one_run(Path(tmp), args.reference)
            loads.append(os.getloadavg()[0])
            print_run(run, args.reference, args.load, (start_load, loads[-1]), rows, scores)
    if args.runs > 1:
        print(
            f"\nPESQ-WB over {args.runs} runs: median (min-max); 1-min load average at the runs' ends"
            f" {statistics.median(loads):.1f} ({min(loads):.1f}-{max(loads):.1f}), --load {args.load}"
        )
        for label, values in scores.items():
            print(f"{label:<56} {statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})")
    print("goal: PESQ-WB >= 3.54 at the source's level (shared 2-core machine: figures move between runs)")
    return 0


def print_run(
    run: int, reference: str, extra_load: int, load: tuple[float, float], rows: list[Row],
    scores: dict[str, list[float]],
) -> None:
    """One run's table; adds its scores to ``scores`` (per row label)."""
    peer = next((r for r in rows if r[0].startswith("baresip")), None)
    print(
        f"\nrun {run}: PESQ-WB (P.862.2) and active level, {reference} speech, G.722 through"
        f" softphone-server --demo; 1-min load average {load[0]:.1f} at start, {load[1]:.1f} at end"
        f" (--load {extra_load})"
    )
    print(f"{'path':<56} {'PESQ-WB':>8} {'level dBFS':>11} {'vs baresip':>16}  playout")
    for label, mos, level, note in rows:
        ratio = "" if peer is None or mos != mos else f"{mos / peer[1]:.3f}x {level - peer[2]:+.1f} dB"
        shown = "" if mos != mos else f"{mos:.3f}"
        print(f"{label:<56} {shown:>8} {level:>11.1f} {ratio:>16}  {note}")
        if mos == mos:
            scores.setdefault(label, []).append(mos)


if __name__ == "__main__":
    sys.exit(main())
