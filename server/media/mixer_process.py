"""The conference mixer as a process of its own: ``python -m server.media.mixer_process --port N``.

It holds the members' RTP sockets and the 20 ms mixing tick (:class:`server.media.mixer.Mixer`, which mixes
with the sans-IO :class:`server.media.mixing.RoomMix`), so the server process never decodes or mixes audio.
The server drives it over a control socket on loopback UDP in rtpengine's ng format (cookie + bencoded
dict, :mod:`server.media.ng`), with :class:`server.media.engine.NgClient` on its side:

* ``ping`` -> ``{"result": "pong"}``
* ``join`` ``room``, ``member``, ``admit`` (0/1) -> ``{"result": "ok", "port": N}``; ``{"result": "error",
  "error-reason": "room full"}`` past the room's size.  A retried join returns the same port.
* ``rooms`` -> ``{"rooms": {room: {member: 1 admitted / 0 pending}}}``
* ``remote`` ``member``, ``host``, ``port`` (rtpengine's side of the member's leg); ``admit`` ``member``;
  ``leave`` ``member`` -> ``{"result": "ok"}``

Started by :class:`server.media.supervisor.MediaSupervisor`: prints ``MEDIA READY <port>`` once its control
socket listens, stops when stdin closes (the supervisor holds the pipe) and gets SIGKILL if the server dies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from server.media.mixer import Mixer, RoomFull
from server.media.ng import NgCodec, NgError, Value, encode
from server.media.supervisor import READY_PREFIX

log = logging.getLogger("server.media.mixer_process")


class MixerControl:
    """Executes control commands on a :class:`Mixer`; :meth:`handle` is one request dict to one reply."""

    def __init__(self, mixer: Mixer) -> None:
        self.mixer = mixer

    async def handle(self, request: dict[str, Value]) -> dict[str, Value]:
        command = request.get("command")
        member = str(request.get("member", ""))
        if command == "ping":
            return {"result": "pong"}
        if command == "join":
            existing = self.mixer.members.get(member)
            if existing is None:
                try:
                    existing = await self.mixer.join(
                        str(request.get("room", "")), member, admit=bool(request.get("admit", 1))
                    )
                except RoomFull:
                    return {"result": "error", "error-reason": "room full"}
            return {"result": "ok", "port": existing.port}
        if command == "remote":
            target = self.mixer.members.get(member)
            port = request.get("port")
            if target is not None and isinstance(port, int):
                target.remote = (str(request.get("host", "127.0.0.1")), port)
            return {"result": "ok"}
        if command == "admit":
            self.mixer.admit(member)
            return {"result": "ok"}
        if command == "rooms":
            rooms: dict[str, Value] = {}
            for m in self.mixer.members.values():
                room = rooms.setdefault(m.room, {})
                assert isinstance(room, dict)
                room[m.member_id] = int(m.admitted)
            return {"result": "ok", "rooms": rooms}
        if command == "leave":
            self.mixer.leave(member)
            return {"result": "ok"}
        return {"result": "error", "error-reason": f"unknown command {command!r}"}


class _Control(asyncio.DatagramProtocol):
    def __init__(self, control: MixerControl) -> None:
        self.control = control
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram endpoint's transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            cookie, request = NgCodec.reply(data)  # same framing both ways: "<cookie> <dict>"
        except NgError:
            return
        task = asyncio.ensure_future(self._answer(cookie, request, (str(addr[0]), int(addr[1]))))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, cookie: str, request: dict[str, Value], addr: tuple[str, int]) -> None:
        try:
            reply = await self.control.handle(request)
        except Exception as exc:  # one bad command never stops the rooms
            log.exception("control command %r failed", request.get("command"))
            reply = {"result": "error", "error-reason": str(exc)}
        if self.transport is not None:
            self.transport.sendto(cookie.encode() + b" " + encode(reply), addr)


async def serve(host: str, port: int, record_dir: Path | None, max_members: int) -> None:
    mixer = Mixer(host, max_members=max_members, record_dir=record_dir)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Control(MixerControl(mixer)), local_addr=("127.0.0.1", port)
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # stdin is the supervisor's pipe: EOF means it is gone
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(sys.stdin.fileno(), 512) else None)
    print(f"{READY_PREFIX} {transport.get_extra_info('sockname')[1]}", flush=True)
    await stop.wait()
    await mixer.stop()  # closes the room recordings (valid WAVs, index lines)
    transport.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="conference mixer (started by softphone-server run)")
    parser.add_argument("--host", default="127.0.0.1", help="address of the members' RTP sockets")
    parser.add_argument("--port", type=int, required=True, help="control port on 127.0.0.1")
    parser.add_argument("--record-dir", type=Path, help="record every room (one WAV per room session)")
    parser.add_argument("--max-members", type=int, default=50)
    args, _ = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.record_dir, args.max_members))
    return 0


if __name__ == "__main__":
    sys.exit(main())
