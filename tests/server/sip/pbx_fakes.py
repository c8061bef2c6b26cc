"""Helpers for the PBX sans-IO tests: a fake clock and request builders (no sockets)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from server.sip.message import SipRequest, SipResponse
from server.sip.parser import parse_message


@dataclass
class FakeClock:
    now: float = 1_000_000.0

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def request(
    method: str,
    uri: str,
    *,
    from_: str,
    to: str,
    call_id: str | None = None,
    cseq: int = 1,
    via: str = "SIP/2.0/UDP 127.0.0.1:5099",
    branch: str | None = None,
    headers: list[tuple[str, str]] = (),  # type: ignore[assignment]
    body: bytes = b"",
    from_tag: str | None = "ft1",
) -> SipRequest:
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: {via};branch=z9hG4bK{branch or secrets.token_hex(6)};rport",
        "Max-Forwards: 70",
        f"From: <{from_}>" + (f";tag={from_tag}" if from_tag else ""),
        f"To: <{to}>",
        f"Call-ID: {call_id or secrets.token_hex(8)}",
        f"CSeq: {cseq} {method}",
    ]
    lines += [f"{n}: {v}" for n, v in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    msg = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    assert isinstance(msg, SipRequest)
    return msg


def header(resp: SipResponse, name: str) -> list[str]:
    return resp.headers.get_all(name)
