"""One caller's way through a company's call center: schedule -> IVR -> queue / extension / voicemail.

A sans-IO machine in the media plane's style (:class:`server.media.logic.Machine`): the adapter
(:mod:`server.media.callcenter_calls`) feeds it the caller leg's events (answered, DTMF, prompt finished,
timer due, hung up) and executes what comes out:

* ``Play`` / ``Stop`` / ``HangUp`` / ``SetTimer`` as for any feature call;
* ``Dial("queue:<id>")`` -- put the caller in that queue (the adapter's :class:`QueueEngine` rings agents);
* ``Dial("extension:<number>")`` -- ring that extension's devices with the caller's call;
* ``Dial("ring_group:<id>")`` -- ring the group's extensions, step by step;
* ``Dial("external:<hotline>:<number>")`` -- call the number out through that hotline's trunk;
* ``Record()`` -- record the caller into voicemail box :attr:`CallerFlow.box_id` until hang-up or the limit.

When a queue or an extension gives the caller back (max wait, no agents, no answer) the adapter calls
:meth:`CallerFlow.route` with the next destination.  Schedules are decided at the moment they are reached
(wall clock = ``now + wall_offset``).  :attr:`CallerFlow.path` is what the CDR and the agent's screen show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from server.callcenter import media as cc_media
from server.callcenter.announce import announcement, spoken
from server.callcenter.destinations import HANGUP, Destination
from server.callcenter.ivr import HangUp as IvrHangUp
from server.callcenter.ivr import IvrAction, IvrMenu, IvrSession, Route
from server.callcenter.ringgroup import RingPlan
from server.callcenter.schedule import Schedule, decide
from server.media.logic import (
    Action,
    Answered,
    CancelTimer,
    Dial,
    Dtmf,
    Event,
    HangUp,
    HungUp,
    Machine,
    Play,
    PromptFinished,
    Record,
    SetTimer,
    Stop,
    TimerDue,
)

MAX_HOPS = 16  # destinations followed without the caller doing anything (a schedule pointing at itself)
BEEP = "beep"
HOLD_MUSIC = "moh"


@dataclass(frozen=True, slots=True)
class VoicemailBox:
    id: int
    greeting: str = "voicemail"
    extension: str | None = None  # owner: an extension, or
    queue_id: int | None = None  # a queue (its members get the message-waiting indication)
    max_seconds: float = 120.0
    name: str = ""
    email: str | None = None  # each message goes there too, the WAV attached


@dataclass(frozen=True, slots=True)
class CallCenter:
    """A company's call-center configuration as the flow needs it."""

    company_id: int
    schedules: Mapping[int, Schedule] = field(default_factory=dict)
    menus: Mapping[int, IvrMenu] = field(default_factory=dict)
    queue_moh: Mapping[int, str] = field(default_factory=dict)  # queue id -> hold music prompt
    voicemail: Mapping[int, VoicemailBox] = field(default_factory=dict)
    ring_groups: Mapping[int, RingPlan] = field(default_factory=dict)
    extensions: frozenset[str] = frozenset()
    language: str = "vi"  # what the PBX's own sentences are said in: the company's default language
    # the "this call may be recorded" prompt when the company wants it said and records outside callers'
    # calls (its policy all or inbound); None: no notice
    recording_notice: str | None = None

    def box_of_extension(self, extension: str) -> VoicemailBox | None:
        return next((b for b in self.voicemail.values() if b.extension == extension), None)

    def box_of_queue(self, queue_id: int) -> VoicemailBox | None:
        return next((b for b in self.voicemail.values() if b.queue_id == queue_id), None)


