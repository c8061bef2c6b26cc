"""Feature logic as sans-IO state machines: events in, actions out, time only through ``now`` arguments.

A machine never touches the engine or a socket.  The adapter (:mod:`server.media.features_uas`) feeds it
events (answered, DTMF, prompt finished, timer due, hang-up) and executes the actions it returns
(play, stop, echo, bridge, dial, record, collected digits, hang up, set/cancel a timer).  Tests drive
machines with a fake clock by passing ``now`` and calling :meth:`Machine.due` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Answered:
    pass


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class PromptFinished:
    pass


@dataclass(frozen=True)
class TimerDue:
    name: str


@dataclass(frozen=True)
class HungUp:
    pass


Event = Answered | Dtmf | PromptFinished | TimerDue | HungUp

# --------------------------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Play:
    prompt: str  # a prompt name the adapter resolves to a file
    loop: bool = False


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Echo:
    pass


@dataclass(frozen=True)
class Bridge:
    other_leg: str


@dataclass(frozen=True)
class Dial:
    target: str


@dataclass(frozen=True)
class Record:
    on: bool = True


@dataclass(frozen=True)
class Join:
    """Put the caller into a conference room's mix (the adapter's mixer admits them)."""

    room: str


@dataclass(frozen=True)
class Collected:
    digits: str


@dataclass(frozen=True)
class HangUp:
    reason: str


@dataclass(frozen=True)
class SetTimer:
    name: str
    at: float


@dataclass(frozen=True)
class CancelTimer:
    name: str


Action = Play | Stop | Echo | Bridge | Dial | Record | Join | Collected | HangUp | SetTimer | CancelTimer


class Machine:
    """Base: a machine keeps its timers so :meth:`due` can turn the clock into ``TimerDue`` events."""

    def __init__(self) -> None:
        self.timers: dict[str, float] = {}
        self.ended = False

    def handle(self, event: Event, now: float) -> list[Action]:
        actions = self._handle(event, now)
        for action in actions:
            if isinstance(action, SetTimer):
                self.timers[action.name] = action.at
            elif isinstance(action, CancelTimer):
                self.timers.pop(action.name, None)
            elif isinstance(action, HangUp):
                self.ended = True
        if isinstance(event, HungUp):
            self.ended = True
            self.timers.clear()
        return actions

    def due(self, now: float) -> list[Action]:
        """Fire every timer whose time has come (in deadline order)."""
        actions: list[Action] = []
        for name, at in sorted(self.timers.items(), key=lambda item: item[1]):
            if at <= now and name in self.timers and not self.ended:
                del self.timers[name]
                actions += self.handle(TimerDue(name), now)
        return actions

    def next_deadline(self) -> float | None:
        return min(self.timers.values(), default=None)

    def _handle(self, event: Event, now: float) -> list[Action]:
        raise NotImplementedError


class EchoTest(Machine):
    """``*43``: a short beep, then the caller hears themselves; the call ends after ``max_seconds``."""

    def __init__(self, max_seconds: float = 600.0) -> None:
        super().__init__()
        self.max_seconds = max_seconds

    def _handle(self, event: Event, now: float) -> list[Action]:
        if isinstance(event, Answered):
            return [Play("beep"), SetTimer("limit", now + self.max_seconds)]
        if isinstance(event, PromptFinished):
            return [Echo()]
        if isinstance(event, TimerDue) and event.name == "limit":
            return [HangUp("echo test time limit")]
        return []


class MusicOnHold(Machine):
    """Hold music in a loop until the caller hangs up (or ``max_seconds``)."""

    def __init__(self, prompt: str = "moh", max_seconds: float = 3600.0) -> None:
        super().__init__()
        self.prompt = prompt
        self.max_seconds = max_seconds

    def _handle(self, event: Event, now: float) -> list[Action]:
        if isinstance(event, Answered):
            return [Play(self.prompt, loop=True), SetTimer("limit", now + self.max_seconds)]
        if isinstance(event, TimerDue) and event.name == "limit":
            return [Stop(), HangUp("hold time limit")]
        return []


@dataclass
class DigitCollector(Machine):
    """Play a prompt, collect up to ``max_digits`` (``#`` ends early); a digit barges in on the prompt.

    ``first_timeout`` runs from the end of the prompt, ``inter_timeout`` from each digit.  The result is
    one :class:`Collected` action (possibly empty on timeout), then the machine is done collecting.
    """

    prompt: str = "prompt"
    max_digits: int = 4
    first_timeout: float = 5.0
    inter_timeout: float = 3.0
    digits: str = ""
    playing: bool = False
    done: bool = False
    timers: dict[str, float] = field(default_factory=dict)
    ended: bool = False

    def __post_init__(self) -> None:
        pass  # dataclass fields replace Machine.__init__

    def _finish(self) -> list[Action]:
        self.done = True
        actions: list[Action] = [CancelTimer("digits"), Collected(self.digits)]
        if self.playing:
            self.playing = False
            actions.insert(0, Stop())
        return actions

    def _handle(self, event: Event, now: float) -> list[Action]:
        if self.done:
            return []
        if isinstance(event, Answered):
            self.playing = True
            return [Play(self.prompt)]
        if isinstance(event, PromptFinished):
            self.playing = False
            return [SetTimer("digits", now + self.first_timeout)]
        if isinstance(event, Dtmf):
            actions: list[Action] = []
            if self.playing:
                self.playing = False
                actions.append(Stop())
            if event.digit == "#":
                return actions + self._finish()
            self.digits += event.digit
            if len(self.digits) >= self.max_digits:
                return actions + self._finish()
            return [*actions, SetTimer("digits", now + self.inter_timeout)]
        if isinstance(event, TimerDue) and event.name == "digits":
            return self._finish()
        return []


class ConferenceMember(Machine):
    """A room member: without a PIN the caller joins at once (join tone to the newcomer).

    With a ``pin`` the caller first hears the PIN prompt and enters the digits (``#`` ends early, a digit
    barges in on the prompt: a :class:`DigitCollector` per attempt).  A wrong or missing PIN plays
    ``pin_wrong`` and starts another attempt; after ``attempts`` failures the call ends.  Only a right
    PIN gives :class:`Join`.
    """

    def __init__(
        self,
        room: str,
        pin: str | None = None,
        *,
        attempts: int = 3,
        first_timeout: float = 8.0,
        inter_timeout: float = 4.0,
    ) -> None:
        super().__init__()
        self.room = room
        self.pin = pin or None
        self.attempts = attempts
        self.first_timeout = first_timeout
        self.inter_timeout = inter_timeout
        self.failures = 0
        self.joined = False
        self.collector: DigitCollector | None = None

    def _attempt(self, prompt: str, now: float) -> list[Action]:
        assert self.pin is not None
        self.collector = DigitCollector(
            prompt=prompt,
            max_digits=len(self.pin),
            first_timeout=self.first_timeout,
            inter_timeout=self.inter_timeout,
        )
        return self._collect(Answered(), now)

    def _collect(self, event: Event, now: float) -> list[Action]:
        assert self.collector is not None and self.pin is not None
        actions = self.collector.handle(event, now)
        collected = [a for a in actions if isinstance(a, Collected)]
        actions = [a for a in actions if not isinstance(a, Collected)]
        if not collected:
            return actions
        if collected[0].digits == self.pin:
            self.joined = True
            self.collector = None
            return [*actions, Join(self.room), Play("beep")]
        self.failures += 1
        if self.failures >= self.attempts:
            self.collector = None
            return [*actions, HangUp("wrong conference PIN")]
        return actions + self._attempt("pin_wrong", now)

    def _handle(self, event: Event, now: float) -> list[Action]:
        if isinstance(event, Answered):
            if self.pin is None:
                self.joined = True
                return [Join(self.room), Play("beep")]
            return self._attempt("pin", now)
        if self.collector is not None and isinstance(event, Dtmf | PromptFinished | TimerDue):
            return self._collect(event, now)
        return []
