"""rtpengine as a supervised child of ``softphone-server run``, and the asyncio ng client that drives it.

:class:`RtpEngine` starts ``rtpengine`` in the foreground with our own flags (userspace forwarding,
loopback ng port, our port range, DTMF events sent as JSON to a UDP socket of ours), restarts it when
it dies (back-off capped at ``restart_delay``) and reports its state.  Whoever carried calls over the
dead process hears about it through ``on_restart`` (the calls are gone with it: rtpengine keeps no
state we could reattach to).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from server.media.ng import NgCodec, NgError, Value

log = logging.getLogger("server.media.engine")

BINARY = "rtpengine"


class EngineError(RuntimeError):
    """The engine refused a command, did not answer, or is not running."""


class EngineState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"
    MISSING = "missing"  # no rtpengine binary on this machine


@dataclass(frozen=True)
class DtmfEvent:
    call_id: str
    source_tag: str
    digit: str
    duration_ms: int


RFC4733_EVENTS = "0123456789*#ABCD"


def parse_dtmf_log(datagram: bytes) -> DtmfEvent | None:
    """One ``--dtmf-log-dest`` datagram (JSON) as an event; None for anything else."""
    try:
        data = json.loads(datagram)
        return DtmfEvent(
            call_id=str(data["callid"]),
            source_tag=str(data.get("source_tag", "")),
            digit=RFC4733_EVENTS[int(data["event"])],
            duration_ms=int(data.get("duration", 0)),
        )
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def _free_port(host: str, kind: socket.SocketKind = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the server process dies, even by kill -9 (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _NgProtocol(asyncio.DatagramProtocol):
    def __init__(self, client: NgClient) -> None:
        self.client = client

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.client._reply(data)


class NgClient:
    """Sends ng commands to one rtpengine and awaits the reply with the same cookie (retries on loss)."""

    def __init__(self, address: tuple[str, int], *, timeout: float = 1.0, attempts: int = 3) -> None:
        self.address = address
        self.timeout = timeout
        self.attempts = attempts
        # rtpengine caches replies by cookie: a restarted server process must never reuse one
        self._codec = NgCodec(prefix=os.urandom(4).hex() + "-")
        self._pending: dict[str, asyncio.Future[dict[str, Value]]] = {}
        self._transport: asyncio.DatagramTransport | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _NgProtocol(self), local_addr=(self.address[0], 0)
        )

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(EngineError("ng client closed"))
        self._pending.clear()

    def _reply(self, data: bytes) -> None:
        try:
            cookie, body = NgCodec.reply(data)
        except NgError:
            log.warning("malformed ng reply ignored")
            return
        fut = self._pending.get(cookie)
        if fut is not None and not fut.done():
            fut.set_result(body)

    async def command(self, name: str, params: dict[str, Value] | None = None) -> dict[str, Value]:
        """The reply dict; raises :class:`EngineError` on ``result: error`` or no reply."""
        if self._transport is None:
            raise EngineError("ng client not open")
        cookie, datagram = self._codec.request(name, params)
        fut: asyncio.Future[dict[str, Value]] = asyncio.get_running_loop().create_future()
        self._pending[cookie] = fut
        try:
            for _ in range(self.attempts):
                if self._transport is None:
                    raise EngineError("ng client closed")
                self._transport.sendto(datagram, self.address)
                with contextlib.suppress(asyncio.TimeoutError):
                    reply = await asyncio.wait_for(asyncio.shield(fut), self.timeout)
                    break
            else:
                raise EngineError(f"rtpengine did not answer {name!r}")
        finally:
            self._pending.pop(cookie, None)
        if reply.get("result") == "error":
            raise EngineError(f"{name}: {reply.get('error-reason', 'error')!s}")
        return reply


class _DtmfProtocol(asyncio.DatagramProtocol):
    def __init__(self, on_dtmf: Callable[[DtmfEvent], None]) -> None:
        self.on_dtmf = on_dtmf

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        event = parse_dtmf_log(data)
        if event is not None:
            self.on_dtmf(event)


class RtpEngine:
    """One supervised ``rtpengine`` process plus its ng client and DTMF event socket."""

    def __init__(
        self,
        *,
        interface: str = "127.0.0.1",
        port_min: int = 30000,
        port_max: int = 39999,
        binary: str = BINARY,
        work_dir: Path | None = None,
        on_dtmf: Callable[[DtmfEvent], None] = lambda e: None,
        on_restart: Callable[[], None] = lambda: None,
        restart_delay: float = 0.5,
        log_level: int = 4,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.interface = interface
        self.port_min = port_min
        self.port_max = port_max
        self.binary = binary
        self.work_dir = work_dir
        self.on_dtmf = on_dtmf
        self.on_restart = on_restart
        self.restart_delay = restart_delay
        self.log_level = log_level
        self.extra_args = extra_args
        self.state = EngineState.STOPPED
        self.restarts = 0
        self.ng: NgClient | None = None
        self.ng_port = 0
        self._proc: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._dtmf: asyncio.DatagramTransport | None = None
        self._stderr: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._last_error = ""

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    def status(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "pid": self.pid,
            "restarts": self.restarts,
            "ng_port": self.ng_port,
        }

    async def start(self, timeout: float = 5.0) -> None:
        """Start the child and wait until it answers ``ping``; :class:`EngineError` if it cannot."""
        path = shutil.which(self.binary)
        if path is None:
            self.state = EngineState.MISSING
            raise EngineError(f"{self.binary} not found: install rtpengine-daemon (scripts/bootstrap)")
        self.binary = path
        loop = asyncio.get_running_loop()
        self._dtmf, _ = await loop.create_datagram_endpoint(
            lambda: _DtmfProtocol(lambda e: self.on_dtmf(e)), local_addr=("127.0.0.1", 0)
        )
        self.state = EngineState.STARTING
        await self._spawn(timeout)
        self._watcher = asyncio.create_task(self._watch(), name="rtpengine-supervisor")

    async def wait_running(self, timeout: float) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def stop(self) -> None:
        self.state = EngineState.STOPPED
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await self._terminate()
        if self._dtmf is not None:
            self._dtmf.close()
            self._dtmf = None

    async def command(self, name: str, params: dict[str, Value] | None = None) -> dict[str, Value]:
        if self.ng is None or self.state is not EngineState.RUNNING:
            raise EngineError(f"media engine {self.state.value}")
        return await self.ng.command(name, params)

    # -- child --------------------------------------------------------------------------------
    def _command_line(self) -> list[str]:
        assert self._dtmf is not None
        dtmf_port = self._dtmf.get_extra_info("sockname")[1]
        return [
            self.binary,
            "--config-file=none",  # not /etc/rtpengine/rtpengine.conf (Debian's: kernel table, fixed ports)
            "--foreground",
            "--log-stderr",
            "--no-log-timestamps",
            f"--log-level={self.log_level}",
            "--table=-1",  # userspace forwarding only: no kernel module
            f"--interface={self.interface}",
            f"--listen-ng=127.0.0.1:{self.ng_port}",
            # its CLI (default 127.0.0.1:2224) on a free port too, so several engines can run side by side
            f"--listen-cli=127.0.0.1:{_free_port('127.0.0.1', socket.SOCK_STREAM)}",
            f"--port-min={self.port_min}",
            f"--port-max={self.port_max}",
            f"--dtmf-log-dest=127.0.0.1:{dtmf_port}",
            "--delete-delay=0",
            "--timeout=60",
            "--silent-timeout=3600",
            "--num-threads=2",
            "--media-num-threads=2",
            *self.extra_args,
        ]

    async def _spawn(self, timeout: float) -> None:
        self._ready.clear()
        self.ng_port = _free_port("127.0.0.1")
        self._proc = await asyncio.create_subprocess_exec(
            *self._command_line(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(self.work_dir) if self.work_dir else None,
            start_new_session=True,  # a Ctrl-C at the terminal reaches us, not the child
            preexec_fn=_die_with_parent,
        )
        assert self._proc.stderr is not None
        self._stderr = asyncio.create_task(self._forward_stderr(self._proc.stderr))
        if self.ng is not None:
            self.ng.close()
        self.ng = NgClient(("127.0.0.1", self.ng_port), timeout=0.2, attempts=1)
        await self.ng.open()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self._proc.returncode is not None:
                await asyncio.sleep(0.05)  # let the last stderr line arrive
                status = self._proc.returncode
                raise EngineError(f"rtpengine exited at start-up with status {status}: {self._last_error}")
            try:
                await self.ng.command("ping")
                break
            except EngineError:
                if asyncio.get_running_loop().time() > deadline:
                    await self._terminate()
                    raise EngineError("rtpengine did not answer ping at start-up") from None
        self.ng.timeout, self.ng.attempts = 0.5, 3
        self.state = EngineState.RUNNING
        self._ready.set()
        log.info("rtpengine running (pid %d, ng port %d)", self._proc.pid, self.ng_port)

    async def _forward_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            if "CRIT" in text:
                self._last_error = text
            if "ERR" in text or "CRIT" in text:
                log.warning("rtpengine: %s", text)
            else:
                log.debug("rtpengine: %s", text)

    async def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 3.0)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._stderr is not None:
            self._stderr.cancel()
            self._stderr = None
        if self.ng is not None:
            self.ng.close()
            self.ng = None

    async def _watch(self) -> None:
        while True:
            proc = self._proc
            assert proc is not None
            status = await proc.wait()
            self.state = EngineState.RESTARTING
            self._ready.clear()
            log.error("rtpengine exited with status %s; restarting", status)
            with contextlib.suppress(Exception):
                self.on_restart()
            delay = 0.05
            while True:
                await asyncio.sleep(delay)
                try:
                    await self._spawn(timeout=5.0)
                    self.restarts += 1
                    break
                except EngineError as exc:
                    log.error("rtpengine restart failed (%s)", exc)
                    delay = min(delay * 2 + 0.1, self.restart_delay * 10)
