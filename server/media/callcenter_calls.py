"""Hotline calls the PBX answers itself: the call center's UAS (schedule -> IVR -> queue -> agent).

The proxy forks a carrier's INVITE to a hotline with a call-center route here (feature number ``*cc``,
Record-Routed like any target, so the CDR and in-dialog requests stay on the proxy).  This is a
:class:`FeatureCalls` UAS whose machine is a :class:`server.callcenter.flow.CallerFlow`; on top of the
feature calls' actions it executes:

* ``Dial("queue:N")``: the caller enters the PBX-wide :class:`QueueEngine`; its ``Offer`` actions become
  **agent legs**: INVITEs this UAS sends to the proxy for ``sip:<extension>@<domain>`` (the proxy trusts
  this UAS's address, forks to the agent's registered devices, answers 486 for DND and 480 when nothing is
  registered, and Record-Routes).  The offer carries rtpengine's far-side SDP of the caller's leg
  (``Leg.far_sdp``); the agent's 200 OK SDP then replaces the loop (:meth:`MediaLegs.bridge`), so caller
  and agent talk through rtpengine without a re-INVITE towards the carrier.
* ``Dial("extension:N")`` / ``Dial("ring_group:N")``: the same agent legs without a queue, step by step
  (a ring group's steps; an extension is one step of 20 s, then its voicemail box if it has one).
* **Call recording**: once an agent's answer is bridged, the call is recorded when the recording rules say
  so for the caller and the agent who answered (``records_answer``: the agent's override, the company's
  policy); :class:`CallRecorders` subscribes to both sides of the caller's engine call (the caller, and the
  agent who replaced the loop) and mixes them into one WAV linked from the caller's call record.  The IVR
  and the wait in the queue are not in it: the recording is the conversation, as a PBX's queue recording is.
* ``Record()``: the caller's audio goes to a socket of ours (the leg bridged to it) and into a WAV in
  ``<data_dir>/voicemail/<box>/``; at the end a message-waiting NOTIFY goes to the box owners' devices.

Queue-log lines (``LogEntry``) go to one :class:`QueueLogSink`; the queue engine runs on wall-clock time so
its ``at`` values are UNIX seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from server.callcenter.announce import (
    VOICEMAIL_GREETING,
    Said,
    agent_confirmation,
    agent_no_queue,
    compose,
    forwarding_confirmation,
    forwarding_refused,
    override_confirmation,
    parse_spoken,
    recording_notice,
    spoken,
    voicemail_greeting,
)
from server.callcenter.destinations import HANGUP, Destination
from server.callcenter.flow import AgentCodeCall, CallCenter, CallerFlow, VoicemailBox
from server.callcenter.log_sink import LoggingQueueSink, QueueLogSink
from server.callcenter.queue import Announce, CancelOffer, Exit, LogEntry, Offer, QueueAction, QueueEngine
from server.callcenter.ringgroup import RingPlan, RingStep
from server.media import voicemail_store
from server.media.call_recording import CallRecorders
from server.media.engine import EngineError, RtpEngine
from server.media.feature_calls import FeatureCall, FeatureCalls
from server.media.legs import audio_codecs, media_address
from server.media.logic import Action, Dial, Dtmf, Echo, Event, HangUp, Machine, Play, Record, Stop
from server.media.prompts import join_wavs
from server.media.voicemail import VoicemailRecording, message_summary
from server.sip.address import Address as SipAddress
from server.sip.carriers import normalize_number
from server.sip.headers import Headers
from server.sip.message import SipRequest, SipResponse, make_response, new_branch, new_tag
from server.sip.parser import parse_message
from server.sip.routing import CALL_CENTER, PBX_USER_HEADER, VOICEMAIL_HEADER, feature_prefix
from server.sip.transaction import Action as TransactionAction
from server.sip.transaction import Kind, Transaction, TransactionKey, TransactionTimeout
from server.sip.transaction import Send as SipSend
from server.sip.uri import SipUri, parse_uri

log = logging.getLogger("server.media.callcenter")

EXTENSION_RING_TIMEOUT = 20.0
EXTERNAL_RING_TIMEOUT = 45.0
RINGING_STAGES = ("extension", "ring_group", "external")
# agents' feature codes (desk phones and apps): all the queues they serve
LEAVE_QUEUE_KEY = "#"  # while waiting: leave the queue for its voicemail box (when it has one)
AGENT_CODES: dict[str, tuple[str, str]] = {  # number -> (action, pause reason); docs/sip-contract.md
    "*61": ("login", ""),
    "*62": ("logout", ""),
    "*63": ("pause", "break"),
    "*631": ("pause", "lunch"),
    "*632": ("pause", "training"),
    "*633": ("pause", "after-call work"),
    "*64": ("unpause", ""),
}
# (user, action, reason) -> (the queues changed, the company's language, the company)
AgentCommand = Callable[[int, str, str], Awaitable[tuple[list[int], str, int | None]]]
# supervisors' and admins' schedule override of their company's first schedule; docs/sip-contract.md
SCHEDULE_CODES: dict[str, str] = {"*65": "cycle", "*650": "auto", "*651": "open", "*652": "closed"}
# (user, action) -> (done, the override now: "open", "closed" or None for automatic, the company's language)
ScheduleCommand = Callable[[int, str], Awaitable[tuple[bool, str | None, str, int | None]]]
# any user's call forwarding, FreePBX style: code -> (condition, sets); a setting code is followed by the
# target (`*72103`, `*720912345678`, routing.FEATURE_PREFIXES); docs/sip-contract.md
FORWARD_CODES: dict[str, tuple[str, bool]] = {
    "*72": ("always", True),
    "*73": ("always", False),
    "*90": ("busy", True),
    "*91": ("busy", False),
    "*52": ("no_answer", True),
    "*53": ("no_answer", False),
}
# (user, condition, target or None to clear) -> (done, the company's language)
ForwardCommand = Callable[[int, str, str | None], Awaitable[tuple[bool, str, int | None]]]
# a voicemail was recorded: (company id, box, WAV, seconds, caller number); e-mails it when the box says so
VoicemailHook = Callable[[int, VoicemailBox, Path, float, str], None]
PRESENCE_INTERVAL = 1.0
Speaker = Callable[[str, str], Path | None]  # (language, text) -> its WAV, synthesized once (blocking)


class PbxView(Protocol):
    """What the call center reads from (and writes to) the running PBX core."""

    def domain(self, company_id: int) -> str | None: ...

    def extension_of(self, user_id: int) -> str | None: ...

    def user_of_extension(self, company_id: int, extension: str) -> int | None: ...

    def presence(self, user_id: int) -> tuple[bool, bool, bool]:
        """(registered, dnd, on a call)."""
        ...

    def contacts(self, user_id: int) -> list[tuple[str, tuple[str, int]]]:
        """(contact URI, address to send to) of each registered device."""
        ...

    def update_cdr(self, call_id: str, **changes: object) -> None: ...


@dataclass(frozen=True)
class HotlineEntry:
    company_id: int
    number: str
    destination: Destination


class PromptLibrary(dict[str, Path]):
    """Prompt name -> WAV.  ``"<company id>/<name>"``: the company's own prompt (uploaded or spoken from
    text, ``<dir>/<company id>/<name>.wav``, server/domain/prompts.py) when it has one, else the built-in
    ``<name>``; an unknown name plays the default chime."""

    def __init__(self, directory: Path, builtin: Mapping[str, Path]) -> None:
        super().__init__(builtin)
        self.directory = directory
        self.spoken: dict[str, Path] = {}  # "say:..." -> its synthesized WAV
        self.composed: dict[str, Path] = {}  # "say:..." -> the company's recordings of it, joined
        self.joined = directory / "joined"  # where those joined WAVs are kept

    def own(self, name: str) -> Path | None:
        """The company's own WAV of ``"<company id>/<name>"``, if it has one."""
        company, _, bare = name.rpartition("/")
        if company.isdigit() and bare and not bare.startswith(".") and "\\" not in bare:
            path = self.directory / company / f"{bare}.wav"
            if path.is_file():
                return path
        return None

    def get(self, name: str, default: Path | None = None) -> Path | None:  # type: ignore[override]
        said = self.composed.get(name) or self.spoken.get(name) or self.own(name)
        if said is not None:
            return said
        company, _, bare = name.rpartition("/")
        found = super().get(bare if company.isdigit() else name)
        return found if found is not None else super().get("prompt", default)


