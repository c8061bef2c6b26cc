"""Helpers for tests and benchmarks: free ports, waiting for a server to answer, ``softphone-cli`` and
baresip peers in subprocesses, and checking audio content."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np

Event = dict[str, Any]


class _PortTaken(RuntimeError):
    """The server found a port it was given already in use."""


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return int(port)
    raise RuntimeError("no free port")


def free_baresip_port() -> int:
    """A `free_port` whose next port is free for TCP too: baresip listens for SIP over TLS on its
    ``sip_listen`` port + 1 and exits when that one is taken."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            try:
                t.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port pair")


class MemoryTokens:
    """The token store interface of ``SecretStore`` in memory, for tests that are not about the keyring."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def set(self, key: str, secret: str) -> None:
        self.data[key] = secret

    def delete(self, key: str) -> bool:
        return self.data.pop(key, None) is not None


def wait_http_ok(url: str, *, process: subprocess.Popen[Any] | None = None, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; raise if ``process`` exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout} s")


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float samples in -1..1 and the sample rate."""
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        ch = w.getnchannels()
        raw = w.readframes(w.getnframes())
    data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    if ch > 1:
        data = data.reshape(-1, ch).mean(axis=1)
    return data, rate


def tone_levels(
    path: str | Path, freqs: Sequence[float], skip_s: float = 0.3, max_s: float = 4.0
) -> dict[float, float]:
    """Relative level (0..1 of total energy) of each frequency in the WAV, via an FFT over the clip."""
    data, rate = read_wav(path)
    return band_levels(data[int(skip_s * rate) : int((skip_s + max_s) * rate)], rate, freqs)


def band_levels(samples: np.ndarray, rate: int, freqs: Sequence[float]) -> dict[float, float]:
    """Share (0..1) of the clip's energy within ±15 Hz of each frequency; all 0.0 under 0.1 s of audio."""
    data = np.asarray(samples, dtype=np.float64)
    if len(data) < rate // 10:
        return {f: 0.0 for f in freqs}
    spectrum = np.abs(np.fft.rfft(data * np.hanning(len(data)))) ** 2
    total = float(spectrum.sum()) or 1.0
    bin_hz = rate / len(data)
    out = {}
    for f in freqs:
        c = round(f / bin_hz)
        width = max(2, round(15 / bin_hz))
        out[f] = float(spectrum[max(0, c - width) : c + width + 1].sum()) / total
    return out


def rms(path: str | Path, skip_s: float = 0.0) -> float:
    data, rate = read_wav(path)
    data = data[int(skip_s * rate) :]
    return float(np.sqrt(np.mean(data * data))) if len(data) else 0.0


def speech_pitches(path: str | Path, chime_hz: float = 880.0) -> set[int]:
    """The dominant pitches (50 Hz steps) of the loud 100 ms frames of a recording: a spoken sentence has
    many, the server's prompt chime (880 Hz) one."""
    samples, rate = read_wav(path)
    frame = rate // 10
    pitches: set[int] = set()
    for start in range(0, len(samples) - frame, frame):
        chunk = samples[start : start + frame].astype(np.float64)
        if np.sqrt(np.mean(chunk**2)) < 0.02:  # read_wav: floats in [-1, 1]
            continue
        spectrum = np.abs(np.fft.rfft(chunk * np.hanning(len(chunk))))
        hz = float(np.argmax(spectrum[1:]) + 1) * rate / len(chunk)
        if abs(hz - chime_hz) > 30:
            pitches.add(round(hz / 50))
    return pitches


def baresip_tone_audio(hz: int) -> list[str]:
    """baresip config lines: send a ``hz`` sine (``ausine``), play to ALSA's null device, dump what it decodes
    (``sndfile``; see `BaresipPeer.decoded_wav`), G.711, and the account and menu apps."""
    return [
        f"audio_source ausine,{hz}",
        "audio_player alsa,null",
        "audio_alert alsa,null",
        "ausrc_srate 48000",
        "auplay_srate 48000",
        "ausrc_channels 2",  # ausine only produces 48 kHz stereo
        "auplay_channels 1",
        "module_path /usr/lib/baresip/modules",
        "module g711.so",
        "module ausine.so",
        "module alsa.so",
        "module sndfile.so",
        "module_app account.so",
        "module_app menu.so",
    ]


