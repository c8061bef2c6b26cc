"""Conference rooms (``*8NN``): everyone who dials the same room number talks together.

Each member's call port transmits to every other member's port and never to itself, so
nobody hears their own voice; the conference bridge mixes what each member hears. A room
exists while it has members and is forgotten when the last one leaves.
"""

from __future__ import annotations

import re

import pjsua2 as pj

from server.media.call import MediaCall

ROOM_NUMBER = re.compile(r"\*8\d\d")


class Room:
    def __init__(self, number: str) -> None:
        self.number = number
        self.members: dict[int, MediaCall] = {}

    def connect(self, call: MediaCall, audio: pj.AudioMedia) -> None:
        """(Re)connect ``call`` both ways with every other member whose audio is up."""
        self.members[call.key] = call
        for other in self.members.values():
            if other is call:
                continue
            other_audio = other.audio_media()
            if other_audio is None:
                continue
            call.connect_source(other_audio)
            other.connect_source(audio)

    def leave(self, call: MediaCall) -> None:
        # The bridge drops a finished call's port with all its connections; only membership
        # needs updating here.
        self.members.pop(call.key, None)


class ConferenceRooms:
    """The feature: rooms by dialled number, at most ``max_members`` callers each."""

    def __init__(self, max_members: int = 10) -> None:
        self.max_members = max_members
        self.rooms: dict[str, Room] = {}

    def on_call(self, call: MediaCall) -> None:
        number = call.dialled or ""
        room = self.rooms.get(number)
        if room is None:
            room = self.rooms[number] = Room(number)
        if len(room.members) >= self.max_members:
            call.reject(486, "Room Full")
            return
        room.members[call.key] = call
        call.attach(RoomSession(self, room, call))
        call.answer_with(200)

    def leave(self, room: Room, call: MediaCall) -> None:
        room.leave(call)
        if not room.members and self.rooms.get(room.number) is room:
            del self.rooms[room.number]


class RoomSession:
    def __init__(self, rooms: ConferenceRooms, room: Room, call: MediaCall) -> None:
        self._rooms = rooms
        self._room = room
        self._call = call

    def media_ready(self, audio: pj.AudioMedia) -> None:
        self._room.connect(self._call, audio)

    def ended(self) -> None:
        self._rooms.leave(self._room, self._call)