@dataclass
class RingState:
    plan: RingPlan
    step: int = 0


@dataclass
class AgentLeg:
    """An INVITE this UAS placed (through the proxy) to ring an agent with a waiting caller."""

    caller_call_id: str
    user_id: int
    queue_id: int | None
    invite: SipRequest
    state: str = "ringing"  # ringing, answered, cancelled, ended
    to_header: str = ""
    route_set: list[str] = field(default_factory=list)
    target: str = ""
    cseq: int = 1
    responded: bool = False  # any answer to the INVITE: stop retransmitting it
    # the SIP core's INVITE client transaction: Timer A retransmits (T1 doubling), Timer B gives up at 64*T1
    transaction: Transaction | None = None
    timer: asyncio.TimerHandle | None = None

    @property
    def call_id(self) -> str:
        return self.invite.call_id


class CallCenterCalls(FeatureCalls):
    # an agent's phone may take only G.711: it is offered PCMU and PCMA besides the caller's codecs
    far_codecs = ("PCMU", "PCMA")

    def __init__(
        self,
        engine: RtpEngine,
        prompts: Mapping[str, Path],
        *,
        prompts_dir: Path,
        voicemail_dir: Path,
        host: str = "127.0.0.1",
        limit: int = 400,
        sink: QueueLogSink | None = None,
        wall: Callable[[], float] = time.time,
        speaker: Speaker | None = None,
    ) -> None:
        earlier_dtmf, earlier_restart = engine.on_dtmf, engine.on_restart
        self.library = PromptLibrary(prompts_dir, prompts)
        super().__init__(engine, self.library, limit=limit, host=host, features={}, rooms=False)
        ours_dtmf, ours_restart = engine.on_dtmf, engine.on_restart

        def on_dtmf(event: object) -> None:
            earlier_dtmf(event)  # type: ignore[arg-type]
            ours_dtmf(event)  # type: ignore[arg-type]

        def on_restart() -> None:
            earlier_restart()
            ours_restart()

        engine.on_dtmf, engine.on_restart = on_dtmf, on_restart  # the feature calls' UAS shares the engine
        codes = {**AGENT_CODES, **SCHEDULE_CODES, **FORWARD_CODES}
        self.features = {CALL_CENTER: self._flow_factory, **dict.fromkeys(codes, AgentCodeCall)}
        self.agent_command: AgentCommand | None = None
        self.schedule_command: ScheduleCommand | None = None
        self.forward_command: ForwardCommand | None = None
        self.voicemail_recorded: VoicemailHook | None = None
        self.voicemail_dir = voicemail_dir
        self.sink: QueueLogSink = sink or LoggingQueueSink()
        self.wall = wall
        self.speaker = speaker
        self.queues = QueueEngine()
        self.view: PbxView | None = None
        self.pbx: tuple[str, int] | None = None  # the proxy's UDP listener (agent legs go there)
        self.centers: dict[int, CallCenter] = {}
        self.hotlines: dict[str, HotlineEntry] = {}
        self.queue_company: dict[int, int] = {}
        self.agent_legs: dict[str, AgentLeg] = {}
        self.recordings: dict[str, VoicemailRecording] = {}
        # conversation recording (set by the runtime when call recording is on): the two-party recorders
        # and the rules' decision for (the caller's call id, the agent who answered)
        self.call_recorders: CallRecorders | None = None
        self.records_answer: Callable[[str, int | None], bool] = lambda call_id, user_id: False
        self.voicemails: list[Path] = []
        self._pending: tuple[CallCenter, Destination, list[str]] | None = None
        self._hotline_of: dict[str, str] = {}  # caller's call id -> the hotline dialled (normalized)
        self._ringing: dict[str, RingState] = {}  # callers ringing an extension or a ring group
        self._presence: dict[int, tuple[bool, bool, bool]] = {}
        self._queue_timer: asyncio.TimerHandle | None = None
        self._presence_task: asyncio.Task[None] | None = None

    async def start(self) -> tuple[str, int]:
        address = await super().start()
        self._presence_task = asyncio.create_task(self._presence_loop(), name="callcenter-presence")
        return address

    async def stop(self) -> None:
        if self._presence_task is not None:
            self._presence_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._presence_task
        for leg in list(self.agent_legs.values()):
            self._end_agent_leg(leg)
        await super().stop()

    # --- configuration ---------------------------------------------------------------------------
    def hotline(self, number: str) -> HotlineEntry | None:
        return self.hotlines.get(normalize_number(number) or number)

    def _entry(self, req: SipRequest) -> tuple[CallCenter, Destination, HotlineEntry] | None:
        for number in (req.headers.get("X-Hotline"), req.to.uri.user):  # X-Hotline: set by the proxy
            entry = self.hotline(number or "")
            if entry is not None and entry.company_id in self.centers:
                return self.centers[entry.company_id], entry.destination, entry
        return None

    def _forwarded_to_voicemail(self, req: SipRequest) -> tuple[CallCenter, Destination, list[str]] | None:
        """A call the proxy forwarded to a user's voicemail (`VOICEMAIL_HEADER`): their extension's box,
        and the way the call came ("extension 102", "forward busy") to start the path with."""
        company, _, rest = (req.headers.get(VOICEMAIL_HEADER) or "").partition(":")
        extension, _, condition = rest.partition(":")
        center = self.centers.get(int(company)) if company.isdigit() else None
        box = center.box_of_extension(extension) if center is not None else None
        if center is None or box is None:
            return None
        return center, Destination("voicemail", id=box.id), [f"extension {extension}", f"forward {condition}"]

    def _flow_factory(self) -> Machine:
        assert self._pending is not None
        center, destination, path = self._pending
        # the recording notice only where conversations can be recorded (the server's switch on)
        notice = center.recording_notice if self.call_recorders is not None else None
        flow = CallerFlow(center, destination, wall_offset=self.wall() - self.clock(), notice=notice)
        flow.path.extend(path)
        return flow

    # --- SIP in ----------------------------------------------------------------------------------
    def _new_call(self, req: SipRequest, addr: tuple[str, int]) -> None:
        dialled = req.uri.user or ""
        prefix = feature_prefix(dialled)
        forward = FORWARD_CODES.get(prefix or dialled)
        if forward is not None and (prefix is not None or not forward[1]):
            user = req.headers.get(PBX_USER_HEADER) or ""
            if not user.isdigit() or self.forward_command is None:
                self._respond(req, addr, 403)
                return
            super()._new_call(req, addr)
            call = self.calls.get(req.call_id)
            if call is not None:
                target = dialled[len(prefix) :] if prefix is not None else None
                self._spawn(self._forward_code(call, int(user), forward[0], target))
            return
        override = SCHEDULE_CODES.get(dialled)
        if override is not None:
            user = req.headers.get(PBX_USER_HEADER) or ""
            if not user.isdigit() or self.schedule_command is None:
                self._respond(req, addr, 403)
                return
            super()._new_call(req, addr)
            call = self.calls.get(req.call_id)
            if call is not None:
                self._spawn(self._schedule_code(call, int(user), override))
            return
        code = AGENT_CODES.get(req.uri.user or "")
        if code is not None:
            user = req.headers.get(PBX_USER_HEADER) or ""
            if not user.isdigit() or self.agent_command is None:
                self._respond(req, addr, 403)
                return
            super()._new_call(req, addr)
            call = self.calls.get(req.call_id)
            if call is not None:
                self._spawn(self._agent_code(call, int(user), *code))
            return
        if req.headers.get(VOICEMAIL_HEADER):
            forwarded = self._forwarded_to_voicemail(req)
            if forwarded is None:
                self._respond(req, addr, 404)  # the user has no voicemail box
                return
            self._pending = forwarded  # its recording bridge transcodes a G.722 caller (`_record`)
            try:
                super()._new_call(req, addr)
            finally:
                self._pending = None
            return
        found = self._entry(req)
        if found is None:
            self._respond(req, addr, 404)
            return
        center, destination, entry = found
        self._pending = (center, destination, [])
        try:
            super()._new_call(req, addr)
        finally:
            self._pending = None
        if req.call_id in self.calls:
            self._hotline_of[req.call_id] = normalize_number(entry.number) or entry.number
        if req.call_id in self.calls and self.view is not None:
            self.view.update_cdr(
                req.call_id, callee=entry.number, hotline=entry.number, company_id=center.company_id
            )

    def _datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        if not data.strip():
            return
        try:
            msg = parse_message(data)
        except Exception:
            return
        leg = self.agent_legs.get(msg.call_id)
        if leg is None:
            super()._datagram(data, addr)
            return
        try:
            if isinstance(msg, SipResponse):
                self._agent_response(leg, msg)
            else:
                self._agent_request(leg, msg, addr)
        except Exception:
            log.exception("agent leg %s: %s failed", msg.call_id, getattr(msg, "method", "response"))

    async def _agent_code(self, call: FeatureCall, user_id: int, action: str, reason: str) -> None:
        """Log the agent in / out of, or pause / unpause them in, every queue they serve (rows: they survive
        a restart), with the queue-log lines; then say so to the agent in the company's language (its own
        recording when it has one), or that they serve no queue."""
        assert self.agent_command is not None
        try:
            queue_ids, language, company_id = await self.agent_command(user_id, action, reason)
        except Exception:
            log.exception("agent code %s for user %d failed", action, user_id)
            queue_ids, language, company_id = [], "vi", None
        now = self.wall()
        actions: list[QueueAction] = []
        for qid in queue_ids:
            if qid not in self.queues.queue_ids():
                continue
            if action in ("login", "logout"):
                actions += self.queues.login(qid, user_id, now, action == "login")
            else:
                paused = action == "pause"
                actions += self.queues.pause(qid, user_id, now, paused, reason)
        self._queue_actions(actions)
        log.info("agent %d: %s (%d queues)", user_id, action, len(queue_ids))
        if isinstance(call.machine, AgentCodeCall) and not call.ended:
            said = spoken(language, agent_confirmation(language, action), company_id)
            refused = spoken(language, agent_no_queue(language), company_id)
            self._execute(call, call.machine.done(bool(queue_ids), said, refused))

    async def _schedule_code(self, call: FeatureCall, user_id: int, action: str) -> None:
        """Change the override of the caller's company's schedule (refused unless a supervisor or an
        admin), then say what it is now."""
        assert self.schedule_command is not None
        try:
            ok, now_override, language, company_id = await self.schedule_command(user_id, action)
        except Exception:
            log.exception("schedule code %s for user %d failed", action, user_id)
            ok, now_override, language, company_id = False, None, "vi", None
        log.info("schedule override by user %d: %s -> %s (%s)", user_id, action, now_override, ok)
        if isinstance(call.machine, AgentCodeCall) and not call.ended:
            said = spoken(language, override_confirmation(language, now_override), company_id)
            refused = "invalid_option" if company_id is None else f"{company_id}/invalid_option"
            self._execute(call, call.machine.done(ok, said, refused))  # the company's own, when recorded

    async def _forward_code(
        self, call: FeatureCall, user_id: int, condition: str, target: str | None
    ) -> None:
        """Set (`target`) or clear (None) the caller's own forwarding rule through the domain service (the
        API's validation, audited, published), then say what it is now, or that the target was refused."""
        assert self.forward_command is not None
        try:
            ok, language, company_id = await self.forward_command(user_id, condition, target)
        except Exception:
            log.exception("forwarding code %s for user %d failed", condition, user_id)
            ok, language, company_id = False, "vi", None
        log.info("forwarding %s by user %d: %s (%s)", condition, user_id, target or "off", ok)
        if isinstance(call.machine, AgentCodeCall) and not call.ended:
            said = spoken(language, forwarding_confirmation(language, condition, target), company_id)
            refused = spoken(language, forwarding_refused(language), company_id)
            self._execute(call, call.machine.done(ok, said, refused))

    def _feed(self, call: FeatureCall, event: Event) -> None:
        flow = call.machine
        if (
            isinstance(event, Dtmf)
            and event.digit == LEAVE_QUEUE_KEY
            and isinstance(flow, CallerFlow)
            and flow.stage == "queue"
            and not call.ended
        ):
            box = flow.center.box_of_queue(flow.queue_id or 0)
            if box is not None and self.queues.caller(call.call_id) is not None:
                leave = self.queues.leave_with_key(
                    call.call_id, self.wall(), Destination("voicemail", id=box.id)
                )
                self._queue_actions(leave)
            return
        super()._feed(call, event)

    # --- the caller's machine --------------------------------------------------------------------
    def _execute(self, call: FeatureCall, actions: list[Action]) -> None:
        rest: list[Action] = []
        for action in actions:
            if isinstance(action, Dial):
                super()._execute(call, rest)  # the hold music starts before what the dial brings
                rest = []
                self._dial(call, action.target)
            elif isinstance(action, Record):
                self._spawn(self._record(call))
            elif isinstance(action, HangUp) and isinstance(call.machine, CallerFlow):
                self._note_path(call)
                rest.append(action)
            elif isinstance(action, Play) and isinstance(call.machine, CallerFlow):
                if parse_spoken(action.prompt) is not None:
                    rest.append(action)
                    continue
                center = call.machine.center  # the company's own prompts first
                name = f"{center.company_id}/{action.prompt}"
                if action.prompt == VOICEMAIL_GREETING:
                    said = spoken(center.language, voicemail_greeting(center.language), center.company_id)
                    rest.append(Play(said))
                    continue
                if call.machine.stage == "notice" and self.library.own(name) is None:
                    # the built-in sentence, also when the company's own notice prompt is missing
                    rest.append(Play(spoken(center.language, recording_notice(center.language))))
                    continue
                rest.append(Play(name, loop=action.loop))
            else:
                rest.append(action)
        super()._execute(call, rest)

    async def _media_locked(self, call: FeatureCall, action: Echo | Play | Stop) -> None:
        """A sentence plays as the company's recordings of all its parts when it has them (looked up each
        time: an upload counts at once), else it is synthesized (off the loop, once per sentence); without
        text-to-speech the default chime plays instead."""
        said = parse_spoken(action.prompt) if isinstance(action, Play) else None
        if isinstance(action, Play) and said is not None:
            recorded = await self._recorded(said)
            if recorded is not None:
                self.library.composed[action.prompt] = recorded
            else:
                self.library.composed.pop(action.prompt, None)
                if action.prompt not in self.library.spoken and self.speaker is not None:
                    try:
                        path = await asyncio.to_thread(self.speaker, said.language, said.text)
                    except Exception:
                        log.exception("speaking %r failed", said)
                        path = None
                    if path is None:
                        log.warning("no text to speech for %r: the default chime plays", said.text)
                    else:
                        self.library.spoken[action.prompt] = path
        await super()._media_locked(call, action)

    async def _recorded(self, said: Said) -> Path | None:
        """The company's recordings of every part of `said`, joined into one WAV; None when one is missing."""
        if said.company_id is None:
            return None
        prefix = f"{said.company_id}/"
        names = compose(said.parts, lambda name: self.library.own(prefix + name) is not None)
        if names is None:
            return None
        paths = [self.library.own(prefix + name) for name in names]
        if any(path is None for path in paths):  # deleted meanwhile
            return None
        try:
            joined = await asyncio.to_thread(
                join_wavs, [p for p in paths if p is not None], self.library.joined
            )
        except (OSError, ValueError):
            log.exception("joining the recordings %s failed", names)
            return None
        log.info("saying %s in company %d's recordings", " + ".join(names), said.company_id)
        return joined

    def _dial(self, call: FeatureCall, target: str) -> None:
        kind, _, value = target.partition(":")
        flow = call.machine
        assert isinstance(flow, CallerFlow)
        self._note_path(call)
        if kind == "queue":
            queue_id = int(value)
            if queue_id not in self.queue_company:
                self._execute(call, flow.route(HANGUP, self.clock()))
                return
            self._queue_actions(self._sync_presence())
            config = self.queues.config(queue_id)
            caller = normalize_number(call.invite.from_.uri.user or "") or ""
            priority = config.priority_of(caller, self._hotline_of.get(call.call_id, ""))
            self._queue_actions(self.queues.enter(queue_id, call.call_id, self.wall(), priority))
        elif kind in ("extension", "ring_group"):
            self._ringing[call.call_id] = RingState(self._ring_plan(flow, kind, value))
            self._ring_step(call)
        elif kind == "external":
            hotline, _, number = value.partition(":")
            self._ringing[call.call_id] = RingState(RingPlan((), HANGUP))  # no answer: hang up
            if self._ring(call.call_id, 0, None, number=number, hotline=hotline):
                loop = asyncio.get_running_loop()
                call.timers["ring"] = loop.call_later(EXTERNAL_RING_TIMEOUT, self._ring_timeout, call.call_id)
            else:
                self._ring_step(call)

    @staticmethod
    def _ring_plan(flow: CallerFlow, kind: str, value: str) -> RingPlan:
        """An extension is a one-step plan whose no-answer destination is its voicemail box (if any)."""
        if kind == "extension":
            box = flow.center.box_of_extension(value)
            no_answer = Destination("voicemail", id=box.id) if box is not None else HANGUP
            return RingPlan((RingStep((value,), EXTENSION_RING_TIMEOUT),), no_answer)
        return flow.center.ring_groups.get(int(value)) or RingPlan((), HANGUP)

    def _ring_step(self, call: FeatureCall) -> None:
        """Ring the next step's extensions (who cannot be rung are skipped); none left: route on."""
        state = self._ringing.get(call.call_id)
        flow = call.machine
        assert isinstance(flow, CallerFlow)
        while state is not None and self.view is not None and state.step < len(state.plan.steps):
            step = state.plan.steps[state.step]
            state.step += 1
            rung = False
            for extension in step.extensions:
                uid = self.view.user_of_extension(flow.center.company_id, extension)
                if uid is not None and self._ring(call.call_id, uid, None):
                    rung = True
            if rung:
                loop = asyncio.get_running_loop()
                call.timers["ring"] = loop.call_later(step.timeout, self._ring_timeout, call.call_id)
                return
        self._ringing.pop(call.call_id, None)
        if flow.stage in RINGING_STAGES:
            no_answer = state.plan.no_answer if state is not None else HANGUP
            self._execute(call, flow.route(no_answer, self.clock()))

    def _ring_timeout(self, caller_call_id: str) -> None:
        for leg in self._legs_of(caller_call_id):
            if leg.state == "ringing":
                self._cancel(leg)
        call = self.calls.get(caller_call_id)
        if call is not None and not call.ended:
            self._ring_step(call)

    def _note_path(self, call: FeatureCall, **changes: object) -> None:
        if self.view is not None and isinstance(call.machine, CallerFlow):
            self.view.update_cdr(call.call_id, path=" > ".join(call.machine.path)[:255], **changes)

    # --- queues ----------------------------------------------------------------------------------
    def _queue_actions(self, actions: Iterable[QueueAction]) -> None:
        for action in actions:
            if isinstance(action, LogEntry):
                company = self.queue_company.get(action.queue_id, 0)
                try:
                    self.sink.record(action, company)
                except Exception:
                    log.exception("queue log sink failed")
            elif isinstance(action, Offer):
                for uid in action.user_ids:
                    if not self._ring(action.call_id, uid, action.queue_id):
                        self._queue_actions(self.queues.declined(action.call_id, uid, self.wall()))
            elif isinstance(action, CancelOffer):
                for leg in self._legs_of(action.call_id):
                    if leg.user_id in action.user_ids and leg.state == "ringing":
                        self._cancel(leg)
            elif isinstance(action, Exit):
                call = self.calls.get(action.call_id)
                if call is not None and isinstance(call.machine, CallerFlow):
                    self._execute(call, call.machine.route(action.destination, self.clock()))
            elif isinstance(action, Announce):
                call = self.calls.get(action.call_id)
                if call is not None and not call.ended and isinstance(call.machine, CallerFlow):
                    flow = call.machine
                    said = flow.announce(action.language, action.position, action.wait_minutes)
                    log.info(
                        "call %s: announcing to queue %d's caller: position %s, wait %s min",
                        action.call_id,
                        action.queue_id,
                        action.position,
                        action.wait_minutes,
                    )
                    self._execute(call, said)
        self._arm_queue_timer()

    def _arm_queue_timer(self) -> None:
        if self._queue_timer is not None:
            self._queue_timer.cancel()
            self._queue_timer = None
        deadline = self.queues.next_deadline()
        if deadline is not None:
            delay = max(0.0, deadline - self.wall()) + 0.01
            self._queue_timer = asyncio.get_running_loop().call_later(delay, self._queue_tick)

    def _queue_tick(self) -> None:
        self._queue_timer = None
        self._queue_actions(self.queues.tick(self.wall()))

    def _sync_presence(self) -> list[QueueAction]:
        """Registered / DND / on a call of every agent, from the PBX's registrar, snapshot and dialogs, into
        the queue engine (agents who cannot take a call are skipped, not rung)."""
        if self.view is None:
            return []
        actions: list[QueueAction] = []
        now = self.wall()
        user_ids = {m.user_id for q in self.queues.queue_ids() for m in self.queues.members(q)}
        for uid in user_ids:
            state = self.view.presence(uid)
            if self._presence.get(uid) != state:
                self._presence[uid] = state
                registered, dnd, on_call = state
                actions += self.queues.set_presence(uid, now, registered=registered, dnd=dnd, on_call=on_call)
        return actions

    async def _presence_loop(self) -> None:
        while True:
            await asyncio.sleep(PRESENCE_INTERVAL)
            try:
                self._queue_actions(self._sync_presence())
            except Exception:
                log.exception("call-center presence sync failed")

    # --- agent legs (UAC through the proxy) ------------------------------------------------------
    def _legs_of(self, caller_call_id: str) -> list[AgentLeg]:
        return [leg for leg in self.agent_legs.values() if leg.caller_call_id == caller_call_id]

    def _ring(
        self,
        caller_call_id: str,
        user_id: int,
        queue_id: int | None,
        *,
        number: str | None = None,
        hotline: str | None = None,
    ) -> bool:
        """Send the agent leg's INVITE (or, with `number`, the leg out through `hotline`'s trunk; user 0);
        False when it cannot be placed at all."""
        call = self.calls.get(caller_call_id)
        view, pbx = self.view, self.pbx
        if call is None or call.leg is None or view is None or pbx is None:
            return False
        flow = call.machine
        assert isinstance(flow, CallerFlow)
        extension = number if number is not None else view.extension_of(user_id)
        domain = view.domain(flow.center.company_id)
        if extension is None or domain is None:
            return False
        caller = call.invite.from_.uri.user or "anonymous"
        uri = SipUri(user=extension, host=domain)
        headers = Headers()
        branch = new_branch()
        headers.add("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch={branch};rport")
        headers.add("Max-Forwards", "70")
        headers.add("From", f'"{caller}" <sip:{caller}@{domain}>;tag={new_tag()}')
        headers.add("To", f"<sip:{extension}@{domain}>")
        headers.add("Call-ID", f"cc-{new_tag()}-{caller_call_id}"[:200])
        headers.add("CSeq", "1 INVITE")
        headers.add("Contact", f"<sip:{CALL_CENTER}@{self.host}:{self.port}>")
        headers.add("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS")
        if queue_id is not None:
            headers.add("X-Queue", str(queue_id))
        if hotline is not None:
            headers.add("X-Hotline", hotline)  # the proxy sends it out through this hotline's trunk
        headers.add("X-Call-Path", " > ".join(flow.path)[:200])
        wait = self.queues.caller(caller_call_id)
        if wait is not None:
            headers.add("X-Queue-Wait", f"{self.wall() - wait.entered:.0f}")
        headers.add("Content-Type", "application/sdp")
        invite = SipRequest("INVITE", uri, headers, call.leg.far_sdp.encode())
        leg = AgentLeg(caller_call_id, user_id, queue_id, invite)
        self.agent_legs[invite.call_id] = leg
        leg.transaction = Transaction(
            Kind.ICT, TransactionKey(branch, "INVITE"), invite, SipAddress("udp", pbx[0], pbx[1])
        )
        self._invite_actions(leg, leg.transaction.start(asyncio.get_running_loop().time()))
        log.info("call %s: ringing agent %s (%s)", caller_call_id, user_id, extension)
        return True

    def _agent_request_headers(self, leg: AgentLeg, method: str, cseq: int, *, to: str) -> Headers:
        headers = Headers()
        headers.add("Max-Forwards", "70")
        headers.add("From", leg.invite.headers.get("From") or "")
        headers.add("To", to)
        headers.add("Call-ID", leg.call_id)
        headers.add("CSeq", f"{cseq} {method}")
        return headers

    def _cancel(self, leg: AgentLeg) -> None:
        """CANCEL the ringing leg; it stays known until its final answer (487, or a 200 that crossed the
        CANCEL: ACK and BYE), at most 32 s."""
        if self.pbx is None:
            return
        leg.state = "cancelled"
        headers = self._agent_request_headers(leg, "CANCEL", 1, to=leg.invite.headers.get("To") or "")
        headers.set("Via", leg.invite.headers.get("Via") or "")
        self._send(SipRequest("CANCEL", leg.invite.uri, headers).to_bytes(), self.pbx)
        asyncio.get_running_loop().call_later(32.0, self.agent_legs.pop, leg.call_id, None)

    def _invite_actions(self, leg: AgentLeg, actions: list[TransactionAction]) -> None:
        """Carry out what the agent INVITE's client transaction says (send it again, give up) and arm its
        next timer; any response stops it (RFC 3261 17.1.1.2: a 1xx stops Timers A and B)."""
        for action in actions:
            if isinstance(action, SipSend):
                self._send(action.message.to_bytes(), (action.dest.host, action.dest.port))
            elif isinstance(action, TransactionTimeout) and leg.call_id in self.agent_legs:
                was = leg.state
                self.agent_legs.pop(leg.call_id, None)
                log.info(
                    "call %s: agent %s: no answer to the INVITE (timer B)", leg.caller_call_id, leg.user_id
                )
                if was == "ringing":
                    self._agent_declined(leg)
        txn = leg.transaction
        due = txn.next_timer() if txn is not None else None
        if due is None or leg.responded or leg.call_id not in self.agent_legs:
            return
        loop = asyncio.get_running_loop()
        leg.timer = loop.call_at(due, self._invite_timer, leg)

    def _invite_timer(self, leg: AgentLeg) -> None:
        if leg.transaction is None or leg.responded or leg.call_id not in self.agent_legs:
            return
        self._invite_actions(leg, leg.transaction.handle_timer(asyncio.get_running_loop().time()))

    def _in_dialog(self, leg: AgentLeg, method: str, cseq: int) -> None:
        """ACK (of a 2xx) or BYE along the dialog's route set."""
        headers = self._agent_request_headers(leg, method, cseq, to=leg.to_header)
        headers.add("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch={new_branch()};rport")
        for route in leg.route_set:
            headers.add("Route", route)
        target = parse_uri(leg.target) if leg.target else leg.invite.uri
        if leg.route_set:
            hop = parse_uri(leg.route_set[0].strip().strip("<>").split(">")[0])
            address = (hop.host, hop.port or 5060)
        elif self.pbx is not None:
            address = self.pbx
        else:
            return
        self._send(SipRequest(method, target, headers).to_bytes(), address)

    def _agent_response(self, leg: AgentLeg, resp: SipResponse) -> None:
        number, method = resp.cseq
        if method != "INVITE":
            return
        leg.responded = True
        if leg.timer is not None:
            leg.timer.cancel()
        if resp.status < 200:
            return
        if resp.status >= 300:
            # ACK the final answer hop by hop (same branch as the INVITE)
            if self.pbx is not None:
                headers = self._agent_request_headers(leg, "ACK", number, to=resp.headers.get("To") or "")
                headers.set("Via", leg.invite.headers.get("Via") or "")
                self._send(SipRequest("ACK", leg.invite.uri, headers).to_bytes(), self.pbx)
            was = leg.state
            self.agent_legs.pop(leg.call_id, None)
            log.info("call %s: agent %s answered %d", leg.caller_call_id, leg.user_id, resp.status)
            if was == "ringing":
                self._agent_declined(leg)
            return
        if leg.state == "answered":
            return  # a retransmitted 200: our ACK went already
        leg.to_header = resp.headers.get("To") or ""
        leg.route_set = [str(rr) for rr in reversed(resp.record_routes)]
        contacts = resp.contacts
        leg.target = str(contacts[0].uri) if contacts else str(leg.invite.uri)
        was = leg.state
        leg.state = "answered"
        self._in_dialog(leg, "ACK", number)
        call = self.calls.get(leg.caller_call_id)
        connected = False
        if was == "ringing" and call is not None and not call.ended and call.leg is not None:
            if leg.queue_id is not None:
                self._queue_actions(self.queues.answered(leg.caller_call_id, leg.user_id, self.wall()))
                conn = self.queues.connected(leg.caller_call_id)
                connected = conn is not None and conn.user_id == leg.user_id
            else:
                connected = isinstance(call.machine, CallerFlow) and call.machine.stage in RINGING_STAGES
                for other in self._legs_of(leg.caller_call_id):
                    if other is not leg and other.state == "ringing":
                        self._cancel(other)
        if not connected or call is None:
            self._bye(leg)
            return
        flow = call.machine
        assert isinstance(flow, CallerFlow)
        timer = call.timers.pop("ring", None)
        if timer is not None:
            timer.cancel()
        self._ringing.pop(call.call_id, None)
        flow.stage = "connected"
        if leg.user_id:
            extension = self.view.extension_of(leg.user_id) if self.view is not None else None
            flow.path.append(f"agent {extension or leg.user_id}")
        else:
            flow.path.append("answered")
        self._note_path(call, callee_user_id=leg.user_id or None)
        self._spawn(self._bridge(call, leg, resp.body.decode(errors="replace")))

    async def _bridge(self, call: FeatureCall, leg: AgentLeg, agent_sdp: str) -> None:
        media = call.leg
        if media is None:
            return
        if call.prompt_timer is not None:
            call.prompt_timer.cancel()
        started = time.perf_counter()
        try:
            answered = audio_codecs(agent_sdp)
            # the agent answered a codec the caller does not speak (a PCMU-only desk phone, a G.722 or PCMA
            # caller): rtpengine transcodes, as for voicemail
            transcode = bool(answered) and answered[0] not in audio_codecs(media.caller_sdp)
            async with call.media_lock:  # after any prompt or music action still on its way
                caller_sdp = await self.legs.bridge(
                    media, agent_sdp, transcode=transcode, codec=answered[0] if transcode else "PCMU"
                )
            ms = (time.perf_counter() - started) * 1000
            log.info(
                "call %s bridged to agent %s in %.1f ms%s",
                call.call_id,
                leg.user_id,
                ms,
                f" (transcoding to {answered[0]})" if transcode else "",
            )
            if media_address(caller_sdp) != media_address(media.sdp):  # never seen: rtpengine keeps the port
                log.warning("call %s: the caller's media address moved on bridging", call.call_id)
            if self.call_recorders is not None and self.records_answer(call.call_id, leg.user_id or None):
                await self._record_conversation(call, leg)
        except EngineError as exc:
            log.warning("call %s: bridge failed (%s)", call.call_id, exc)
            self._bye(leg)
            await self._hang_up(call, 'SIP;cause=503;text="Media engine unavailable"')

    async def _record_conversation(self, call: FeatureCall, leg: AgentLeg) -> None:
        recorders, media = self.call_recorders, call.leg
        if recorders is None or media is None or call.ended:
            return
        agent = self.view.extension_of(leg.user_id) if self.view is not None and leg.user_id else None
        facts: dict[str, object] = {
            "caller": call.invite.from_.uri.user or "",
            "callee": call.invite.to.uri.user or "",
            "agent": agent or "",
        }
        try:
            # the caller's engine call: the caller's side and the far side, now the agent's
            await recorders.start(
                media.call_id, {"caller": media.caller_tag, "callee": media.engine_tag}, facts
            )
        except (EngineError, OSError) as exc:
            log.warning("call %s: not recorded (%s)", call.call_id, exc)
            return
        if call.ended:  # hung up while the subscriptions were set up
            recorders.stop(media.call_id)

    def _agent_declined(self, leg: AgentLeg) -> None:
        if leg.queue_id is not None:
            self._queue_actions(self.queues.declined(leg.caller_call_id, leg.user_id, self.wall()))
        elif not any(o.state in ("ringing", "answered") for o in self._legs_of(leg.caller_call_id)):
            call = self.calls.get(leg.caller_call_id)
            if call is not None and not call.ended and leg.caller_call_id in self._ringing:
                timer = call.timers.pop("ring", None)
                if timer is not None:
                    timer.cancel()
                self._ring_step(call)  # everyone of this step refused: the next step at once

    def _bye(self, leg: AgentLeg) -> None:
        if leg.state == "answered":
            leg.cseq += 1
            self._in_dialog(leg, "BYE", leg.cseq)
        leg.state = "ended"
        self.agent_legs.pop(leg.call_id, None)

    def _end_agent_leg(self, leg: AgentLeg) -> None:
        if leg.state == "ringing":
            self._cancel(leg)
        elif leg.state != "cancelled":
            self._bye(leg)

    def _agent_request(self, leg: AgentLeg, req: SipRequest, addr: tuple[str, int]) -> None:
        if req.method == "BYE":
            self._respond(req, addr, 200)
            leg.state = "ended"
            self.agent_legs.pop(leg.call_id, None)
            if leg.queue_id is not None:
                self._queue_actions(self.queues.call_ended(leg.caller_call_id, self.wall(), by_agent=True))
            call = self.calls.get(leg.caller_call_id)
            if call is not None:
                self._note_path(call)
                self._spawn(self._hang_up(call, 'SIP;cause=200;text="Agent hung up"'))
        elif req.method == "INVITE":  # re-INVITE (hold, codec change): the same media towards the agent
            call = self.calls.get(leg.caller_call_id)
            if call is None or call.leg is None:
                self._respond(req, addr, 481)
                return
            resp = make_response(req, 200)
            resp.headers.add("Contact", f"<sip:{CALL_CENTER}@{self.host}:{self.port}>")
            resp.headers.add("Content-Type", "application/sdp")
            resp.body = call.leg.far_sdp.encode()
            self._send(resp.to_bytes(), addr)
            if req.body:
                self._spawn(self._rebridge(call, req.body.decode(errors="replace")))
        elif req.method == "ACK":
            return
        else:
            self._respond(req, addr, 200 if req.method in ("OPTIONS", "INFO", "UPDATE") else 405)

    async def _rebridge(self, call: FeatureCall, sdp: str) -> None:
        if call.leg is not None:
            with contextlib.suppress(EngineError):
                async with call.media_lock:
                    await self.legs.bridge(call.leg, sdp)

    # --- voicemail -------------------------------------------------------------------------------
    async def _record(self, call: FeatureCall) -> None:
        flow = call.machine
        media = call.leg
        if not isinstance(flow, CallerFlow) or media is None or call.ended or flow.box_id is None:
            return
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self.wall()))
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", call.call_id)[:60]
        path = self.voicemail_dir / str(flow.box_id) / f"{stamp}-{safe}.wav"
        rec = VoicemailRecording(path, self.host)
        await rec.open()
        self.recordings[call.call_id] = rec
        try:
            async with call.media_lock:
                await self.legs.bridge(media, rec.answer_sdp(media.far_sdp), transcode=True)
        except EngineError as exc:
            log.warning("call %s: voicemail recording failed (%s)", call.call_id, exc)
        log.info("call %s: recording voicemail to %s", call.call_id, path)

    def _finish_voicemail(self, call: FeatureCall) -> None:
        rec = self.recordings.pop(call.call_id, None)
        flow = call.machine
        if rec is None or not isinstance(flow, CallerFlow):
            return
        seconds = rec.close(caller=call.invite.from_.uri.user or "")
        self.voicemails.append(rec.path)
        log.info("voicemail %s: %.1f s", rec.path, seconds)
        box = flow.center.voicemail.get(flow.box_id or 0)
        if box is not None:
            self._notify_waiting(flow.center, box, rec.path.parent)
            if self.voicemail_recorded is not None:
                caller = call.invite.from_.uri.user or "anonymous"
                self.voicemail_recorded(flow.center.company_id, box, rec.path, seconds, caller)

    def voicemail_changed(self, company_id: int, box_id: int) -> None:
        """A message was heard or deleted through the API: the owners' phones get the new counts."""
        center = self.centers.get(company_id)
        box = center.voicemail.get(box_id) if center is not None else None
        if center is not None and box is not None:
            self._notify_waiting(center, box, self.voicemail_dir / str(box_id))

    def ready_now(self, user_id: int) -> None:
        """The agent ends their wrap-up early (``POST /me/queues/ready``)."""
        self._queue_actions(self.queues.ready_now(user_id, self.wall()))

    def _notify_waiting(self, center: CallCenter, box: VoicemailBox, folder: Path) -> None:
        """Unsolicited NOTIFY message-summary (RFC 3842) to every registered device of the box owners."""
        view = self.view
        if view is None:
            return
        owners: set[int] = set()
        if box.extension is not None:
            uid = view.user_of_extension(center.company_id, box.extension)
            if uid is not None:
                owners.add(uid)
        if box.queue_id is not None and box.queue_id in self.queues.queue_ids():
            owners |= {m.user_id for m in self.queues.members(box.queue_id)}
        new, old = voicemail_store.summary(folder)
        domain = view.domain(center.company_id) or self.host
        for uid in owners:
            extension = view.extension_of(uid) or str(uid)
            for contact, address in view.contacts(uid):
                notify = message_summary(
                    contact, extension=extension, domain=domain, new=new, old=old, via=(self.host, self.port)
                )
                self._send(notify.to_bytes(), address)
            log.info("voicemail box %d: MWI (%d new, %d heard) sent to user %d", box.id, new, old, uid)

    # --- ending ----------------------------------------------------------------------------------
    def _end(self, call: FeatureCall, why: str) -> None:
        if not call.ended:
            self._caller_gone(call)
        super()._end(call, why)

    def _caller_gone(self, call: FeatureCall) -> None:
        now = self.wall()
        if self.queues.caller(call.call_id) is not None or self.queues.connected(call.call_id) is not None:
            self._queue_actions(self.queues.caller_left(call.call_id, now))
        self._ringing.pop(call.call_id, None)
        self._hotline_of.pop(call.call_id, None)
        for leg in self._legs_of(call.call_id):
            self._end_agent_leg(leg)
        self._finish_voicemail(call)
        if self.call_recorders is not None:
            self.call_recorders.stop(call.call_id)
        self._note_path(call)
