"""Sound devices: the pjsua2 <-> sounddevice (PortAudio) bridge, the ringer and device lists.

Theory of operation
-------------------
The Linux pjsua2 wheel has no sound-device backend, so the engine runs pjsua2 on its null sound device (whose
clock thread drives the conference bridge) and connects calls to a :class:`SoundDeviceBridge`, an
``AudioMediaPort``. Two clocks meet here: pjmedia's conference clock calls ``onFrameReceived`` (audio to
play) and ``onFrameRequested`` (microphone audio wanted) once per frame (``frame_ms``, 10 ms by default),
while PortAudio calls our stream callbacks on its own threads at the sound card's pace. Between them sit two
:class:`ByteRing` FIFOs; every callback only copies bytes (plus one tiny RMS for the level meters), so
neither side can stall the other.
Latency stays bounded (see bench_audio_latency.py): once a second each FIFO drops the audio it held all that
second (``SlackTrim``: what no burst of either clock needed, e.g. after the clocks drifted or a stream started
late), so it settles at the depth the bursts really need; a generous cap only stops runaway growth.  The
speaker's drop waits for a pause between words (up to 3 s): a cut inside speech shifts it mid-word.
The playback side waits for ``jitter_ms`` of audio after every underrun to absorb the bursts of both clocks.
The microphone side instead waits up to 3 ms (``CAPTURE_WAIT_S``) on the clock thread for a block that is
just late, once per shortage: the trim keeps only 1 ms of slack, so a capture block a little later than any in
the last second otherwise became a silent frame (the bench's call: 0-16 such starve-then-cut cycles in 20 s,
PESQ-WB 3.2-4.0; with the wait, none or one, 3.96-4.03).
On the speaker, underruns in quick succession raise the depth the trim keeps (for about 30 s), as a jitter
buffer adapts: on a loaded machine trimming to the edge made the FIFO starve and refill every second or two.

When no device can be opened the bridge still works: ``open()`` returns an ``AudioDeviceProblem`` (never
raises), the microphone side produces silence and received audio is only metered. Calls connect regardless.

Echo cancellation: pjsua2's canceller (``AudDevManager.setEcOptions`` / ``MediaConfig.ecTailLen``) is
attached to pjsua's *sound-device* port only; with the null device and this bridge it never runs. So the
bridge cancels echo itself with libspeexdsp (:mod:`softphone.echo_canceller`): the output callback also copies
every block it plays into a :class:`PlaybackHistory`, and the input callback queues the microphone in a
``capture`` FIFO. On pjmedia's clock thread ``onFrameRequested`` moves every captured frame, in order (the
adaptive filter needs an unbroken stream), through the canceller into the usual mic FIFO. Each mic frame is
paired with the audio handed to the speaker when that frame was handed to us (stream positions: the offset
between the two streams' byte counts, resynchronised only when an xrun moves it), so the reference leads the
echo by the output + acoustic + input latency. speexdsp's adaptive filter (tail ``echo_tail_ms``, default
200 ms: it must cover that latency) and residual echo suppressor clean the frame before pjsua2 gets it.
That is one ctypes call pair per frame on pjmedia's clock thread (~0.1-0.3 ms, ``echo_stats``
measures it); the PortAudio callbacks still only copy bytes. ``SoundDeviceBridge.create(...,
echo_cancellation=False)`` turns it off. Without libspeexdsp (Debian ``libspeexdsp1``; a PyInstaller build
must carry it next to the executable on macOS/Windows) the bridge works without it and
:meth:`SoundDeviceBridge.health` reports "echo cancellation unavailable: libspeexdsp not found". The audio
server's canceller (PulseAudio ``module-echo-cancel``, PipeWire ``echo-cancel``, the OS communications
device) remains an alternative; do not stack both.

Hot-plug: PortAudio only enumerates devices in ``Pa_Initialize``; rescanning means ``sd._terminate()`` +
``sd._initialize()``, which is only safe with no stream open. :meth:`SoundDeviceBridge.refresh_devices` closes
its streams (and the ringer's), rescans, and reopens the same devices by name. :func:`device_fingerprint` is a
cheap probe (Linux ``/dev/snd``) the engine may poll to know when to refresh.

Threading: ``create``/``open``/``close``/``destroy``/``refresh_devices`` belong to the engine thread (the
one that owns the pjsua2 Endpoint); frame callbacks run on pjmedia's clock thread, stream callbacks on
PortAudio's.
"""

from __future__ import annotations

import ctypes
import logging
import math
import operator
import os
import sys
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pjsua2 as pj

from softphone.config import AUDIO_BLOCK_MS, AUDIO_JITTER_MS, FRAME_MS
from softphone.echo_canceller import (
    DEFAULT_TAIL_MS,
    UNAVAILABLE_REASON,
    EchoAlignment,
    EchoCanceller,
    EchoCancellerUnavailable,
    MicPreprocessor,
    PlaybackHistory,
    load_speexdsp,
)
from softphone.events import AudioDeviceProblem
from softphone.ringbuffer import ByteRing, SlackTrim
from softphone.tones import Pcm, chime, ringback, ringtone

