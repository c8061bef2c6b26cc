"""The server's side of the conference mixer process (:mod:`server.media.mixer_process`).

:class:`MixerProcess` starts the mixer under :class:`server.media.supervisor.MediaSupervisor` (restarted
after a crash, back-off from 0.1 s) and sends it control commands with :class:`server.media.engine.NgClient`.
When the process dies its members' audio is gone with it: ``on_restart`` tells the feature calls, which end
the conference calls it carried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from server.media.engine import EngineError, NgClient
from server.media.mixer import RoomFull, member_sdp
from server.media.supervisor import MediaServiceError, MediaSupervisor

log = logging.getLogger("server.media.mixer_client")


class MixerUnavailable(RuntimeError):
    """The mixer process is not running or did not answer."""


class MixerProcess:
    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        max_members: int = 50,
        record_dir: Path | None = None,
        on_restart: Callable[[], None] = lambda: None,
        python: str = sys.executable,
    ) -> None:
        self.host = host
        self.on_restart = on_restart
        args = ["--host", host, "--max-members", str(max_members)]
        if record_dir is not None:
            args += ["--record-dir", str(record_dir)]
        self.supervisor = MediaSupervisor(
            python=python,
            args=args,
            module="server.media.mixer_process",
            name="conference mixer",
            on_exit=self._exited,
            backoff_initial=0.1,
            backoff_max=2.0,
            stop_timeout=3.0,
        )
        self.ng: NgClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return self.ng is not None and self.supervisor.ready

    @property
    def pid(self) -> int | None:
        return self.supervisor.pid

    async def start(self) -> None:
        """Start the process; :class:`MixerUnavailable` (one clear reason) when it cannot."""
        try:
            _, port = await self.supervisor.start()
        except (MediaServiceError, OSError) as exc:
            with contextlib.suppress(Exception):
                await self.supervisor.stop()
            raise MixerUnavailable(str(exc).splitlines()[0]) from exc
        self.ng = NgClient(("127.0.0.1", port), timeout=0.3, attempts=3)
        await self.ng.open()

    async def stop(self) -> None:
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task
        await self.supervisor.stop()
        if self.ng is not None:
            self.ng.close()
            self.ng = None

    def _exited(self) -> None:
        with contextlib.suppress(Exception):
            self.on_restart()

    async def _command(self, name: str, **params: str | int) -> dict[str, object]:
        if self.ng is None or not self.supervisor.ready:
            raise MixerUnavailable("conference mixer not running")
        try:
            reply = await self.ng.command(name, dict(params))
        except EngineError as exc:
            if "room full" in str(exc):
                raise RoomFull(str(params.get("room", ""))) from exc
            raise MixerUnavailable(str(exc)) from exc
        return dict(reply)

    async def join(self, room: str, member_id: str, *, admit: bool = True) -> str:
        """Open the member's socket in the mixer; its SDP (the far side of the member's engine leg)."""
        reply = await self._command("join", room=room, member=member_id, admit=int(admit))
        port = reply.get("port")
        if not isinstance(port, int):
            raise MixerUnavailable(f"join: no port in {reply!r}")
        return member_sdp(self.host, port)

    async def connect(self, member_id: str, remote: tuple[str, int]) -> None:
        """Where the mixer sends the member's audio (rtpengine's side of the member's leg)."""
        await self._command("remote", member=member_id, host=remote[0], port=remote[1])

    async def rooms(self) -> dict[str, dict[str, bool]]:
        """Room -> member -> admitted (False: still entering the PIN), as the mixer process holds them."""
        rooms = (await self._command("rooms")).get("rooms")
        if not isinstance(rooms, dict):
            return {}
        return {r: {m: bool(a) for m, a in ms.items()} for r, ms in rooms.items() if isinstance(ms, dict)}

    def admit(self, member_id: str) -> None:
        self._later("admit", member_id)

    def leave(self, member_id: str) -> None:
        self._later("leave", member_id)

    def _later(self, name: str, member_id: str) -> None:
        async def send() -> None:
            try:
                await self._command(name, member=member_id)
            except (MixerUnavailable, RoomFull) as exc:
                log.debug("mixer %s %s: %s", name, member_id, exc)

        task = asyncio.ensure_future(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
