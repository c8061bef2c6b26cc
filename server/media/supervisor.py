"""Runs a media child process (the conference mixer) and keeps it running.

``await MediaSupervisor(module=..., args=...).start()`` spawns ``python -m <module> --port P <args>``,
waits for its ``MEDIA READY <port>`` line and returns ``(host, port)``.  When the child exits for any
reason other than :meth:`MediaSupervisor.stop`, the crash is logged (with the child's last stderr lines)
and it is started again on the same port after an exponential backoff (reset once a child has stayed up
for a while).  A crash of the child never touches the SIP service or the API, which run in this process.

The child gets a pipe as stdin and stops when it reads EOF, so it cannot outlive a
supervisor that was killed without a chance to call :meth:`stop`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from server.media.engine import _die_with_parent

logger = logging.getLogger("server.media")
child_logger = logging.getLogger("server.media.child")

READY_PREFIX = "MEDIA READY"  # a supervised child prints "MEDIA READY <port>" once it listens


class MediaServiceError(RuntimeError):
    """The media child did not come up."""


def free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class MediaSupervisor:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        python: str = sys.executable,
        *,
        module: str,
        args: Sequence[str] = (),
        ready_timeout: float = 20.0,
        stop_timeout: float = 5.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        stable_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_exit: Callable[[], None] = lambda: None,
        name: str = "media child",
    ) -> None:
        self._clock = clock
        self._module = module
        self._args = tuple(args)
        self.on_exit = on_exit  # the child died: whoever had calls on it ends them
        self.name = name
        self.host = host
        self.port = port
        self._python = python
        self._ready_timeout = ready_timeout
        self._stop_timeout = stop_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._stable_after = stable_after
        self._proc: asyncio.subprocess.Process | None = None
        self._pipes: list[asyncio.Task[None]] = []
        self._watcher: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stopping = False
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self.restarts = 0
        self.crashes = 0

    # -- public -------------------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def pid(self) -> int | None:
        """The running child's pid (None between a crash and its restart)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def start(self) -> tuple[str, int]:
        """Spawn the child and return its SIP address once it is listening."""
        if self._watcher is not None:
            return self.address
        self._stopping = False
        if self.port == 0:
            self.port = free_udp_port(self.host)
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch(), name="media-supervisor")
        return self.address

    async def wait_ready(self, timeout: float) -> None:
        """Wait until a child is listening (e.g. after a crash and restart)."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def stop(self) -> None:
        """SIGTERM the child (ordered teardown), SIGKILL it if it takes too long."""
        self._stopping = True
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await self._terminate()

    # -- child process ------------------------------------------------------------------------
    def _command(self) -> list[str]:
        return [self._python, "-m", self._module, "--port", str(self.port), *self._args]

    async def _spawn(self) -> None:
        self._ready.clear()
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        proc = await asyncio.create_subprocess_exec(
            *self._command(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            preexec_fn=_die_with_parent,
        )
        self._proc = proc
        assert proc.stdout is not None and proc.stderr is not None
        self._pipes = [asyncio.create_task(self._forward_stderr(proc.stderr), name="media-stderr")]
        try:
            await asyncio.wait_for(self._read_ready(proc.stdout), self._ready_timeout)
        except (TimeoutError, MediaServiceError) as exc:
            await self._terminate()
            tail = "\n".join(self._stderr_tail)
            raise MediaServiceError(
                f"{self.name} on {self.host}:{self.port} did not start: {exc}\n{tail}"
            ) from exc
        self._pipes.append(asyncio.create_task(self._drain(proc.stdout), name="media-stdout"))
        logger.info("%s pid %d listening on %s:%d", self.name, proc.pid, self.host, self.port)
        self._ready.set()

    async def _read_ready(self, stdout: asyncio.StreamReader) -> None:
        while True:
            line = await stdout.readline()
            if not line:
                raise MediaServiceError("exited before it was ready")
            text = line.decode(errors="replace").strip()
            if text.startswith(READY_PREFIX):
                port = int(text.split()[-1])
                if port != self.port:
                    raise MediaServiceError(f"listening on port {port}, expected {self.port}")
                return
            child_logger.info("%s", text)

    async def _forward_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            text = line.decode(errors="replace").rstrip()
            self._stderr_tail.append(text)
            child_logger.debug("%s", text)

    @staticmethod
    async def _drain(stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            child_logger.info("%s", line.decode(errors="replace").rstrip())

    async def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        self._ready.clear()
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), self._stop_timeout)
            except TimeoutError:
                logger.warning("%s pid %d ignored SIGTERM; killing it", self.name, proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if proc is not None and proc.stdin is not None:
            proc.stdin.close()
        pipes, self._pipes = self._pipes, []
        for task in pipes:
            task.cancel()
        for task in pipes:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        backoff = self._backoff_initial
        while not self._stopping:
            proc = self._proc
            if proc is None:
                return
            started = self._clock()
            code = await proc.wait()
            if self._stopping:
                return
            self._ready.clear()
            self.crashes += 1
            if self._clock() - started >= self._stable_after:
                backoff = self._backoff_initial
            tail = "\n".join(self._stderr_tail)
            logger.error(
                "%s pid %d exited with %s; restarting in %.2f s. Last output:\n%s",
                self.name,
                proc.pid,
                code,
                backoff,
                tail,
            )
            await self._terminate()
            try:
                self.on_exit()
            except Exception:
                logger.exception("%s exit handler failed", self.name)
            while not self._stopping:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._backoff_max)
                try:
                    await self._spawn()
                except MediaServiceError as exc:
                    logger.error("%s; retrying in %.2f s", exc, backoff)
                    continue
                self.restarts += 1
                break