log = logging.getLogger(__name__)

DeviceSpec = int | str | None
SPEAKER_QUIET_PEAK = 512  # 16-bit peak under which received audio counts as a pause (-36 dBFS)
# How long pjmedia's clock thread waits for a microphone block that is due any moment rather than send a
# silent frame (which shifts the speech a frame, and a second later the trim cuts a frame out of it).
CAPTURE_WAIT_S = 0.003
Direction = Literal["input", "output"]

ECHO_CANCELLATION_NOTE = (
    "Echo cancellation runs in the app (speexdsp). If libspeexdsp is missing, use the audio system's: "
    "the 'echo-cancel' source and sink (PulseAudio / PipeWire) or the OS communications device."
)


class DeviceNotFound(LookupError):
    """No sound device matches the requested name or index."""


@dataclass(frozen=True, slots=True)
class AudioDevice:
    index: int
    name: str
    hostapi: str
    inputs: int
    outputs: int
    default_in: bool
    default_out: bool
    default_samplerate: float


def load_sounddevice() -> ModuleType | None:
    """The sounddevice module, or None when the PortAudio library is missing (a device problem)."""
    first = "sounddevice" not in sys.modules
    try:
        import sounddevice
    except OSError as exc:  # libportaudio not installed
        log.warning("sounddevice unavailable: %s", exc)
        return None
    if first:
        release_alsa_plugins()
    return sounddevice