class BaresipPeer:
    """Debian's baresip in a subprocess with a generated config folder, driven over ``ctrl_tcp`` (JSON in
    netstrings: commands in, events out).  ``config`` lines go into its ``config`` (the ctrl_tcp listener and
    ``snd_path`` are added), ``accounts`` into ``accounts``; ``env`` replaces its environment (e.g. a private
    PulseAudio's ``PULSE_SERVER``)."""

    def __init__(
        self, root: Path, config: Sequence[str], accounts: str, env: Mapping[str, str] | None = None
    ) -> None:
        self.root = root
        self.ctrl_port = free_port()
        root.mkdir(parents=True, exist_ok=True)
        control = [f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}", f"snd_path {root}"]
        (root / "config").write_text("\n".join([*config, "module_app ctrl_tcp.so", *control, ""]))
        (root / "accounts").write_text(accounts)
        (root / "contacts").write_text("")
        self.events: list[Event] = []
        self._cond = threading.Condition()
        self._log = (root / "baresip.log").open("wb")
        self.proc = subprocess.Popen(
            ["baresip", "-f", str(root)], stdout=self._log, stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
        )
        self.sock = self._connect()
        threading.Thread(target=self._read, name="baresip-ctrl", daemon=True).start()

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"baresip exited: {self.log_text()}")
            try:
                return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"baresip ctrl_tcp did not come up: {self.log_text()}")

    def _read(self) -> None:
        buf = b""
        self.sock.settimeout(None)
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b":" in buf:  # <length>:<json>,
                head, rest = buf.split(b":", 1)
                n = int(head)
                if len(rest) < n + 1:
                    break
                payload, buf = rest[:n], rest[n + 1 :]
                try:
                    event = json.loads(payload)
                except ValueError:
                    continue
                with self._cond:
                    self.events.append(event)
                    self._cond.notify_all()

    def command(self, command: str, params: str = "") -> None:
        body = json.dumps({"command": command, "params": params, "token": str(time.monotonic())}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")

    def wait_for(self, pred: Callable[[Event], bool], timeout: float = 15) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events:
                    if pred(e):
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"baresip: no such event; got {self.events[-6:]}\n{self.log_text()}")
                self._cond.wait(left)

    def decoded_wav(self) -> Path:
        """What baresip decoded (its ``sndfile`` module's dump), the last call's."""
        files = sorted(self.root.glob("dump-*-dec.wav"), key=lambda p: p.stat().st_mtime)
        assert files, "baresip's sndfile module wrote no decoded audio"
        return files[-1]

    def log_text(self, tail: int = 3000) -> str:
        return (self.root / "baresip.log").read_text(errors="replace")[-tail:]

    def stop(self) -> None:
        try:
            self.command("quit")
            self.sock.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()


