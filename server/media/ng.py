"""rtpengine's ng control protocol, sans-IO: bencode and the cookie that pairs a reply with its request.

A request datagram is ``<cookie> <bencoded dict>``; the reply repeats the cookie.  Strings are bytes on
the wire; :func:`decode` returns ``str`` for byte strings that are UTF-8 so callers read replies as plain
dicts (``reply["result"] == "ok"``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

Value = int | str | bytes | list["Value"] | dict[str, "Value"]


class NgError(ValueError):
    """A malformed ng datagram."""


def encode(value: Value) -> bytes:
    out: list[bytes] = []
    _encode(value, out)
    return b"".join(out)


def _encode(value: Value, out: list[bytes]) -> None:
    if isinstance(value, bool):
        raise NgError("bencode has no booleans")
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, str):
        _encode(value.encode(), out)
    elif isinstance(value, bytes):
        out.append(b"%d:" % len(value))
        out.append(value)
    elif isinstance(value, list):
        out.append(b"l")
        for item in value:
            _encode(item, out)
        out.append(b"e")
    elif isinstance(value, dict):
        out.append(b"d")
        for key in sorted(value):
            _encode(key, out)
            _encode(value[key], out)
        out.append(b"e")
    else:
        raise NgError(f"cannot bencode {type(value).__name__}")


def decode(data: bytes) -> Value:
    value, end = _decode(data, 0)
    if end != len(data):
        raise NgError("trailing bytes after bencoded value")
    return value


def _decode(data: bytes, i: int) -> tuple[Value, int]:
    if i >= len(data):
        raise NgError("truncated bencode")
    lead = data[i : i + 1]
    if lead == b"i":
        end = data.find(b"e", i)
        if end < 0:
            raise NgError("unterminated integer")
        try:
            return int(data[i + 1 : end]), end + 1
        except ValueError as exc:
            raise NgError("bad integer") from exc
    if lead == b"l":
        items: list[Value] = []
        i += 1
        while data[i : i + 1] != b"e":
            item, i = _decode(data, i)
            items.append(item)
        return items, i + 1
    if lead == b"d":
        mapping: dict[str, Value] = {}
        i += 1
        while data[i : i + 1] != b"e":
            key, i = _decode(data, i)
            if not isinstance(key, str):
                raise NgError("dictionary key is not text")
            mapping[key], i = _decode(data, i)
        return mapping, i + 1
    if lead.isdigit():
        colon = data.find(b":", i)
        if colon < 0:
            raise NgError("string without length")
        start = colon + 1
        stop = start + int(data[i:colon])
        if stop > len(data):
            raise NgError("truncated string")
        raw = data[start:stop]
        try:
            return raw.decode(), stop
        except UnicodeDecodeError:
            return raw, stop
    raise NgError(f"unexpected byte {lead!r} at {i}")


@dataclass
class NgCodec:
    """Numbers requests with cookies and matches replies to them (no I/O, no clock)."""

    prefix: str = "sp"
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def request(self, command: str, params: dict[str, Value] | None = None) -> tuple[str, bytes]:
        cookie = f"{self.prefix}{next(self._counter)}"
        body: dict[str, Value] = {"command": command, **(params or {})}
        return cookie, cookie.encode() + b" " + encode(body)

    @staticmethod
    def reply(datagram: bytes) -> tuple[str, dict[str, Value]]:
        cookie, sep, body = datagram.partition(b" ")
        if not sep:
            raise NgError("no cookie")
        value = decode(body)
        if not isinstance(value, dict):
            raise NgError("reply is not a dictionary")
        return cookie.decode(errors="replace"), value
