"""Feature calls answered by the PBX process itself: a SIP UAS on loopback whose media is rtpengine's.

The proxy forks engine feature numbers (``*43`` echo, ``*44`` hold music, ``*45`` digit test) here like to
any other target (Record-Route keeps it on the path).  Each INVITE becomes one rtpengine leg
(:class:`server.media.legs.MediaLegs`) and one sans-IO machine (:mod:`server.media.logic`); this module is
the adapter that turns SIP and engine events into machine events and executes the machine's actions.

Overload: past ``limit`` concurrent calls an INVITE gets 503 with a Reason and Retry-After, and a log
line; calls already up are not touched.  Engine crash: every call it carried gets a BYE with a Reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.media.engine import DtmfEvent, EngineError, EngineState, RtpEngine
from server.media.legs import Leg, MediaLegs, media_address
from server.media.logic import (
    Action,
    Answered,
    Collected,
    ConferenceMember,
    DigitCollector,
    Dtmf,
    Echo,
    EchoTest,
    Event,
    HangUp,
    HungUp,
    Join,
    Machine,
    MusicOnHold,
    Play,
    PromptFinished,
    SetTimer,
    Stop,
)
from server.media.mixer import RoomFull
from server.media.mixer_client import MixerProcess, MixerUnavailable
from server.sip.headers import Headers
from server.sip.message import SipRequest, SipResponse, make_response, new_branch, new_tag
from server.sip.parser import parse_message
from server.sip.routing import feature_prefix
from server.sip.uri import parse_uri

log = logging.getLogger("server.media.feature_calls")

ECHO_TEST = "*43"
HOLD_MUSIC = "*44"
DIGIT_TEST = "*45"
OVERLOAD_REASON = 'SIP;cause=503;text="Media capacity reached"'
ENGINE_DOWN_REASON = 'SIP;cause=503;text="Media engine unavailable"'
ENGINE_RESTART_REASON = 'SIP;cause=503;text="Media engine restarted"'
T1 = 0.5
_SIGNAL = re.compile(r"Signal\s*=\s*([0-9A-Da-d*#])", re.I)
ROOM = re.compile(r"\*8\d\d")
ROOM_NUMBERS = tuple(f"*8{n:02d}" for n in range(100))
ROOM_FULL_REASON = 'SIP;cause=486;text="Conference room full"'
MIXER_DOWN_REASON = 'SIP;cause=503;text="Conference mixer unavailable"'
MIXER_RESTART_REASON = 'SIP;cause=503;text="Conference mixer restarted"'


def default_features() -> dict[str, Callable[[], Machine]]:
    return {ECHO_TEST: EchoTest, HOLD_MUSIC: MusicOnHold, DIGIT_TEST: DigitCollector}


@dataclass
class FeatureCall:
    invite: SipRequest
    source: tuple[str, int]
    feature: str
    machine: Machine
    to_tag: str = field(default_factory=new_tag)
    leg: Leg | None = None
    last_response: bytes = b""
    confirmed: bool = False
    ended: bool = False
    cseq: int = 0
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    prompt_timer: asyncio.TimerHandle | None = None
    media_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # engine actions in the machine's order

    @property
    def call_id(self) -> str:
        return self.invite.call_id


class _Sip(asyncio.DatagramProtocol):
    def __init__(self, owner: FeatureCalls) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.owner._datagram(data, (str(addr[0]), int(addr[1])))


class FeatureCalls:
    """The UAS.  ``collected`` keeps the digits each digit-test call gathered (what an IVR will consume)."""

    far_codecs: tuple[str, ...] = ()  # offered towards the far side besides the caller's (`MediaLegs.open`)

    def __init__(
        self,
        engine: RtpEngine,
        prompts: dict[str, Path],
        *,
        limit: int = 400,
        host: str = "127.0.0.1",
        port: int = 0,
        features: dict[str, Callable[[], Machine]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        record_dir: Path | None = None,
        room_pins: dict[str, str] | None = None,
        rooms: bool = True,
    ) -> None:
        self.engine = engine
        self.room_pins = room_pins or {}  # room number ("*801") -> PIN callers enter before joining
        self.legs = MediaLegs(engine)
        self.prompts = prompts
        self.limit = limit
        self.host = host
        self.port = port
        self.features = features if features is not None else default_features()
        self.clock = clock
        self.calls: dict[str, FeatureCall] = {}
        self.collected: dict[str, str] = {}
        # conference rooms are mixed in a supervised process of their own (None: no rooms on this UAS)
        self.mixer: MixerProcess | None = None
        if rooms:
            self.mixer = MixerProcess(host, record_dir=record_dir, on_restart=self._mixer_restarted)
        self.refused = 0
        # the PBX ends a call whose media process died (BYE to both sides, call record media_failure);
        # None or False (no such dialog): our own BYE with the Reason
        self.pbx_hang_up: Callable[[str, str], bool] | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        engine.on_dtmf = self._engine_dtmf
        engine.on_restart = self._engine_restarted

    async def start(self) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _Sip(self), local_addr=(self.host, self.port)
        )
        self.port = int(self._transport.get_extra_info("sockname")[1])
        sock = self._transport.get_extra_info("socket")
        with contextlib.suppress(OSError):  # a burst of BYEs from hundreds of callers fits
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        if self.mixer is not None:
            try:
                await self.mixer.start()
            except MixerUnavailable as exc:
                log.error("conference mixer not started (%s); conference rooms unavailable", exc)
        return self.host, self.port

    async def stop(self) -> None:
        for call in list(self.calls.values()):
            await self._hang_up(call, 'SIP;cause=503;text="Server shutting down"')
        if self.mixer is not None:
            await self.mixer.stop()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # -- SIP in ------------------------------------------------------------------------------
    def _send(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._transport is not None:
            self._transport.sendto(data, addr)

    def _respond(self, req: SipRequest, addr: tuple[str, int], status: int, **headers: str) -> bytes:
        resp = make_response(req, status)
        for name, value in headers.items():
            resp.headers.add(name.replace("_", "-"), value)
        data = resp.to_bytes()
        self._send(data, addr)
        return data

    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if not data.strip():
            return  # keep-alive
        try:
            msg = parse_message(data)
        except Exception:
            log.debug("unparsable datagram from %s", addr)
            return
        if isinstance(msg, SipResponse):
            return  # answers to our BYEs: nothing to do
        try:
            self._request(msg, addr)
        except Exception:
            log.exception("feature call %s: %s failed", msg.call_id, msg.method)

    def _request(self, req: SipRequest, addr: tuple[str, int]) -> None:
        call = self.calls.get(req.call_id)
        method = req.method
        if method == "INVITE" and req.to_tag is None:
            if call is not None:
                if call.last_response:
                    self._send(call.last_response, addr)  # retransmitted INVITE
                return
            self._new_call(req, addr)
        elif method == "ACK":
            if call is not None and req.to_tag == call.to_tag:
                call.confirmed = True
        elif method == "OPTIONS":
            self._respond(req, addr, 200, Allow="INVITE, ACK, BYE, CANCEL, INFO, OPTIONS")
        elif call is None or (req.to_tag is not None and req.to_tag != call.to_tag):
            self._respond(req, addr, 481)
        elif method == "CANCEL":
            self._respond(req, addr, 200)
            if call.leg is None or not call.last_response.startswith(b"SIP/2.0 200"):
                resp = make_response(call.invite, 487, to_tag=call.to_tag)
                call.last_response = resp.to_bytes()
                self._send(call.last_response, call.source)
                self._end(call, "cancelled")
        elif method == "BYE":
            self._respond(req, addr, 200)
            self._feed(call, HungUp())
            self._end(call, "caller hung up")
        elif method == "INFO":
            self._respond(req, addr, 200)
            match = _SIGNAL.search(req.body.decode(errors="replace"))
            if match:
                self._feed(call, Dtmf(match.group(1)))
        elif method == "INVITE":  # re-INVITE: same media, same answer
            if call.leg is not None:
                self._answer_ok(call, req, addr, call.leg.sdp, retransmit=False)
        else:
            self._respond(req, addr, 200 if method in ("UPDATE", "PRACK") else 405)

    def _new_call(self, req: SipRequest, addr: tuple[str, int]) -> None:
        feature = req.uri.user or ""
        factory = self.features.get(feature) or self.features.get(feature_prefix(feature) or "")
        if factory is None and self.mixer is not None and ROOM.fullmatch(feature):
            factory = lambda: ConferenceMember(feature, self.room_pins.get(feature))  # noqa: E731
        if factory is None:
            self._respond(req, addr, 404)
            return
        if len(self.calls) >= self.limit:
            self.refused += 1
            log.warning(
                "media capacity reached (%d calls, limit %d): %s refused with 503",
                len(self.calls),
                self.limit,
                req.call_id,
            )
            self._refuse(req, addr, OVERLOAD_REASON)
            return
        if self.engine.state is not EngineState.RUNNING:
            log.warning("media engine %s: %s refused with 503", self.engine.state.value, req.call_id)
            self._refuse(req, addr, ENGINE_DOWN_REASON)
            return
        if ROOM.fullmatch(feature) and (self.mixer is None or not self.mixer.running):
            log.warning("conference mixer not running: %s refused with 503", req.call_id)
            self._refuse(req, addr, MIXER_DOWN_REASON)
            return
        call = FeatureCall(req, addr, feature, factory())
        self.calls[req.call_id] = call
        call.last_response = self._respond(req, addr, 100)
        self._spawn(self._answer(call))

    def _refuse(self, req: SipRequest, addr: tuple[str, int], reason: str) -> None:
        resp = make_response(req, 503, to_tag=new_tag())
        resp.headers.add("Reason", reason)
        resp.headers.add("Retry-After", "5")
        self._send(resp.to_bytes(), addr)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, call: FeatureCall) -> None:
        req = call.invite
        from_tag = req.from_tag or ""
        far_sdp: str | None = None
        mixer = self.mixer if isinstance(call.machine, ConferenceMember) else None
        if mixer is not None:
            assert isinstance(call.machine, ConferenceMember)
            try:
                far_sdp = await mixer.join(call.machine.room, call.call_id, admit=False)
            except MixerUnavailable as exc:
                log.warning("feature call %s: conference mixer refused (%s)", req.call_id, exc)
                resp = make_response(req, 503, to_tag=call.to_tag)
                resp.headers.add("Reason", MIXER_DOWN_REASON)
                call.last_response = resp.to_bytes()
                self._send(call.last_response, call.source)
                self.calls.pop(req.call_id, None)
                return
            except RoomFull:
                resp = make_response(req, 486, to_tag=call.to_tag)
                resp.headers.add("Reason", ROOM_FULL_REASON)
                call.last_response = resp.to_bytes()
                self._send(call.last_response, call.source)
                self.calls.pop(req.call_id, None)
                return
        try:
            call.leg = await self.legs.open(
                req.call_id,
                from_tag,
                call.to_tag,
                req.body.decode(errors="replace"),
                far_sdp=far_sdp,
                far_codecs=self.far_codecs,
            )
            if mixer is not None:
                await mixer.connect(call.call_id, media_address(call.leg.far_sdp))
        except (EngineError, MixerUnavailable) as exc:
            if mixer is not None:
                mixer.leave(call.call_id)
            log.warning("feature call %s: engine refused the leg (%s)", req.call_id, exc)
            resp = make_response(req, 503, to_tag=call.to_tag)
            resp.headers.add("Reason", ENGINE_DOWN_REASON)
            call.last_response = resp.to_bytes()
            self._send(call.last_response, call.source)
            self.calls.pop(req.call_id, None)
            return
        if call.ended:  # cancelled while the engine answered
            await self._release(call)
            return
        self._answer_ok(call, req, call.source, call.leg.sdp, retransmit=True)
        self._feed(call, Answered())

    def _answer_ok(
        self, call: FeatureCall, req: SipRequest, addr: tuple[str, int], sdp: str, *, retransmit: bool
    ) -> None:
        resp = make_response(req, 200, to_tag=call.to_tag)
        resp.headers.add("Contact", f"<sip:{call.feature}@{self.host}:{self.port}>")
        resp.headers.add("Allow", "INVITE, ACK, BYE, CANCEL, INFO, OPTIONS")
        resp.headers.add("Content-Type", "application/sdp")
        resp.body = sdp.encode()
        data = resp.to_bytes()
        self._send(data, addr)
        if retransmit:
            call.last_response = data
            self._spawn(self._retransmit(call, data, addr))

    async def _retransmit(self, call: FeatureCall, data: bytes, addr: tuple[str, int]) -> None:
        interval = T1
        for _ in range(7):
            await asyncio.sleep(interval)
            if call.confirmed or call.ended:
                return
            self._send(data, addr)
            interval = min(interval * 2, 4.0)
        if not call.confirmed and not call.ended:
            log.warning("feature call %s: no ACK, hanging up", call.call_id)
            await self._hang_up(call, 'SIP;cause=408;text="No ACK"')

    # -- engine events -------------------------------------------------------------------------
    def _engine_dtmf(self, event: DtmfEvent) -> None:
        call = self.calls.get(event.call_id)
        if call is not None and event.source_tag in ("", call.invite.from_tag):
            self._feed(call, Dtmf(event.digit))

    def _mixer_restarted(self) -> None:
        """The mixer process died: its members' audio went with it, so their calls end (a new process
        is starting; a new call to the room works once it is up)."""
        for call in list(self.calls.values()):
            if isinstance(call.machine, ConferenceMember):
                self._media_failed(call, MIXER_RESTART_REASON)

    def _engine_restarted(self) -> None:
        for call in list(self.calls.values()):
            call.leg = None  # gone with the process
            self._media_failed(call, ENGINE_RESTART_REASON)

    def _media_failed(self, call: FeatureCall, reason: str) -> None:
        text = reason.split('text="', 1)[1].rstrip('"')
        if call.confirmed and self.pbx_hang_up is not None and self.pbx_hang_up(call.call_id, text):
            self._feed(call, HungUp())
            self._end(call, text)  # the PBX's BYE to us finds the call gone (481)
        else:
            self._spawn(self._hang_up(call, reason))

    # -- machine adapter -----------------------------------------------------------------------
    def _feed(self, call: FeatureCall, event: Event) -> None:
        if call.ended and not isinstance(event, HungUp):
            return
        self._execute(call, call.machine.handle(event, self.clock()))

    def _timer_due(self, call: FeatureCall) -> None:
        if not call.ended:
            self._execute(call, call.machine.due(self.clock()))

    def _execute(self, call: FeatureCall, actions: list[Action]) -> None:
        loop = asyncio.get_running_loop()
        for action in actions:
            if isinstance(action, SetTimer):
                old = call.timers.pop(action.name, None)
                if old is not None:
                    old.cancel()
                delay = max(0.0, action.at - self.clock())
                call.timers[action.name] = loop.call_later(delay, self._timer_due, call)
            elif isinstance(action, HangUp):
                self._spawn(self._hang_up(call, f'SIP;cause=200;text="{action.reason}"'))
            elif isinstance(action, Collected):
                self.collected[call.call_id] = action.digits
                log.info("feature call %s collected %r", call.call_id, action.digits)
                self._spawn(self._hang_up(call, 'SIP;cause=200;text="Digits collected"'))
            elif isinstance(action, Join):
                if self.mixer is not None:
                    self.mixer.admit(call.call_id)
            elif isinstance(action, Echo | Play | Stop):
                self._spawn(self._media(call, action))
            # CancelTimer: the machine forgot it; a stale handle firing finds nothing due
            # Bridge / Dial / Record: not executed by this adapter yet (docs/media-plane.md)

    async def _media(self, call: FeatureCall, action: Echo | Play | Stop) -> None:
        async with call.media_lock:
            await self._media_locked(call, action)

    async def _media_locked(self, call: FeatureCall, action: Echo | Play | Stop) -> None:
        leg = call.leg
        if leg is None or call.ended:
            return
        try:
            if isinstance(action, Echo):
                await self.legs.echo(leg)
            elif isinstance(action, Stop):
                await self.legs.stop(leg)
                if call.prompt_timer is not None:
                    call.prompt_timer.cancel()
            else:
                path = self.prompts.get(action.prompt)
                if path is None:
                    log.warning("no prompt %r", action.prompt)
                    return
                await self.legs.stop(leg)
                if call.prompt_timer is not None:
                    call.prompt_timer.cancel()
                ms = await self.legs.play(leg, str(path), loop=action.loop)
                if not action.loop and ms > 0:
                    call.prompt_timer = asyncio.get_running_loop().call_later(
                        ms / 1000.0, self._prompt_done, call
                    )
        except EngineError as exc:
            log.warning("feature call %s: %s failed (%s)", call.call_id, type(action).__name__, exc)

    def _prompt_done(self, call: FeatureCall) -> None:
        if call.leg is not None and call.leg.playing:
            call.leg.playing = False
            self._feed(call, PromptFinished())

    # -- ending --------------------------------------------------------------------------------
    def _end(self, call: FeatureCall, why: str) -> None:
        if call.ended:
            return
        call.ended = True
        for handle in call.timers.values():
            handle.cancel()
        if call.prompt_timer is not None:
            call.prompt_timer.cancel()
        self.calls.pop(call.call_id, None)
        if self.mixer is not None and isinstance(call.machine, ConferenceMember):
            self.mixer.leave(call.call_id)
        log.debug("feature call %s ended: %s", call.call_id, why)
        self._spawn(self._release(call))

    async def _release(self, call: FeatureCall) -> None:
        leg, call.leg = call.leg, None
        if leg is not None:
            with contextlib.suppress(EngineError):
                await self.legs.hangup(leg)

    async def _hang_up(self, call: FeatureCall, reason: str) -> None:
        """Our BYE along the dialog's route set (the INVITE's Record-Route, towards the caller's Contact)."""
        if call.ended:
            return
        invite = call.invite
        if call.last_response.startswith(b"SIP/2.0 200"):
            contacts = invite.contacts
            routes = [str(rr) for rr in invite.record_routes]
            target = contacts[0].uri if contacts else invite.from_.uri
            next_hop = parse_uri(routes[0].strip("<>").split(">")[0]) if routes else target
            headers = Headers()
            headers.add("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch={new_branch()};rport")
            headers.add("Max-Forwards", "70")
            for route in routes:
                headers.add("Route", route)
            headers.add("From", str(invite.to.with_tag(call.to_tag)))
            headers.add("To", invite.headers.get("From") or "")
            headers.add("Call-ID", invite.call_id)
            call.cseq += 1
            headers.add("CSeq", f"{call.cseq} BYE")
            headers.add("Reason", reason)
            bye = SipRequest("BYE", target, headers)
            self._send(bye.to_bytes(), (next_hop.host, next_hop.port or 5060))
        elif call.last_response[8:9] not in (b"2", b"3", b"4", b"5", b"6"):
            resp = make_response(invite, 503, to_tag=call.to_tag)
            resp.headers.add("Reason", reason)
            self._send(resp.to_bytes(), call.source)
        self._feed(call, HungUp())
        self._end(call, reason)
