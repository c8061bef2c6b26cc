"""A private PulseAudio server for audio tests: two null sinks, "speaker" and "mic".

* The default sink is ``speaker``: whatever the app plays lands there; ``speaker.monitor`` records it back.
* The default source is ``mic.monitor``: a test plays a tone into the ``mic`` sink and the app's microphone
  hears it.

PortAudio (Debian builds it with ALSA only) reaches the server through the ALSA "pulse"/"default" devices of
libasound2-plugins; ``PULSE_SERVER`` points libpulse at our socket, so nothing touches a user's session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 16000


@dataclass
class PulseServer:
    root: Path
    proc: subprocess.Popen[bytes]
    env: dict[str, str]
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.root / "native"

    def play_tone_into(self, sink: str, samples: np.ndarray, rate: int = RATE) -> subprocess.Popen[bytes]:
        """Start pacat playing int16 mono ``samples`` into ``sink``; the process ends when they are played."""
        raw = self.root / f"play-{len(self.helpers)}.raw"
        raw.write_bytes(np.asarray(samples, dtype="<i2").tobytes())
        proc = subprocess.Popen(
            ["pacat", "--playback", "-d", sink, "--format=s16le", f"--rate={rate}", "--channels=1",
             "--latency-msec=20", str(raw)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.helpers.append(proc)
        return proc

    def start_recording(self, source: str, path: Path, rate: int = RATE) -> subprocess.Popen[bytes]:
        """Start parec writing raw int16 mono from ``source`` to ``path``; stop it with ``stop_helper``."""
        out = path.open("wb")
        proc = subprocess.Popen(
            ["parec", "-d", source, "--format=s16le", f"--rate={rate}", "--channels=1", "--latency-msec=20"],
            env=self.env, stdout=out, stderr=subprocess.DEVNULL,
        )
        out.close()
        self.helpers.append(proc)
        return proc

    def stop_helper(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def pactl(self, *args: str) -> str:
        return subprocess.run(
            ["pactl", *args], env=self.env, capture_output=True, text=True, timeout=10, check=True
        ).stdout


def pulse_available() -> bool:
    return all(shutil.which(t) for t in ("pulseaudio", "pactl", "pacat", "parec"))


def start_pulse(root: Path, timeout: float = 20.0) -> PulseServer:
    root.mkdir(parents=True, exist_ok=True)
    (root / "runtime").mkdir(exist_ok=True)
    script = root / "test.pa"
    script.write_text(
        "load-module module-null-sink sink_name=speaker sink_properties=device.description=speaker\n"
        "load-module module-null-sink sink_name=mic sink_properties=device.description=mic\n"
        f"load-module module-native-protocol-unix socket={root / 'native'} auth-anonymous=1\n"
        "set-default-sink speaker\n"
        "set-default-source mic.monitor\n"
    )
    env = dict(os.environ)
    env.update(
        HOME=str(root),
        XDG_RUNTIME_DIR=str(root / "runtime"),
        PULSE_RUNTIME_PATH=str(root / "runtime"),
        PULSE_SERVER=f"unix:{root / 'native'}",
    )
    env.pop("PULSE_SINK", None)
    env.pop("PULSE_SOURCE", None)
    log = (root / "pulseaudio.log").open("wb")
    proc = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no", "-n", "-F", str(script),
         "--log-target=stderr"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    server = PulseServer(root=root, proc=proc, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pulseaudio exited: {(root / 'pulseaudio.log').read_text()[-2000:]}")
        if server.socket.exists():
            ok = subprocess.run(["pactl", "info"], env=env, capture_output=True, timeout=10).returncode == 0
            if ok:
                return server
        time.sleep(0.1)
    stop_pulse(server)
    raise RuntimeError("pulseaudio did not come up")


def stop_pulse(server: PulseServer) -> None:
    for helper in server.helpers:
        server.stop_helper(helper)
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=5)


def pulse_server_fixture(tmp_root: Path) -> Iterator[PulseServer]:
    """The body of a ``pulse`` fixture: ``yield from pulse_server_fixture(tmp_path_factory.mktemp(...))``."""
    server = start_pulse(tmp_root)
    try:
        yield server
    finally:
        stop_pulse(server)


def read_raw(path: Path) -> np.ndarray:
    data = path.read_bytes()
    return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2")


def loudest_window(samples: np.ndarray, rate: int = RATE, seconds: float = 0.5) -> np.ndarray:
    """The ``seconds``-long stretch with the most energy (tones arrive after unknown start-up delays)."""
    n = int(rate * seconds)
    if len(samples) <= n:
        return samples
    energy = np.convolve(samples.astype(np.float64) ** 2, np.ones(n), mode="valid")
    start = int(np.argmax(energy[:: n // 4])) * (n // 4)
    return samples[start : start + n]
