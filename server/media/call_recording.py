"""Recording ordinary two-party calls: the call's media is anchored in rtpengine and both parties' audio
is mixed into one crash-safe WAV per call.

The PBX core relays SDP untouched (phone to phone).  For a call to record, :class:`CallAnchor` sits on the
SIP adapter's way out (``CoreRunner.media_hook``): it rewrites the SDP of the INVITE (rtpengine ``offer``)
and of the 2xx answer (``answer``) so both phones send their RTP to rtpengine, then subscribes to each
party's stream (``subscribe request``/``answer``: rtpengine sends a copy of what each phone sends, as
PCMU, to a socket of ours).  :class:`CallRecorders` mixes the two copies every 20 ms
(:class:`server.media.mixing.RoomMix`) into a :class:`server.media.recorder.WavRecorder`.  BYE (or a
failed INVITE) ends the engine call and the recording; ``index.jsonl`` gets one line per call.

The file is ``<UTC start>_<callee>_<Call-ID>.wav`` in the recordings directory; once it starts,
``CallRecorders.on_started`` has the call record (CDR) link it by file name.  Which calls are recorded is
``server.media.recording_rules`` (company policy, user override, the server's list).

A failure of the engine (down, refusing) never fails the call: the message goes out with the phones' own
SDP and the call is simply not recorded (one warning line).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from server.media.engine import EngineError, RtpEngine
from server.media.mixing import RoomMix
from server.media.ng import Value
from server.media.pacing import FrameLoop
from server.media.recorder import WavRecorder
from server.media.recording import safe_name
from server.sip.address import Address
from server.sip.message import SipRequest, SipResponse

log = logging.getLogger("server.media.call_recording")

PARTIES = ("caller", "callee")


def _has_audio(body: bytes) -> bool:
    return b"m=audio" in body


def recording_policy(users: Iterable[str]) -> Callable[[SipRequest], bool]:
    """Record calls from or to any of ``users`` (SIP user parts, e.g. extensions); ``"*"`` records all."""
    wanted = frozenset(users)
    everyone = "*" in wanted

    def records(invite: SipRequest) -> bool:
        if everyone:
            return True
        return invite.from_.uri.user in wanted or invite.to.uri.user in wanted

    return records


class _Copy(asyncio.DatagramProtocol):
    """One party's copy of the audio (rtpengine's subscription stream, PCMU)."""

    def __init__(self, recording: Recording, party: str) -> None:
        self.recording = recording
        self.party = party

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if len(data) > 12 and data[1] & 0x7F == 0:
            self.recording.mix.push(self.party, data[12:])
            self.recording.heard_at = time.monotonic()


@dataclass
class Recording:
    call_id: str
    recorder: WavRecorder
    facts: dict[str, object]
    mix: RoomMix = field(default_factory=RoomMix)
    transports: list[asyncio.DatagramTransport] = field(default_factory=list)
    heard_at: float = field(default_factory=time.monotonic)  # the last packet from either party


class CallRecorders:
    """The running call recordings and the one 20 ms tick that writes them all."""

    def __init__(
        self, engine: RtpEngine, directory: Path, host: str = "127.0.0.1", *, idle_timeout: float = 90.0
    ) -> None:
        self.engine = engine
        self.directory = directory
        self.host = host
        # no audio from either party this long: the call is gone without a BYE we saw (rtpengine drops a
        # call after 60 s without media anyway); the recording ends, ``on_idle(call_id)`` is told
        self.idle_timeout = idle_timeout
        self.on_idle: Callable[[str], None] = lambda call_id: None
        # a recording began (its WAV exists): the call record links it (``server.domain.calls``)
        self.on_started: Callable[[str, Path], None] = lambda call_id, path: None
        self.recordings: dict[str, Recording] = {}
        self._frames = FrameLoop(self._write_frames, "call-recorder")

    async def start(self, call_id: str, tags: dict[str, str], facts: dict[str, object]) -> Recording:
        """Subscribe to each party's stream (``tags``: party -> SIP tag) and start the WAV."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        callee = str(facts.get("callee") or "call")
        path = self.directory / f"{stamp}_{safe_name(callee)}_{safe_name(call_id)}.wav"
        recording = Recording(call_id, WavRecorder(path), {"call_id": call_id, **facts})
        self.recordings[call_id] = recording
        loop = asyncio.get_running_loop()
        try:
            for party, tag in tags.items():
                recording.mix.join(party)
                transport, _ = await loop.create_datagram_endpoint(
                    lambda party=party: _Copy(recording, party),  # type: ignore[misc]
                    local_addr=(self.host, 0),
                )
                recording.transports.append(transport)
                port = int(transport.get_extra_info("sockname")[1])
                sub_tag = f"rec-{party}-{tag}"
                await self.engine.command(
                    "subscribe request",
                    {
                        "call-id": call_id,
                        "from-tag": tag,
                        "to-tag": sub_tag,
                        # rtpengine 10.5 passes a subscription through in the party's codec unless told:
                        # we take PCMU only (a G.722 or PCMA phone's copy is transcoded)
                        "flags": ["allow-transcoding"],
                        "codec": {"transcode": ["PCMU"]},
                    },
                )
                await self.engine.command(
                    "subscribe answer",
                    {
                        "call-id": call_id,
                        "to-tag": sub_tag,
                        "sdp": self._sdp(port),
                        "flags": ["allow-transcoding"],
                    },
                )
        except (EngineError, OSError):
            self.stop(call_id)
            raise
        self._frames.ensure_running()
        self.on_started(call_id, path)
        return recording

    def _sdp(self, port: int) -> str:
        return (
            f"v=0\r\no=- 1 1 IN IP4 {self.host}\r\ns=-\r\nc=IN IP4 {self.host}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=recvonly\r\n"
        )

    def stop(self, call_id: str) -> None:
        recording = self.recordings.pop(call_id, None)
        if recording is None:
            return
        for transport in recording.transports:
            transport.close()
        recording.recorder.close(self.directory / "index.jsonl", **recording.facts)

    async def close(self) -> None:
        for call_id in list(self.recordings):
            self.stop(call_id)
        await self._frames.stop()

    def _write_frames(self, tick: int) -> None:
        for recording in list(self.recordings.values()):
            recording.mix.take()
            recording.recorder.write(recording.mix.last_pcm16())
        if tick % 50 == 49:
            limit = time.monotonic() - self.idle_timeout
            for call_id in [c for c, r in self.recordings.items() if r.heard_at < limit]:
                log.info("call %s: no audio for %.0f s, recording ended", call_id, self.idle_timeout)
                self.stop(call_id)
                self.on_idle(call_id)


