"""Conference rooms' audio: one UDP socket per member (rtpengine relays the member's leg to it), one
20 ms tick for all rooms that mixes with :class:`server.media.mixing.RoomMix` and sends each member
everyone else.  PCMU only (rtpengine transcodes members on other codecs).  Runs on the server's event loop.

A member is *pending* from :meth:`Mixer.join` (socket open, counted against the room's size, not mixed:
a caller entering the room's PIN) until :meth:`Mixer.admit`; the others then hear the join tone, and the
leave tone when an admitted member leaves.
"""

from __future__ import annotations

import asyncio
import os
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from server.media.mixing import FRAME, JOIN_TONE, LEAVE_TONE, RoomMix
from server.media.pacing import FrameLoop
from server.media.recorder import WavRecorder


class _MemberSocket(asyncio.DatagramProtocol):
    def __init__(self, mixer: Mixer, member: Member) -> None:
        self.mixer = mixer
        self.member = member

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if len(data) < 12 or data[1] & 0x7F != 0:  # PCMU only; events and RTCP are not mixed
            return
        room = self.mixer.rooms.get(self.member.room)
        if room is not None:
            room.push(self.member.member_id, data[12:])
        if self.member.remote is None:
            self.member.remote = (str(addr[0]), int(addr[1]))


@dataclass
class Member:
    room: str
    member_id: str
    transport: asyncio.DatagramTransport | None = None
    remote: tuple[str, int] | None = None  # rtpengine's port for this member's leg
    admitted: bool = False
    ssrc: int = field(default_factory=lambda: int.from_bytes(os.urandom(4), "big"))
    seq: int = 0

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def sdp(self, host: str) -> str:
        return member_sdp(host, self.port)


def member_sdp(host: str, port: int) -> str:
    """The SDP of a member's mixer socket: the far side of the member's rtpengine leg."""
    return (
        f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
        # telephone-event accepted so rtpengine keeps reporting the member's RFC 4733 digits (PIN)
        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
    )


class RoomFull(Exception):
    pass


class Mixer:
    def __init__(
        self, host: str = "127.0.0.1", max_members: int = 50, record_dir: Path | None = None
    ) -> None:
        self.host = host
        self.max_members = max_members
        self.record_dir = record_dir  # set: every room is recorded (one mixed WAV per room session)
        self.recorders: dict[str, WavRecorder] = {}
        self.room_calls: dict[str, list[str]] = {}
        self.rooms: dict[str, RoomMix] = {}
        self.members: dict[str, Member] = {}
        self._frames = FrameLoop(self._mix_rooms, "conference-mixer")

    async def join(self, room: str, member_id: str, *, admit: bool = True) -> Member:
        """Open the member's socket; mixed at once with ``admit``, else pending until :meth:`admit`."""
        if sum(1 for m in self.members.values() if m.room == room) >= self.max_members:
            raise RoomFull(room)
        member = Member(room, member_id)
        self.members[member_id] = member
        loop = asyncio.get_running_loop()
        try:
            member.transport, _ = await loop.create_datagram_endpoint(
                lambda: _MemberSocket(self, member), local_addr=(self.host, 0)
            )
        except OSError:
            self.members.pop(member_id, None)
            raise
        if admit:
            self.admit(member_id)
        return member

    def admit(self, member_id: str) -> None:
        """Mix a pending member into their room; everyone already there hears the join tone."""
        member = self.members.get(member_id)
        if member is None or member.admitted:
            return
        room = member.room
        mix = self.rooms.setdefault(room, RoomMix())
        if self.record_dir is not None and room not in self.recorders:
            name = f"room{room.lstrip('*')}-{time.strftime('%Y%m%dT%H%M%S')}-{os.urandom(3).hex()}.wav"
            self.recorders[room] = WavRecorder(self.record_dir / name)
        self.room_calls.setdefault(room, []).append(member_id)
        mix.announce(JOIN_TONE)
        mix.join(member_id)
        member.admitted = True
        self._frames.ensure_running()

    def leave(self, member_id: str) -> None:
        member = self.members.pop(member_id, None)
        if member is None:
            return
        if member.transport is not None:
            member.transport.close()
        mix = self.rooms.get(member.room)
        if mix is not None and member.admitted:
            mix.leave(member_id)
            mix.announce(LEAVE_TONE)
            if not len(mix):
                del self.rooms[member.room]
                recorder = self.recorders.pop(member.room, None)
                calls = self.room_calls.pop(member.room, [])
                if recorder is not None and self.record_dir is not None:
                    recorder.close(self.record_dir / "index.jsonl", room=member.room, call_ids=calls)

    async def stop(self) -> None:
        for member_id in list(self.members):
            self.leave(member_id)
        await self._frames.stop()

    def _mix_rooms(self, _tick: int) -> None:
        for room, mix in list(self.rooms.items()):
            out = mix.mix()
            recorder = self.recorders.get(room)
            if recorder is not None:
                recorder.write(mix.last_pcm16())
            for member_id, payload in out.items():
                member = self.members.get(member_id)
                if member is None or member.remote is None or member.transport is None:
                    continue
                header = struct.pack(
                    "!BBHII", 0x80, 0, member.seq & 0xFFFF, (member.seq * FRAME) & 0xFFFFFFFF, member.ssrc
                )
                member.seq += 1
                member.transport.sendto(header + payload, member.remote)
