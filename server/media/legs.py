"""The typed engine API on one caller's media leg: open, echo, play/stop, block, DTMF, hang up.

A leg is one rtpengine call whose far side is rtpengine itself: the offer gives the port rtpengine
opens towards "the other party"; we answer with that same port, so whatever the caller sends comes
back out to the caller (the echo, done entirely inside rtpengine: 10.5 has no media-echo flag).
Blocking the caller's media cuts the loop; ``play media`` then feeds prompts and music to the caller.
:meth:`MediaLegs.bridge` replaces the loop by another party (an agent's phone, a recorder socket): the
call is answered again with that party's SDP, so the caller's side (and its 200 OK) stays as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.media.engine import EngineError, RtpEngine
from server.media.ng import Value

_M_AUDIO = re.compile(r"^m=audio (\d+) ", re.M)
_C_LINE = re.compile(r"^c=IN IP4 (\S+)", re.M)


@dataclass
class Leg:
    call_id: str
    caller_tag: str  # the caller's From tag
    engine_tag: str  # our To tag towards the caller
    sdp: str  # rtpengine's SDP for the caller (goes in our 200 OK)
    far_sdp: str = ""  # rtpengine's SDP towards the far side (its own port in the loop, or the mixer's)
    echoing: bool = False
    playing: bool = False
    caller_sdp: str = ""  # the caller's own offer


def media_address(sdp: str) -> tuple[str, int]:
    """The audio address of an SDP (session c= line and the m=audio port)."""
    port = _M_AUDIO.search(sdp)
    host = _C_LINE.search(sdp)
    if port is None or host is None:
        raise EngineError("SDP without an audio address")
    return host.group(1), int(port.group(1))


_STATIC_CODECS = {"0": "PCMU", "8": "PCMA", "9": "G722"}


def audio_codecs(sdp: str) -> list[str]:
    """The audio codec names of an SDP in its order (``PCMU``, ``G722``; telephone-event left out)."""
    m = re.search(r"^m=audio \d+ \S+ ([\d ]+)", sdp, re.M)
    if m is None:
        return []
    names = {pt: name.upper() for pt, name in re.findall(r"^a=rtpmap:(\d+) ([^/\s]+)", sdp, re.M)}
    codecs = [names.get(pt) or _STATIC_CODECS.get(pt, pt) for pt in m.group(1).split()]
    return [c for c in codecs if c != "TELEPHONE-EVENT"]


def _loop_answer(offer_reply_sdp: str) -> str:
    """An answer whose media address is rtpengine's own far-side port: the loop."""
    port = _M_AUDIO.search(offer_reply_sdp)
    host = _C_LINE.search(offer_reply_sdp)
    if port is None or host is None:
        raise EngineError("rtpengine offer reply has no audio address")
    return offer_reply_sdp