def release_alsa_plugins() -> None:
    """Unload the ALSA plugins PortAudio's device scan loaded (Linux), once it is done.

    ``Pa_Initialize`` opens every PCM the ALSA configuration defines to list it, which loads every plugin
    installed (libasound2-plugins: a52 brings ffmpeg's codecs, jack, oss, speex...): about 11 MB resident
    and 70 libraries that no call uses. alsa-lib frees its global configuration and unloads the unused
    plugins in ``snd_config_update_free_global`` (PortAudio calls it in ``Pa_Terminate``); open PCMs hold
    their own references, and the next ``snd_pcm_open`` loads only the plugin it needs.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        status = ctypes.CDLL("libasound.so.2").snd_config_update_free_global()
    except (OSError, AttributeError) as exc:
        log.debug("ALSA plugins not released: %s", exc)
        return
    if status != 0:
        log.debug("snd_config_update_free_global: %d", status)


def list_devices(sd: ModuleType | None = None) -> list[AudioDevice]:
    """Every PortAudio device with its channel counts and whether it is the default input/output."""
    sd = sd if sd is not None else load_sounddevice()
    if sd is None:
        return []
    try:
        raw: Any = sd.query_devices()
        hostapis: Any = sd.query_hostapis()
        default_in, default_out = _default_indices(sd)
    except sd.PortAudioError as exc:
        log.warning("query_devices failed: %s", exc)
        return []
    devices = []
    for d in raw:
        devices.append(
            AudioDevice(
                index=int(d["index"]),
                name=str(d["name"]),
                hostapi=str(hostapis[d["hostapi"]]["name"]),
                inputs=int(d["max_input_channels"]),
                outputs=int(d["max_output_channels"]),
                default_in=int(d["index"]) == default_in,
                default_out=int(d["index"]) == default_out,
                default_samplerate=float(d["default_samplerate"]),
            )
        )
    return devices


def _default_indices(sd: ModuleType) -> tuple[int, int]:
    dev = sd.default.device
    return int(dev[0]), int(dev[1])


def resolve_device(spec: DeviceSpec, direction: Direction, sd: ModuleType | None = None) -> int:
    """Index of the device named/numbered by ``spec`` (None = system default) usable for ``direction``.

    Names match exactly first, then case-insensitively as a substring (PortAudio names carry suffixes such as
    ", ALSA" or "(hw:1,0)" that users do not type).
    """
    sd = sd if sd is not None else load_sounddevice()
    if sd is None:
        raise DeviceNotFound("PortAudio is not available")
    devices = list_devices(sd)
    usable = [d for d in devices if (d.inputs if direction == "input" else d.outputs) > 0]
    if not usable:
        raise DeviceNotFound(f"no audio {direction} device found")
    if spec is None:
        for d in usable:
            if d.default_in if direction == "input" else d.default_out:
                return d.index
        return usable[0].index
    if isinstance(spec, int):
        for d in usable:
            if d.index == spec:
                return d.index
        raise DeviceNotFound(f"no audio {direction} device with index {spec}")
    for d in usable:
        if d.name == spec:
            return d.index
    lowered = spec.lower()
    for d in usable:
        if lowered in d.name.lower():
            return d.index
    raise DeviceNotFound(f"no audio {direction} device named {spec!r}")


def device_name(index: int | None, sd: ModuleType | None = None) -> str | None:
    if index is None:
        return None
    for d in list_devices(sd):
        if d.index == index:
            return d.name
    return None


def rescan_devices(sd: ModuleType) -> None:
    """Make PortAudio enumerate devices again. Only call with no stream open (use the bridge's refresh)."""
    sd._terminate()
    sd._initialize()
    release_alsa_plugins()


def device_fingerprint(dev_dir: Path = Path("/dev/snd")) -> tuple[str, ...]:
    """A cheap value that changes when sound hardware is plugged in or out (Linux); poll it."""
    try:
        return tuple(sorted(os.listdir(dev_dir)))
    except OSError:
        return ()


class MicLevelMeter:
    """RMS level of recent audio mapped to 0..1 on a dB scale (-60 dBFS -> 0, 0 dBFS -> 1).

    Rises immediately and falls by ``release_db_per_update`` per update, as VU meters do, so the UI can sample
    ``level`` at any rate. ``update`` is called from audio threads; the float store is atomic under the GIL.
    """

    def __init__(self, floor_db: float = -60.0, release_db_per_update: float = 1.5) -> None:
        self._floor_db = floor_db
        self._release = release_db_per_update
        self._db = floor_db
        self.level = 0.0

    def update(self, pcm: bytes | bytearray | memoryview) -> float:
        x = _samples(pcm)
        if len(x) == 0:
            return self.level
        power = sum(map(operator.mul, x, x)) / len(x)
        db = 10.0 * math.log10(power / (32767.0**2)) if power > 0 else self._floor_db
        db = max(self._floor_db, min(0.0, db))
        self._db = db if db >= self._db else max(db, self._db - self._release)
        self.level = (self._db - self._floor_db) / -self._floor_db
        return self.level

    def reset(self) -> None:
        self._db = self._floor_db
        self.level = 0.0


def _samples(pcm: bytes | bytearray | memoryview) -> Pcm:
    """int16 PCM bytes (native order, as PortAudio and pjmedia hand them) as ``array('h')``."""
    x = array("h")
    x.frombytes(pcm[: len(pcm) // 2 * 2])
    return x


def _mix_into(out: memoryview, tone: bytes) -> None:
    """Add ``tone`` (int16 PCM, as long as ``out``) to the int16 PCM in ``out``, clipping at full scale."""
    if out == bytes(len(out)):  # nothing else plays (ringback before the far end answers): a plain copy
        out[:] = tone
        return
    a, b = _samples(out), _samples(tone)
    out[:] = array("h", [max(-32768, min(32767, u + v)) for u, v in zip(a, b, strict=False)]).tobytes()


class _Loop:
    """Loops int16 PCM for a PortAudio callback (or mixes it into one); ``once`` plays it one time."""

    def __init__(self, samples: Pcm | bytes, *, once: bool = False) -> None:
        self._pcm = bytes(samples) if isinstance(samples, bytes | bytearray) else samples.tobytes()
        self._pos = 0
        self._once = once
        self.finished = False

    def take(self, n: int) -> bytes:
        """The next ``n`` samples as bytes (silence after the end of a ``once`` tone)."""
        want = 2 * n
        total = len(self._pcm)
        parts: list[bytes] = []
        filled = 0
        while filled < want and not self.finished and total:
            chunk = min(want - filled, total - self._pos)
            parts.append(self._pcm[self._pos : self._pos + chunk])
            filled += chunk
            self._pos = (self._pos + chunk) % total
            self.finished = self._once and self._pos == 0
        if filled < want:
            parts.append(bytes(want - filled))
        return b"".join(parts)


def _scaled(samples: Pcm, gain: float) -> Pcm:
    return array("h", [round(v * gain) for v in samples])


def _stream_extra_settings(sd: ModuleType, index: int) -> Any:
    # WASAPI shared mode does not resample by itself; ask it to, so the 16 kHz call rate opens everywhere.
    try:
        hostapi = sd.query_hostapis(sd.query_devices(index)["hostapi"])["name"]
    except (sd.PortAudioError, KeyError, IndexError):
        return None
    if "WASAPI" in str(hostapi):
        return sd.WasapiSettings(auto_convert=True)
    return None


class Ringer:
    """Plays the ringtone on its own output stream (often another device: loudspeaker, not headset)."""

    def __init__(self, sd: ModuleType | None = None, wav_path: Path | None = None) -> None:
        self._sd = sd
        self._wav_path = wav_path
        self._device: DeviceSpec = None
        self._stream: Any = None

    @property
    def device(self) -> DeviceSpec:
        return self._device

    @property
    def ringing(self) -> bool:
        return self._stream is not None

    def set_device(self, device: DeviceSpec) -> None:
        was_ringing = self.ringing
        self.stop()
        self._device = device
        if was_ringing:
            self.start()

    def start(
        self,
        samples: Callable[[int], Any] | None = None,
        *,
        wav_path: Path | None = None,
        volume: float = 1.0,
    ) -> AudioDeviceProblem | None:
        """Loop the ringtone (``samples(rate)``, else ``wav_path``, else the default WAV/generated one) at
        ``volume`` (0..1). Returns a problem or None."""
        if self._stream is not None:
            return None
        sd = self._sd if self._sd is not None else load_sounddevice()
        if sd is None:
            return AudioDeviceProblem("ringer: PortAudio (libportaudio2) is not installed")
        try:
            index = resolve_device(self._device, "output", sd)
            rate = int(sd.query_devices(index)["default_samplerate"]) or 48000
            tone = samples(rate) if samples is not None else ringtone(rate, wav_path or self._wav_path)
            gain = max(0.0, min(1.0, volume))
            if gain < 1.0:
                tone = _scaled(array("h", tone.tobytes()) if not isinstance(tone, array) else tone, gain)
            loop = _Loop(tone)

            def callback(outdata: Any, frames: int, _time: Any, _status: Any) -> None:
                outdata[:] = loop.take(frames)

            stream = sd.RawOutputStream(
                samplerate=rate,
                channels=1,
                dtype="int16",
                device=index,
                callback=callback,
                extra_settings=_stream_extra_settings(sd, index),
            )
            stream.start()
        except (DeviceNotFound, sd.PortAudioError, ValueError, OSError) as exc:
            return AudioDeviceProblem(f"ringer: cannot open output device or ringtone: {exc}")
        self._stream = stream
        return None

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()


@dataclass(frozen=True, slots=True)
class BridgeStats:
    frames_requested: int
    frames_received: int
    mic_overrun_bytes: int
    mic_underrun_bytes: int
    speaker_overrun_bytes: int
    speaker_underrun_bytes: int
    stream_errors: int  # callbacks of either stream that PortAudio flagged (xruns)
    speaker_underflows: int  # of those, output callbacks flagged output_underflow: the speaker ran dry
    mic_starved_frames: int


@dataclass(frozen=True, slots=True)
class EchoStats:
    """Echo canceller state and its cost on pjmedia's clock thread."""

    state: Literal["on", "off", "unavailable"]
    frames: int
    mean_us: float
    max_us: float


def _running_on(stream: Any, wanted: DeviceSpec, direction: Direction, sd: ModuleType | None) -> bool:
    """The stream is open, still running, on the device ``wanted`` names (index or name, resolved now)."""
    if stream is None or not stream.active or sd is None:
        return False
    try:
        return resolve_device(wanted, direction, sd) == stream.device
    except (DeviceNotFound, sd.PortAudioError, ValueError):
        return False


class _BridgeCore:
    """The FIFOs, meters and PortAudio callbacks.

    Kept apart from the pjsua2 port on purpose: sounddevice streams hold their callbacks in reference cycles
    that only the garbage collector frees, and if those callbacks referenced the port, the port could be
    destroyed after ``libDestroy`` (pjmedia asserts). Streams reference this object only.
    """

    def __init__(self, clock_rate: int, frame_ms: int, jitter_ms: int, block_ms: int) -> None:
        bytes_per_ms = clock_rate * 2 // 1000
        # What the speaker played, for the echo canceller's reference (1 s: far more than any sane latency).
        self.played = PlaybackHistory(1000 * bytes_per_ms)
        frame_bytes = frame_ms * bytes_per_ms
        self.jitter_bytes = jitter_ms * bytes_per_ms
        # Playback waits for one jitter allowance after an underrun and never holds more than one frame on top
        # of it: anything beyond is latency (the output stream started late, or the clocks drift), so the
        # oldest audio is dropped.
        self.prefill = self.jitter_bytes
        # The caps only stop runaway growth (a stalled consumer); SlackTrim keeps the usual depth low. A cap
        # near the usual depth dropped audio whenever a loaded machine delayed a callback by a few blocks.
        cap = frame_bytes + 6 * self.jitter_bytes
        self.spk = ByteRing(4 * frame_bytes + 8 * self.jitter_bytes, cap)
        self.mic = ByteRing(4 * frame_bytes + 8 * self.jitter_bytes, cap)
        # Each FIFO sheds, once a second, the audio it held all that second: latency no burst needed.
        # The speaker's drops wait for a pause between words (up to 3 s): a cut inside speech is heard.
        # The speaker's trim backs off: starving again within 3 s raises the margin it keeps by one block,
        # up to four, relaxing over about 30 s, so a loaded machine's bursts stop cutting and starving in
        # turn (two busy loops on this 2-core machine: speaker PESQ-WB median 3.93 without, 4.16 with it;
        # idle latency unchanged). The microphone's does not: at idle it starves a frame every few seconds,
        # and backing off there added a frame of latency.
        block_bytes = block_ms * bytes_per_ms
        self.spk_trim = SlackTrim(
            1000 // block_ms, margin=bytes_per_ms, quiet_peak=SPEAKER_QUIET_PEAK,
            backoff=block_bytes, max_margin=bytes_per_ms + 4 * block_bytes, relax_windows=30,
        )
        self.mic_trim = SlackTrim(1000 // frame_ms, margin=bytes_per_ms)
        # With echo cancellation the input callback fills ``capture`` instead, and the clock thread moves
        # every captured frame, in order, through the canceller into ``mic``: the adaptive filter must see
        # one unbroken stream, not the frames that survive ``mic``'s latency trimming.
        self.capture = ByteRing(15 * frame_bytes)
        self.cancel_echo = False
        self.primed = False
        # Replaced whole (never mutated) from the engine thread; the output callback reads it once per block.
        self.tone: _Loop | None = None
        self.mic_meter = MicLevelMeter()
        self.speaker_meter = MicLevelMeter()
        self.stream_errors = 0
        self.speaker_underflows = 0
        self.mic_starved_frames = 0
        self.captured = threading.Event()  # set after every input block
        self.capture_late = False  # the last frame found the microphone short even after waiting

    def on_input(self, indata: Any, _frames: int, _time: Any, status: Any) -> None:
        if status:
            self.stream_errors += 1
        chunk = bytes(indata)
        (self.capture if self.cancel_echo else self.mic).write(chunk)
        self.captured.set()
        self.mic_meter.update(chunk)

    def on_output(self, outdata: Any, frames: int, _time: Any, status: Any) -> None:
        if status:
            self.stream_errors += 1
            if status.output_underflow:
                self.speaker_underflows += 1
        out = memoryview(outdata).cast("B")
        if not self.primed and self.spk.available() >= max(self.prefill, self.spk_trim.margin):
            self.primed = True
        if self.primed:
            starved = self.spk.read_into(out) < len(out)
            self.spk_trim.after_read(self.spk, starved)
            if starved:
                self.primed = False
        else:
            out[:] = bytes(len(out))
        tone = self.tone
        if tone is not None:
            _mix_into(out, tone.take(frames))
            if tone.finished:
                self.tone = None
        self.played.write(out)

    def reset(self, *, mic: bool = True, speaker: bool = True) -> None:
        if mic:
            self.mic.clear()
            self.capture.clear()
            self.mic_meter.reset()
        if speaker:
            self.spk.clear()
            self.played.clear()
            self.primed = False


class SoundDeviceBridge(pj.AudioMediaPort):
    """An ``AudioMediaPort`` whose audio comes from / goes to PortAudio streams; see the module docstring.

    Usage on the engine thread (after ``libStart``, with ``audDevManager().setNullDev()``)::

        bridge = SoundDeviceBridge.create(True, clock_rate=ep_cfg.medConfig.clockRate)
        problem = bridge.open("pulse", "pulse")      # None, or an AudioDeviceProblem to emit
        call_media.startTransmit(bridge.media); bridge.media.startTransmit(call_media)
        ...
        bridge.destroy()   # before libDestroy; then drop the reference

    Echo cancellation is on by default (``echo_cancellation=False`` turns it off, ``echo_tail_ms`` sets the
    filter tail); ``echo_stats`` gives its state and cost, ``health()`` says when libspeexdsp is missing.
    """

    echo_cancellation_note = ECHO_CANCELLATION_NOTE

    def __init__(
        self,
        *,
        clock_rate: int = 16000,
        frame_ms: int = FRAME_MS,
        block_ms: int = AUDIO_BLOCK_MS,
        latency: float | str = "low",
        jitter_ms: int = AUDIO_JITTER_MS,
        sd: ModuleType | None = None,
        ringtone_wav: Path | None = None,
        echo_cancellation: bool = True,
        noise_suppression: bool = False,
        auto_gain: bool = False,
        echo_tail_ms: int = DEFAULT_TAIL_MS,
        speexdsp_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self._sd = sd if sd is not None else load_sounddevice()
        self.clock_rate = clock_rate
        self.frame_ms = frame_ms
        self.frame_bytes = clock_rate * frame_ms // 1000 * 2
        self._block = clock_rate * block_ms // 1000
        self._latency = latency
        self._core = _BridgeCore(clock_rate, frame_ms, jitter_ms, block_ms)
        self._in_stream: Any = None
        self._out_stream: Any = None
        self._in_spec: DeviceSpec = None
        self._out_spec: DeviceSpec = None
        self._created = False
        self._wanted = False  # open() was asked for (even if it failed) and close() was not
        self.ringer = Ringer(self._sd, ringtone_wav)
        self.frames_requested = 0
        self.frames_received = 0
        self.echo_cancellation = echo_cancellation
        self.echo_tail_ms = echo_tail_ms
        self._echo_align = EchoAlignment(self.clock_rate * 2 // 1000, 1000 // frame_ms)
        self._echo_realign = False  # set by the engine thread, acted on by the clock thread
        self._aec: EchoCanceller | None = None
        self._pre: MicPreprocessor | None = None  # noise suppression / AGC while echo cancellation is off
        self._aec_lock = threading.Lock()  # clock thread processes, engine thread resets/closes
        self._aec_reset = False
        self._aec_ns = 0
        self._aec_max_ns = 0
        self._speexdsp_names = speexdsp_names
        self.noise_suppression = noise_suppression
        self.auto_gain = auto_gain
        self.set_processing(
            echo_cancellation=echo_cancellation, noise_suppression=noise_suppression, auto_gain=auto_gain
        )

    def set_processing(self, *, echo_cancellation: bool, noise_suppression: bool, auto_gain: bool) -> None:
        """Turn echo cancellation, noise suppression and automatic gain on or off (engine thread)."""
        self.echo_cancellation = echo_cancellation
        self.noise_suppression = noise_suppression
        self.auto_gain = auto_gain
        frame_size = self.clock_rate * self.frame_ms // 1000
        with self._aec_lock:
            aec, pre = self._aec, self._pre
            wanted = echo_cancellation or noise_suppression or auto_gain
            lib = load_speexdsp(self._speexdsp_names) if wanted else None
            if wanted and lib is None:
                log.warning("%s", UNAVAILABLE_REASON)
            if echo_cancellation and lib is not None:
                if aec is None:
                    try:
                        aec = EchoCanceller(frame_size, self.clock_rate, self.echo_tail_ms, lib=lib)
                        self._echo_realign = True
                    except EchoCancellerUnavailable as exc:
                        log.warning("%s", exc)
                if aec is not None:
                    aec.set_options(noise_suppression=noise_suppression, auto_gain=auto_gain)
            elif aec is not None:
                aec.close()
                aec = None
            if pre is not None:
                pre.close()
                pre = None
            if aec is None and lib is not None and (noise_suppression or auto_gain):
                try:
                    pre = MicPreprocessor(
                        frame_size, self.clock_rate, noise_suppression=noise_suppression,
                        auto_gain=auto_gain, lib=lib,
                    )
                except EchoCancellerUnavailable as exc:
                    log.warning("%s", exc)
            self._aec, self._pre = aec, pre
            self._core.cancel_echo = aec is not None or pre is not None

    # ----------------------------------------------------------------- pjsua2 side (engine thread)

    @classmethod
    def create(
        cls, ep_thread_only: bool = True, *, name: str = "sounddevice", **options: Any
    ) -> SoundDeviceBridge:
        """Construct a bridge and create its pjmedia port (``options`` go to the constructor).

        ``ep_thread_only`` documents the contract rather than changing behaviour: like every pjsua2 call this
        must run on the thread that owns the Endpoint, after ``libStart``.
        """
        bridge = cls(**options)
        bridge.create_port(name)
        return bridge

    def create_port(self, name: str = "sounddevice") -> None:
        """Create the pjmedia port (once, on the Endpoint's thread, after ``libStart``)."""
        if self._created:
            return
        fmt = pj.MediaFormatAudio()
        fmt.init(pj.PJMEDIA_FORMAT_PCM, self.clock_rate, 1, self.frame_ms * 1000, 16)
        self.createPort(name, fmt)
        self._created = True

    @property
    def media(self) -> pj.AudioMedia:
        """The AudioMedia to connect calls, players and recorders to."""
        return self

    @property
    def mic_level(self) -> float:
        return self.mic_meter.level

    @property
    def input_open(self) -> bool:
        return self._in_stream is not None

    @property
    def output_open(self) -> bool:
        return self._out_stream is not None

    def onFrameRequested(self, frame: pj.MediaFrame) -> None:
        # pjmedia clock thread: hand over one frame of microphone audio (silence when there is none).
        self.frames_requested += 1
        core = self._core
        if self._in_stream is not None:
            self._await_capture()
        mic = core.mic
        if self._in_stream is not None and mic.available() >= self.frame_bytes:
            data = mic.read(self.frame_bytes)
            core.capture_late = False
            # What is left is latency unless the next bursts need it: the trim sheds what they never did.
            core.mic_trim.after_read(mic)
        else:
            # Whole silent frames rather than part-audio-part-zeros: a late capture block then shifts the
            # audio by one frame instead of chopping every frame (which encoders turn into a 50 Hz buzz).
            data = bytes(self.frame_bytes)
            if self._in_stream is not None:
                core.capture_late = True
                core.mic_starved_frames += 1
                core.mic_trim.after_read(mic, starved=True)
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        frame.buf = pj.ByteVector(data)
        frame.size = len(data)

    def _await_capture(self) -> None:
        """Bring the microphone FIFO up to a frame: drain the capture through the canceller and, when a block
        is still missing, wait for it up to ``CAPTURE_WAIT_S`` (not again until audio flows: a stalled or
        stopped stream must not hold the clock thread every frame)."""
        core = self._core
        deadline = time.monotonic() + CAPTURE_WAIT_S
        while True:
            core.captured.clear()
            if core.cancel_echo:
                self._drain_capture()
            if core.capture_late or core.mic.available() >= self.frame_bytes:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            core.captured.wait(left)

    def _drain_capture(self) -> None:
        capture = self._core.capture
        while capture.available() >= self.frame_bytes:
            start = capture.read_position
            frame = capture.read(self.frame_bytes)
            if self._out_stream is not None or self._pre is not None:
                frame = self._cancel_echo(frame, start, capture.read_position + capture.available())
            self._core.mic.write(frame)

    def _echo_reference(self, frame_start: int, captured: int) -> bytes:
        played = self._core.played
        if self._echo_realign:
            self._echo_realign = False
            self._echo_align.restart()
        offset, reset = self._echo_align.update(captured - played.written, self._core.stream_errors)
        if reset:
            self._aec_reset = True
        return played.read_at(frame_start - offset, self.frame_bytes)

    @property
    def echo_resyncs(self) -> int:
        """Times the echo canceller started over because the echo path moved."""
        return self._echo_align.resyncs

    @property
    def echo_shifts(self) -> int:
        """Times the echo alignment followed callback jitter (the canceller kept what it learnt)."""
        return self._echo_align.shifts

    def _cancel_echo(self, mic_frame: bytes, frame_start: int, captured: int) -> bytes:
        with self._aec_lock:
            aec = self._aec
            if aec is None:
                pre = self._pre
                return pre.process(mic_frame) if pre is not None else mic_frame
            started = time.perf_counter_ns()
            try:
                reference = self._echo_reference(frame_start, captured)
                if self._aec_reset:
                    self._aec_reset = False
                    aec.reset()
                cleaned = aec.process(mic_frame, reference)
            except Exception:  # never let the clock thread die; fall back to the raw microphone
                log.exception("echo canceller failed; disabled")
                self._aec = None
                self._core.cancel_echo = False
                aec.close()
                return mic_frame
            elapsed = time.perf_counter_ns() - started
        self._aec_ns += elapsed
        self._aec_max_ns = max(self._aec_max_ns, elapsed)
        return cleaned

    @property
    def echo_stats(self) -> EchoStats:
        aec = self._aec
        if aec is not None:
            state: Literal["on", "off", "unavailable"] = "on"
        else:
            state = "unavailable" if self.echo_cancellation else "off"
        frames = aec.frames if aec is not None else 0
        mean = self._aec_ns / frames / 1000 if frames else 0.0
        return EchoStats(state=state, frames=frames, mean_us=mean, max_us=self._aec_max_ns / 1000)

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:
        # pjmedia clock thread: one frame of what the user should hear.
        self.frames_received += 1
        if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO or frame.size == 0:
            return
        data = bytes(frame.buf)
        self._core.speaker_meter.update(data)
        if self._out_stream is not None:
            self._core.spk.write(data)

    @property
    def mic_meter(self) -> MicLevelMeter:
        return self._core.mic_meter

    @property
    def speaker_meter(self) -> MicLevelMeter:
        return self._core.speaker_meter

    @property
    def stats(self) -> BridgeStats:
        core = self._core
        return BridgeStats(
            frames_requested=self.frames_requested,
            frames_received=self.frames_received,
            mic_overrun_bytes=core.mic.overruns,
            mic_underrun_bytes=core.mic.underruns,
            speaker_overrun_bytes=core.spk.overruns,
            speaker_underrun_bytes=core.spk.underruns,
            stream_errors=core.stream_errors,
            speaker_underflows=core.speaker_underflows,
            mic_starved_frames=core.mic_starved_frames,
        )

    # ----------------------------------------------------------------- devices

    def open(
        self, input_device: DeviceSpec = None, output_device: DeviceSpec = None
    ) -> AudioDeviceProblem | None:
        """Open (or reopen) the input and output streams. Never raises: returns a problem to report, or None.

        Each side is opened independently; a missing microphone still lets the user hear, and vice versa. A
        side whose device is unchanged keeps its running stream: the app re-sends its devices at start-up and
        after every device change, and a restart mid-call starved the microphone for seconds (PortAudio's
        streams into PulseAudio do not run for ~1.9 s after a start). That stall is the idle null sink's (the
        headless test device): the first stream on it waits 1.7-1.95 s, one opened while another runs
        starts at once (measured 2026-12-07); a sound card's sink has not been measured here.
        """
        keep_in = _running_on(self._in_stream, input_device, "input", self._sd)
        keep_out = _running_on(self._out_stream, output_device, "output", self._sd)
        self._close_streams(keep_input=keep_in, keep_output=keep_out)
        self._in_spec, self._out_spec = input_device, output_device
        self._wanted = True
        sd = self._sd
        if sd is None:
            return AudioDeviceProblem("PortAudio (libportaudio2) is not installed: calls will be silent")
        problems = []
        if not keep_out:
            try:
                self._out_stream = self._open_stream(sd, "output", output_device)
            except (DeviceNotFound, sd.PortAudioError, ValueError) as exc:
                problems.append(f"speaker: {exc}")
        if not keep_in:
            try:
                self._in_stream = self._open_stream(sd, "input", input_device)
            except (DeviceNotFound, sd.PortAudioError, ValueError) as exc:
                problems.append(f"microphone: {exc}")
        if problems:
            reason = "; ".join(problems) + " — calls still connect, without that audio"
            log.warning("audio device problem: %s", reason)
            return AudioDeviceProblem(reason)
        return None

    def _open_stream(self, sd: ModuleType, direction: Direction, spec: DeviceSpec) -> Any:
        index = resolve_device(spec, direction, sd)
        cls = sd.RawInputStream if direction == "input" else sd.RawOutputStream
        stream = cls(
            samplerate=self.clock_rate,
            blocksize=self._block,
            channels=1,
            dtype="int16",
            device=index,
            latency=self._latency,
            callback=self._core.on_input if direction == "input" else self._core.on_output,
            extra_settings=_stream_extra_settings(sd, index),
        )
        try:
            stream.start()
        except sd.PortAudioError:
            stream.close()
            raise
        log.info("%s stream open on %r (latency %.1f ms)", direction, spec, stream.latency * 1000)
        return stream

    def stream_latency(self) -> tuple[float | None, float | None]:
        """(input, output) latency PortAudio reports for the open streams, in seconds."""
        i = self._in_stream.latency if self._in_stream is not None else None
        o = self._out_stream.latency if self._out_stream is not None else None
        return i, o

    def health(self) -> AudioDeviceProblem | None:
        """A problem when a stream that was opened has stopped (device unplugged); poll it from the engine."""
        for name, stream in (("microphone", self._in_stream), ("speaker", self._out_stream)):
            if stream is not None and not stream.active:
                return AudioDeviceProblem(f"{name} stream stopped (device removed?)")
        if self.echo_cancellation and self._aec is None:
            return AudioDeviceProblem(UNAVAILABLE_REASON)
        return None

    def close(self) -> None:
        """Stop and close the streams; the port keeps working (silence)."""
        self._wanted = False
        self._close_streams()

    def _close_streams(self, *, keep_input: bool = False, keep_output: bool = False) -> None:
        if keep_input and keep_output:
            return
        for attr, keep in (("_in_stream", keep_input), ("_out_stream", keep_output)):
            if keep:
                continue
            stream = getattr(self, attr)
            setattr(self, attr, None)
            if stream is not None:
                try:
                    stream.stop()
                    stream.close()
                except Exception as exc:  # a vanished device may fail to close; never propagate
                    log.warning("closing stream: %s", exc)
        self._core.reset(mic=not keep_input, speaker=not keep_output)
        # Other devices, another acoustic path: realign and learn it again (on the clock thread, which owns
        # the alignment state).
        self._echo_realign = True

    def set_ringer(self, device: DeviceSpec) -> None:
        """Choose the ringer's output device (index or name; None = system default)."""
        self.ringer.set_device(device)

    def start_ringing(self, wav_path: str | None = None, volume: float = 1.0) -> AudioDeviceProblem | None:
        return self.ringer.start(wav_path=Path(wav_path) if wav_path else None, volume=volume)

    def stop_ringing(self) -> None:
        self.ringer.stop()

    def list_devices(self) -> list[AudioDevice]:
        return list_devices(self._sd)

    def refresh_devices(self) -> tuple[list[AudioDevice], AudioDeviceProblem | None]:
        """Rescan PortAudio (hot-plug) and reopen the same devices by name; returns (devices, problem)."""
        sd = self._sd
        if sd is None:
            return [], AudioDeviceProblem("PortAudio (libportaudio2) is not installed")
        # Reopen if streams were wanted, even if they failed to open (the device may have just appeared).
        wanted = self._wanted
        was_ringing = self.ringer.ringing
        # Indices may shift after a rescan; remember names.
        in_spec = self._name_of(self._in_spec)
        out_spec = self._name_of(self._out_spec)
        ringer_spec = self._name_of(self.ringer.device)
        self._close_streams()
        self.ringer.stop()
        rescan_devices(sd)
        self.ringer.set_device(ringer_spec)
        problem = self.open(in_spec, out_spec) if wanted else None
        if was_ringing:
            problem = self.ringer.start() or problem
        return self.list_devices(), problem

    def _name_of(self, spec: DeviceSpec) -> DeviceSpec:
        if isinstance(spec, int):
            return device_name(spec, self._sd) or spec
        return spec

    # ----------------------------------------------------------------- local tones

    def start_ringback(self, samples: Pcm | None = None) -> None:
        """Mix the ringback (default: Vietnamese 425 Hz 1 s on / 4 s off) into the speaker until stopped."""
        self._core.tone = _Loop(samples if samples is not None else ringback(self.clock_rate))

    def stop_ringback(self) -> None:
        self._core.tone = None

    def play_chime(self) -> None:
        """A short 440 Hz then 660 Hz chime on the speaker (settings: "Test speaker")."""
        self._core.tone = _Loop(chime(self.clock_rate), once=True)

    def destroy(self) -> None:
        """Close streams and the ringer. Call before ``libDestroy``, then drop every reference to it."""
        self.stop_ringback()
        self.ringer.stop()
        self.close()
        with self._aec_lock:
            aec, self._aec = self._aec, None
            pre, self._pre = self._pre, None
        for processor in (aec, pre):
            if processor is not None:
                processor.close()