@dataclass
class _Anchored:
    caller_tag: str
    facts: dict[str, object]
    recording: bool = False
    cache: dict[tuple[bool, str, str, bytes], bytes] = field(default_factory=dict)  # (offer?, tags, SDP)
    rewritten: set[bytes] = field(default_factory=set)  # SDPs rtpengine gave us (already rewritten)
    offers: set[tuple[str, int]] = field(default_factory=set)  # (From tag, CSeq) of INVITEs we anchored
    # held messages of this call leave in the order the core sent them (a CANCEL or BYE never overtakes
    # the INVITE or 2xx still being rewritten)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: int = 0


class CallAnchor:
    """The SIP adapter's media hook: which outgoing messages need their SDP rewritten, and the rewrite.

    ``records(invite)`` decides per initial INVITE; ``exclude`` are destinations never anchored (the
    feature-call UAS and the call center's UAS: their media is on the engine already).
    """

    def __init__(
        self,
        engine: RtpEngine,
        recorders: CallRecorders,
        records: Callable[[SipRequest], bool],
        exclude: Iterable[tuple[str, int]] = (),
    ) -> None:
        self.engine = engine
        self.recorders = recorders
        self.records = records
        self.exclude = set(exclude)
        self.calls: dict[str, _Anchored] = {}
        self.failures = 0
        # the PBX's hang-up (SipService.hang_up): calls whose media died with the engine are ended
        self.hang_up: Callable[[str, str], bool] | None = None
        self._held: dict[int, _Anchored] = {}  # id(message) -> its call, from wants() to rewrite()
        self._tasks: set[asyncio.Task[None]] = set()
        recorders.on_idle = lambda call_id: self._spawn(self._end(call_id, "no audio"))

    # -- on the way out (synchronous, on every message: keep it cheap) -------------------------------
    def wants(self, message: SipRequest | SipResponse, dest: Address) -> bool:
        """True: hold ``message`` for :meth:`rewrite`.  Also notices the ends of anchored calls."""
        call_id = message.call_id
        call = self.calls.get(call_id)
        if isinstance(message, SipRequest):
            method = message.method
            if method == "INVITE" and _has_audio(message.body):
                if call is None:
                    if message.to_tag is not None or (dest.host, dest.port) in self.exclude:
                        return False
                    if not self.records(message):
                        return False
                    facts: dict[str, object] = {
                        "caller": message.from_.uri.user or "",
                        "callee": message.to.uri.user or "",
                    }
                    call = self.calls[call_id] = _Anchored(message.from_tag or "", facts)
                return self._hold(call, message)
            if call is None:
                return False
            if call.pending > 0:
                return self._hold(call, message)  # ends the call (BYE) once its turn came
            if method == "BYE":
                self._spawn(self._end(call_id, "bye"))
            return False
        if call is None or message.cseq[1] != "INVITE":
            return False
        status = message.status
        if 200 <= status < 300:
            # only answers to offers we anchored: a 2xx carrying an offer (late-offer re-INVITE) passes as is
            offered = (message.from_tag or "", message.cseq[0]) in call.offers
            return _has_audio(message.body) and offered and self._hold(call, message)
        if status >= 300 and not call.recording and message.to_tag is not None:
            self._spawn(self._end(call_id, f"invite failed {status}"))
        return call.pending > 0 and self._hold(call, message)

    def _hold(self, call: _Anchored, message: SipRequest | SipResponse) -> bool:
        call.pending += 1
        self._held[id(message)] = call
        return True

    async def rewrite(self, message: SipRequest | SipResponse) -> None:
        """Replace the message's SDP with rtpengine's (in place); a held message without SDP to rewrite
        just waits for its turn.  Raises EngineError (the adapter then sends it as is).

        Idempotent: a retransmission of a message already rewritten (the transaction layer resends the
        same object) or the same SDP again (forked branches, 2xx retransmissions) costs no engine call.
        """
        call = self._held.pop(id(message), None)
        if call is None:
            return
        try:
            async with call.lock:
                if isinstance(message, SipRequest) and message.method != "INVITE":
                    if message.method == "BYE":
                        self._spawn(self._end(message.call_id, "bye"))
                    return
                if isinstance(message, SipResponse) and not 200 <= message.status < 300:
                    return
                await self._rewrite_sdp(call, message)
        finally:
            call.pending -= 1

    async def _rewrite_sdp(self, call: _Anchored, message: SipRequest | SipResponse) -> None:
        if message.body in call.rewritten:
            return
        call_id = message.call_id
        from_tag = message.from_tag or ""
        to_tag = message.to_tag or ""
        is_offer = isinstance(message, SipRequest)
        key = (is_offer, from_tag, to_tag, message.body)
        new_body = call.cache.get(key)
        if new_body is None:
            params: dict[str, Value] = {
                "call-id": call_id,
                "from-tag": from_tag,
                "sdp": message.body.decode(errors="replace"),
            }
            if to_tag:
                params["to-tag"] = to_tag
            reply = await self.engine.command("offer" if is_offer else "answer", params)
            sdp = reply.get("sdp")
            if not isinstance(sdp, str):
                raise EngineError("no SDP in rtpengine's reply")
            new_body = call.cache[key] = sdp.encode()
            call.rewritten.add(new_body)
        message.body = new_body
        if is_offer:
            call.offers.add((from_tag, message.cseq[0]))
        elif not call.recording and to_tag:
            call.recording = True
            self._spawn(self._record(call_id, call, to_tag))

    async def _record(self, call_id: str, call: _Anchored, callee_tag: str) -> None:
        try:
            await self.recorders.start(call_id, {"caller": call.caller_tag, "callee": callee_tag}, call.facts)
        except (EngineError, OSError) as exc:
            self.failures += 1
            log.warning("call %s: not recorded (%s)", call_id, exc)
            return
        if self.calls.get(call_id) is not call:  # ended while the subscriptions were set up
            self.recorders.stop(call_id)

    async def _end(self, call_id: str, why: str) -> None:
        call = self.calls.pop(call_id, None)
        if call is None:
            return
        async with call.lock:  # after any message of the call still being rewritten
            pass
        self.recorders.stop(call_id)
        log.debug("anchored call %s ended: %s", call_id, why)
        with contextlib.suppress(EngineError):
            await self.engine.command("delete", {"call-id": call_id})

    def engine_restarted(self) -> None:
        """The engine's calls are gone, and with them the anchored calls' media: their recordings stop and
        the PBX ends them (BYE to both phones, the Reason in the call record) not left silent."""
        ended = list(self.calls)
        for call_id in ended:
            self.recorders.stop(call_id)
        self.calls.clear()
        if self.hang_up is not None:
            for call_id in ended:
                self.hang_up(call_id, "Media engine restarted")

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[call-overload]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