class CliPeer:
    """One ``softphone-cli --json-events --commands`` subprocess with its event stream."""

    def __init__(self, args: Sequence[str], name: str = "peer", env: dict[str, str] | None = None) -> None:
        self.name = name
        cmd = [sys.executable, "-m", "softphone.cli", "--json-events", "--commands", *args]
        log_dir = Path(os.environ.get("TMPDIR", "/tmp"))
        self.stderr_path = log_dir / f"softphone-{name}-{os.getpid()}-{id(self)}.log"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in kill()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            text=True,
            bufsize=1,
        )
        self.events: list[Event] = []
        self._cond = threading.Condition()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, name=f"peer-{name}", daemon=True)
        self._reader.start()
        ready = self.wait_for(lambda e: e["event"] == "Ready", timeout=30)
        self.port: int = ready["sip_port"]
        self.uri: str = f"sip:{name}@127.0.0.1:{self.port}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                self.events.append(ev)
                self._cond.notify_all()
        with self._cond:
            self.events.append({"event": "_closed"})
            self._cond.notify_all()

    def find(self, pred: Callable[[Event], bool], start: int = 0) -> Event | None:
        with self._cond:
            return next((e for e in self.events[start:] if pred(e)), None)

    def wait_for(self, pred: Callable[[Event], bool], timeout: float = 20.0, start: int = 0) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.events[start:]:
                    if pred(e):
                        return e
                if any(e["event"] == "_closed" for e in self.events[start:]):
                    raise AssertionError(f"{self.name} exited; log: {self.stderr_tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{self.name}: condition not met in {timeout}s; last events: {self.events[-8:]}"
                    )
                self._cond.wait(left)

    def wait_state(
        self, state: str, call_id: str | None = None, timeout: float = 20.0, start: int = 0
    ) -> Event:
        return self.wait_for(
            lambda e: (
                e["event"] == "CallStateChanged"
                and e["state"] == state
                and (call_id is None or e["call_id"] == call_id)
            ),
            timeout,
            start,
        )

    def heard(
        self,
        path: str | Path,
        freqs: Sequence[float],
        seconds: float = 1.2,
        expect: dict[float, float] | None = None,
        attempts: int = 3,
    ) -> dict[float, float]:
        """Record what this peer hears for ``seconds`` and return the level of each frequency.

        With ``expect`` ({freq: minimum level}) a fresh window is recorded, up to ``attempts`` times, until
        the levels reach it: under load, media can start a moment after the call is confirmed.
        """
        path = Path(path)
        levels: dict[float, float] = {}
        for i in range(attempts if expect else 1):
            window = path if i == 0 else path.with_name(f"{path.stem}-{i}{path.suffix}")
            self.command("start_monitor", path=str(window))
            time.sleep(seconds)
            self.command("stop_monitor")
            levels = tone_levels(window, freqs, skip_s=0.2)
            if expect is None or all(levels[f] > v for f, v in expect.items()):
                break
        return levels

    def record_call(self, target: str, path: str | Path, timeout: float = 30.0) -> None:
        """Dial `target` and record what this peer hears until the far end hangs up (a feature code does
        after its sentence)."""
        mark = self.mark()
        call_id = self.command("make_call", account_id="main", target=target)
        self.wait_state("confirmed", call_id, timeout=20, start=mark)
        self.command("start_monitor", path=str(path))
        self.wait_state("disconnected", call_id, timeout=timeout, start=mark)
        self.command("stop_monitor")

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    def command(self, cmd: str, timeout: float = 20.0, **args: Any) -> Any:
        self._next_id += 1
        cid = self._next_id
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"id": cid, "cmd": cmd, "args": args}) + "\n")
        self.proc.stdin.flush()
        res = self.wait_for(lambda e: e["event"] == "CommandResult" and e["id"] == cid, timeout)
        if not res["ok"]:
            raise RuntimeError(f"{self.name} {cmd}: {res['error']}")
        return res["result"]

    def quit(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps({"id": 0, "cmd": "quit"}) + "\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9

    def kill(self) -> None:
        """Kill if still running; the stderr log is kept only when the process did not exit cleanly."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._stderr.close()
        if self.proc.returncode == 0 and not os.environ.get("SOFTPHONE_KEEP_LOGS"):
            self.stderr_path.unlink(missing_ok=True)

    def stderr_tail(self, n: int = 3000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


def stop_process_group(proc: subprocess.Popen[Any], grace: float = 15) -> None:
    """Stop a server started in its own session (pgid == pid) and its media child, even if it died."""
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # a media child that outlived its parent


class DemoServer:
    """``softphone-server run --demo`` (the product as shipped) on free loopback ports.

    Runs in its own session, so ``stop()`` ends its media child too. ``start()`` again restarts it on the same
    ports and data dir (registrations are stored and survive).
    """

    def __init__(self, data_dir: Path, *, media: bool = True, env: Mapping[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.media = media
        self.env = dict(env or {})  # SOFTPHONE_SERVER_* settings of this server (others are not inherited)
        self.sip_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.sip_port:
            self.http_port = free_port()
        self.proc: subprocess.Popen[str] | None = None
        self.output: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def registrar(self) -> str:
        return f"127.0.0.1:{self.sip_port}"

    def start(self, timeout: float = 60.0) -> None:
        for _ in range(0 if self.proc is not None else 3):  # a restart keeps its ports
            try:
                self._start(timeout)
                return
            except _PortTaken:
                # free_port() answers for "now": another process may bind the port before the server does.
                self.sip_port, self.http_port = free_port(), free_port()
                while self.http_port == self.sip_port:
                    self.http_port = free_port()
        self._start(timeout)

    def _start(self, timeout: float) -> None:
        mark = len(self.output)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOFTPHONE_SERVER_")}
        env["PYTHONUNBUFFERED"] = "1"
        env.update(self.env)
        cmd = [
            sys.executable,
            "-m",
            "server.cli",
            "run",
            "--demo",
            "--data-dir",
            str(self.data_dir),
            "--http-port",
            str(self.http_port),
            "--sip-port",
            str(self.sip_port),
        ]
        if not self.media:
            cmd.append("--no-media")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.proc = proc
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()
        try:
            wait_http_ok(f"{self.url}/api/v1/health", process=proc, timeout=timeout)
        except BaseException:
            self.stop()
            log = "".join(self.output[mark:][-60:])
            if "already in use" in log:
                raise _PortTaken(log) from None
            raise RuntimeError(f"softphone-server did not start:\n{log}") from None

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.output.append(line)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process_group(self.proc)

    def agent(self, ext: str, *args: str) -> CliPeer:
        """A ``softphone-cli`` registered as demo extension ``ext`` (password ``demo<ext>``)."""
        peer = CliPeer(
            [
                "--account",
                f"{ext}:demo{ext}@demo.local",
                "--registrar",
                self.registrar,
                "--proxy",
                self.registrar,
                *args,
            ],
            name=f"agent{ext}",
        )
        try:
            peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
        except BaseException:
            peer.kill()
            raise
        return peer


class Baresip(BaresipPeer):
    """Debian's baresip as a test or benchmark peer, with a generated config bound to 127.0.0.1.

    ``source`` is baresip's ``audio_source`` (``ausine,1100`` sends a sine, ``aufile,/x.wav`` a file,
    ``alsa,pulse`` a private PulseAudio's default source with its ``env``); the
    ALSA ``null`` device plays (``player``: another ``audio_player``, e.g. ``alsa,pulse`` with a private
    PulseAudio's ``env``, at ``play_rate``); ``sndfile`` dumps what it encodes and decodes to WAVs;
    ``ctrl_tcp`` lets the caller dial, send DTMF and read events (netstring JSON). ``account`` is a baresip
    accounts line (default: a direct-IP ``sip:bare@127.0.0.1:port`` that auto-answers).
    """

    def __init__(
        self,
        root: Path,
        *,
        source: str = "ausine,1100",
        account: str | None = None,
        codecs: Sequence[str] = ("g711", "g722"),
        player: str = "alsa,null",
        play_rate: int = 48000,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.sip_port = free_baresip_port()
        config = [
            f"sip_listen 127.0.0.1:{self.sip_port}",
            "sip_trans_def udp",
            f"audio_source {source}",
            f"audio_player {player}",
            "audio_alert alsa,null",
            # aufile opens the file at its own rate (the reference files are 16 kHz mono)
            f"ausrc_srate {16000 if source.startswith('aufile') else 48000}",
            f"auplay_srate {play_rate}",
            # ausine only produces 48 kHz stereo; aufile plays the file's own format
            *(["ausrc_channels 2"] if source.startswith("ausine") else []),
            "auplay_channels 1",
            "module_path /usr/lib/baresip/modules",
            *(f"module {c}.so" for c in codecs),
            *dict.fromkeys((f"module {source.split(',', 1)[0]}.so", "module alsa.so")),
            "module sndfile.so",
            "module_app account.so",
            "module_app menu.so",
        ]
        line = account or f"<sip:bare@127.0.0.1:{self.sip_port}>;regint=0;answermode=auto"
        super().__init__(root, config, line + "\n", env)

    @property
    def uri(self) -> str:
        return f"sip:bare@127.0.0.1:{self.sip_port}"

    def wait_registered(self, timeout: float = 20) -> None:
        """Until the account's REGISTER got its 200 (the event may come before ctrl_tcp is connected)."""
        deadline = time.monotonic() + timeout
        while "} 200 OK" not in self.log_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise TimeoutError(f"baresip did not register: {self.log_text()}")
            time.sleep(0.1)

    def dtmf_received(self) -> str:
        with self._cond:
            return "".join(e.get("param", "") for e in self.events if e.get("type") == "CALL_DTMF_START")