class CallerFlow(Machine):
    def __init__(
        self, center: CallCenter, entry: Destination, *, wall_offset: float, notice: str | None = None
    ) -> None:
        super().__init__()
        self.notice = notice  # played once, before the first destination that can reach an agent
        self._after_notice: Destination | None = None
        self.center = center
        self.entry = entry
        self.wall_offset = wall_offset
        self.path: list[str] = []
        self.stage = "new"  # notice, ivr, queue, extension, greeting, beep, recording, prompt, done
        self.ivr: IvrSession | None = None
        self.box_id: int | None = None
        self.queue_id: int | None = None
        self.extension: str | None = None
        self.announcing = False  # a queue announcement plays instead of the hold music

    # --- events ------------------------------------------------------------------------------------
    def _handle(self, event: Event, now: float) -> list[Action]:
        if isinstance(event, Answered):
            return self.route(self.entry, now)
        if isinstance(event, HungUp):
            if self.ivr is not None:
                self.ivr.hang_up()
            self.stage = "done"
            return []
        if isinstance(event, Dtmf):
            if self.stage == "ivr" and self.ivr is not None:
                return self._ivr(self.ivr.digit(event.digit, now), now)
            if self.stage == "recording" and event.digit == "#":
                return [HangUp("voicemail recorded")]
            return []
        if isinstance(event, PromptFinished):
            return self._prompt_finished(now)
        if isinstance(event, TimerDue):
            if event.name == "ivr" and self.stage == "ivr" and self.ivr is not None:
                return self._ivr(self.ivr.tick(now), now)
            if event.name == "record" and self.stage == "recording":
                return [HangUp("voicemail time limit")]
        return []

    def _prompt_finished(self, now: float) -> list[Action]:
        if self.stage == "notice" and self._after_notice is not None:
            destination, self._after_notice = self._after_notice, None
            return self.route(destination, now)
        if self.stage == "ivr" and self.ivr is not None:
            return self._ivr(self.ivr.prompt_finished(now), now)
        if self.stage == "greeting":
            self.stage = "beep"
            return [Play(BEEP)]
        if self.stage == "beep":
            self.stage = "recording"
            box = self.center.voicemail.get(self.box_id or 0)
            limit = box.max_seconds if box is not None else 120.0
            return [Record(), SetTimer("record", now + limit)]
        if self.stage == "prompt":
            self.stage = "done"
            return [HangUp("prompt played")]
        if self.stage == "queue" and self.announcing:
            self.announcing = False
            return [Play(self._hold_music(), loop=True)]
        return []

    def announce(self, language: str, position: int | None, wait_minutes: int | None) -> list[Action]:
        """While waiting in a queue: say the caller's position and estimated wait, then the hold music
        resumes (on the prompt's end)."""
        sentence = announcement(language, position, wait_minutes)
        if self.stage != "queue" or not sentence.text:
            return []
        self.announcing = True
        return [Play(spoken(language, sentence, self.center.company_id))]

    def _hold_music(self) -> str:
        return self.center.queue_moh.get(self.queue_id or 0, HOLD_MUSIC)

    # --- routing -----------------------------------------------------------------------------------
    def wall(self, now: float) -> datetime:
        return datetime.fromtimestamp(now + self.wall_offset, UTC)

    def _connects(self, dest: Destination) -> bool:
        """Whether `dest` can lead to a conversation (which may be recorded)."""
        kind = dest.kind
        return (
            (kind == "ivr" and dest.id in self.center.menus)
            or kind in ("queue", "extension")
            or (kind == "ring_group" and dest.id in self.center.ring_groups)
            or (kind == "external" and bool(dest.number and dest.hotline))
        )

    def route(self, destination: Destination, now: float) -> list[Action]:
        """Send the caller to `destination` (also called by the adapter when a queue or extension gives
        the caller back)."""
        actions: list[Action] = []
        if self.stage == "ivr" and "ivr" in self.timers:
            actions.append(CancelTimer("ivr"))
        self.ivr = None
        self.announcing = False
        dest = destination
        for _ in range(MAX_HOPS):
            kind = dest.kind
            if self.notice is not None and self._connects(dest):
                # the caller hears the notice once, before the menu, the queue or the ringing
                self.stage, self._after_notice = "notice", dest
                notice, self.notice = self.notice, None
                return [*actions, Play(notice)]
            if kind == "schedule":
                schedule = self.center.schedules.get(dest.id)
                if schedule is None:
                    dest = HANGUP
                    continue
                decision = decide(schedule, self.wall(now))
                self.path.append(f"schedule {dest.id} {decision.state}")
                dest = decision.destination
                continue
            if kind == "ivr" and dest.id in self.center.menus:
                self.path.append(f"ivr {dest.id}")
                self.stage = "ivr"
                self.ivr = IvrSession(self.center.menus, dest.id, self.center.extensions)
                return actions + self._ivr(self.ivr.answered(now), now)
            if kind == "queue":
                self.path.append(f"queue {dest.id}")
                self.stage, self.queue_id = "queue", dest.id
                return [*actions, Play(self._hold_music(), loop=True), Dial(f"queue:{dest.id}")]
            if kind == "extension":
                self.path.append(f"extension {dest.extension}")
                self.stage, self.extension = "extension", dest.extension
                return [*actions, Play(HOLD_MUSIC, loop=True), Dial(f"extension:{dest.extension}")]
            if kind == "ring_group" and dest.id in self.center.ring_groups:
                self.path.append(f"ring_group {dest.id}")
                self.stage = "ring_group"
                return [*actions, Play(HOLD_MUSIC, loop=True), Dial(f"ring_group:{dest.id}")]
            if kind == "external" and dest.number and dest.hotline:
                self.path.append(f"external {dest.number}")
                self.stage = "external"
                return [*actions, Play(HOLD_MUSIC, loop=True), Dial(f"external:{dest.hotline}:{dest.number}")]
            if kind == "voicemail" and dest.id in self.center.voicemail:
                box = self.center.voicemail[dest.id]
                self.path.append(f"voicemail {dest.id}")
                self.stage, self.box_id = "greeting", dest.id
                return [*actions, Stop(), Play(box.greeting or "voicemail")]
            if kind == "prompt_hangup":
                self.path.append(f"prompt {dest.prompt}")
                self.stage = "prompt"
                return [*actions, Stop(), Play(dest.prompt)]
            self.stage = "done"
            self.path.append(kind if kind == "hangup" else f"{kind} (not routed yet)")
            return [*actions, HangUp(f"destination {kind}")]
        self.stage = "done"
        return [*actions, HangUp("routing loop")]

    def _ivr(self, ivr_actions: list[IvrAction], now: float) -> list[Action]:
        out: list[Action] = []
        for a in ivr_actions:
            if isinstance(a, cc_media.Play):
                out.append(Play(a.prompt))
            elif isinstance(a, cc_media.StopPlay):
                out.append(Stop())
            elif isinstance(a, Route):
                return out + self.route(a.destination, now)
            elif isinstance(a, IvrHangUp):
                self.stage = "done"
                return [*out, CancelTimer("ivr"), HangUp("ivr")]
        ivr = self.ivr
        if ivr is not None and self.stage == "ivr":
            if ivr.deadline is not None:
                out.append(SetTimer("ivr", ivr.deadline))
            elif "ivr" in self.timers:
                out.append(CancelTimer("ivr"))
        return out


class AgentCodeCall(Machine):
    """An agent's or supervisor's feature code (log in / out, pause / unpause, schedule override): the
    adapter makes the change and reports with :meth:`done`; the caller hears `confirmation` (a beep unless
    given) when it was made, `refusal` when not, then the call ends."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = False
        self.result: bool | None = None
        self.confirmation = BEEP
        self.refusal = "invalid_option"

    def _handle(self, event: Event, now: float) -> list[Action]:
        if isinstance(event, Answered):
            self.answered = True
            return self._confirm()
        if isinstance(event, PromptFinished):
            return [HangUp("agent code done")]
        return []

    def done(self, ok: bool, confirmation: str = BEEP, refusal: str = "invalid_option") -> list[Action]:
        self.result, self.confirmation, self.refusal = ok, confirmation, refusal
        return self._confirm() if self.answered else []

    def _confirm(self) -> list[Action]:
        if self.result is None:
            return []
        return [Play(self.confirmation if self.result else self.refusal)]