class MediaLegs:
    """Executes leg operations on one :class:`RtpEngine`.  Every method raises EngineError on failure."""

    def __init__(self, engine: RtpEngine) -> None:
        self.engine = engine

    async def open(
        self,
        call_id: str,
        caller_tag: str,
        engine_tag: str,
        caller_sdp: str,
        *,
        inject_dtmf: bool = False,
        far_sdp: str | None = None,
        far_codecs: tuple[str, ...] = (),
    ) -> Leg:
        """Anchor the caller's media (caller's audio blocked until :meth:`echo`).

        With ``far_sdp`` the far side is that address instead of the loop (a conference member's mixer
        socket): the caller's audio flows there at once.

        RFC 4733 events from the caller reach ``--dtmf-log-dest`` on every leg.  ``inject_dtmf`` (needed
        for :meth:`send_dtmf`) puts the leg in rtpengine's decoding path, which costs CPU on every packet
        (about 3x the echo's cost in bench/bench_media.py), so it is off unless asked for.

        ``far_codecs`` are offered to the far side besides the caller's own (an agent's phone that takes
        only PCMU can then answer a G.722 or PCMA caller; :meth:`bridge` transcodes).
        """
        transcode: list[Value] = ["PCMU"] if far_sdp is not None else list(far_codecs)
        flags: list[Value] = ["inject-DTMF"] if inject_dtmf else []
        offer = await self.engine.command(
            "offer",
            {
                "call-id": call_id,
                "from-tag": caller_tag,
                "sdp": caller_sdp,
                "flags": flags,
                # the far side is always ours (the loop or the mixer): plain RTP; a caller's SDES-SRTP
                # (RTP/SAVP, a=crypto) is terminated on the caller's side
                "transport-protocol": "RTP/AVP",
                # the mixer takes PCMU: offered to it whatever the caller uses (G.722, PCMA: transcoded)
                **({"codec": {"transcode": transcode}} if transcode else {}),
            },
        )
        far = offer.get("sdp")
        if not isinstance(far, str):
            raise EngineError("offer without SDP")
        answer = await self.engine.command(
            "answer",
            {
                "call-id": call_id,
                "from-tag": caller_tag,
                "to-tag": engine_tag,
                "sdp": far_sdp if far_sdp is not None else _loop_answer(far),
                "flags": flags,
            },
        )
        sdp = answer.get("sdp")
        if not isinstance(sdp, str):
            raise EngineError("answer without SDP")
        leg = Leg(call_id, caller_tag, engine_tag, sdp, far_sdp=far, caller_sdp=caller_sdp)
        if far_sdp is None:
            await self.block(leg)
        return leg

    def _ids(self, leg: Leg) -> dict[str, Value]:
        return {"call-id": leg.call_id, "from-tag": leg.caller_tag}

    async def block(self, leg: Leg) -> None:
        await self.engine.command("block media", self._ids(leg))
        leg.echoing = False

    async def echo(self, leg: Leg) -> None:
        await self.engine.command("unblock media", self._ids(leg))
        leg.echoing = True

    async def play(self, leg: Leg, path: str, *, loop: bool = False) -> int:
        """Play a WAV file to the caller; returns its duration in ms (one round)."""
        params = self._ids(leg) | {"file": path}
        if loop:
            params["repeat-times"] = 1_000_000
        reply = await self.engine.command("play media", params)
        leg.playing = True
        duration = reply.get("duration")
        return duration if isinstance(duration, int) else 0

    async def stop(self, leg: Leg) -> None:
        if leg.playing:
            leg.playing = False
            await self.engine.command("stop media", self._ids(leg))

    async def send_dtmf(self, leg: Leg, digit: str, duration_ms: int = 100) -> None:
        await self.engine.command("play DTMF", self._ids(leg) | {"code": digit, "duration": duration_ms})

    async def bridge(self, leg: Leg, other_sdp: str, *, transcode: bool = False, codec: str = "PCMU") -> str:
        """Connect the caller to the party of ``other_sdp`` (an answer to ``leg.far_sdp``): prompts stop,
        rtpengine forwards both ways between the caller and that party.  Returns the caller-side SDP.

        ``transcode``: the party takes only G.711 and cannot be told the caller's codec (our recorder
        socket): the caller's offer is made again so rtpengine decodes whatever the caller speaks (G.722
        included) into ``codec`` towards the party.  Without it rtpengine forwarded a G.722 caller's packets
        as they were, and voicemail stayed silent.  An agent who answered a codec the caller did not offer
        is bridged the same way (``codec``: the agent's)."""
        await self.stop(leg)
        if transcode:
            await self.engine.command(
                "offer",
                {
                    "call-id": leg.call_id,
                    "from-tag": leg.caller_tag,
                    "sdp": leg.caller_sdp,
                    "transport-protocol": "RTP/AVP",
                    "codec": {"mask": ["all"], "transcode": [codec]},
                    "flags": ["always-transcode"],
                },
            )
        answer = await self.engine.command(
            "answer",
            {
                "call-id": leg.call_id,
                "from-tag": leg.caller_tag,
                "to-tag": leg.engine_tag,
                "sdp": other_sdp,
            },
        )
        await self.echo(leg)  # unblock the caller's audio: it now goes to the other party
        sdp = answer.get("sdp")
        return sdp if isinstance(sdp, str) else leg.sdp

    async def hangup(self, leg: Leg) -> None:
        await self.engine.command("delete", self._ids(leg))
