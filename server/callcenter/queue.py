"""Queues: callers waiting in order, agents offered calls one strategy step at a time.

One `QueueEngine` serves all the queues of a PBX, because an agent's state (on a call, DND, registered,
wrap-up) is shared by every queue they serve.  Per queue it keeps the members (tier/penalty, logged in,
paused) and the waiting callers (higher priority first, then arrival order).  The engine is sans-IO:
every method takes `now` (seconds) and returns actions; `next_deadline` says when to call `tick`.

An offer rings one agent (or, for ring-all, every available agent of the best tier) for the queue's ring
timeout; an agent who lets it ring out is not offered the same caller again until every other available
agent has had a turn, and a new round starts after the queue's retry pause.  Callers are offered in the
queue's order (arrival order is kept), but a caller whose offer is outstanding does not stop the next
caller from being offered to another free agent.  When agents serve several queues, the caller waiting
longest is served first.

Announcements (``announce_every`` > 0): a waiting caller hears their position and the estimated wait
(``Announce``) when they enter without being offered at once, then every ``announce_every`` seconds while
no agent's phone is ringing with their call.  The estimate is the queue's recent average hold time (the
mean of the last ``HOLD_HISTORY`` answered calls' waits, Asterisk's idea) less what the caller has waited,
rounded up to whole minutes (at least one); with no answered call yet, only the position is announced.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from server.callcenter.destinations import HANGUP, Destination, destination_from_json

Strategy = Literal[
    "ring_all", "longest_idle", "round_robin", "fewest_calls", "least_talk_time", "random", "linear"
]
HOLD_HISTORY = 20  # answered calls whose hold times make the estimated wait
MIN_ANNOUNCE_EVERY = 15.0  # seconds: shorter periods would leave no time for the hold music
Language = Literal["vi", "en"]
STRATEGIES: tuple[Strategy, ...] = (
    "ring_all",
    "longest_idle",
    "round_robin",
    "fewest_calls",
    "least_talk_time",
    "random",
    "linear",
)


@dataclass(frozen=True, slots=True)
class QueueConfig:
    id: int
    name: str = ""
    strategy: Strategy = "longest_idle"
    ring_timeout: float = 15.0
    wrapup: float = 10.0
    max_wait: float = 0.0  # 0: no limit
    max_wait_destination: Destination = HANGUP
    max_length: int = 0  # 0: no limit
    overflow_destination: Destination = HANGUP
    no_agent_grace: float = 30.0
    no_agent_destination: Destination = HANGUP
    service_level: float = 20.0
    short_abandon: float = 5.0
    retry: float = 5.0  # pause before a caller every free agent let ring out is offered again
    priority: int = 0  # every caller of this queue (across queues sharing agents, higher goes first)
    priority_callers: frozenset[str] = frozenset()  # caller numbers (normalized) served before others
    priority_hotlines: frozenset[str] = frozenset()  # callers who dialled these hotlines, likewise
    announce_every: float = 0.0  # 0: no position / wait announcements
    announce_position: bool = True
    announce_wait: bool = True
    language: Language = "vi"

    def priority_of(self, caller: str = "", hotline: str = "") -> int:
        """A caller's priority in this queue: the queue's own, one more for a priority caller or hotline."""
        vip = bool(caller) and caller in self.priority_callers
        vip = vip or (bool(hotline) and hotline in self.priority_hotlines)
        return self.priority + (1 if vip else 0)


def queue_from_json(
    queue_id: int, name: str, config: Mapping[str, Any], normalize: Callable[[str], str] = str
) -> QueueConfig:
    """The stored JSON document (validated by the API); `normalize` puts phone numbers in the form the
    adapter compares callers with."""
    every = float(config.get("announce_every", 0))
    return QueueConfig(
        id=queue_id,
        name=name,
        strategy=config.get("strategy", "longest_idle"),
        ring_timeout=float(config.get("ring_timeout", 15.0)),
        wrapup=float(config.get("wrapup", 10)),
        max_wait=float(config.get("max_wait", 0)),
        max_wait_destination=destination_from_json(config.get("max_wait_destination")),
        max_length=int(config.get("max_length", 0)),
        overflow_destination=destination_from_json(config.get("overflow_destination")),
        no_agent_grace=float(config.get("no_agent_grace", 30)),
        no_agent_destination=destination_from_json(config.get("no_agent_destination")),
        service_level=float(config.get("service_level", 20)),
        short_abandon=float(config.get("short_abandon", 5)),
        retry=float(config.get("retry", 5)),
        priority=int(config.get("priority", 0)),
        priority_callers=frozenset(normalize(str(n)) for n in config.get("priority_callers") or ()),
        priority_hotlines=frozenset(normalize(str(n)) for n in config.get("priority_hotlines") or ()),
        announce_every=max(every, MIN_ANNOUNCE_EVERY) if every > 0 else 0.0,
        announce_position=bool(config.get("announce_position", True)),
        announce_wait=bool(config.get("announce_wait", True)),
        language="en" if config.get("language") == "en" else "vi",
    )


# --- actions ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Offer:
    """Ring these agents' phones with the waiting caller's call (the first to answer takes it)."""

    call_id: str
    queue_id: int
    user_ids: tuple[int, ...]
    timeout: float


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """Stop ringing these agents (ring timeout, another agent answered, the caller left)."""

    call_id: str
    user_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Exit:
    """The caller leaves the queue for another destination (max wait, full, no agents)."""

    call_id: str
    queue_id: int
    destination: Destination
    reason: str  # the queue-log event: EXITWITHTIMEOUT, EXITFULL, EXITEMPTY, EXITWITHKEY


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One queue-log line (persisted through the PBX journal; `server.callcenter.metrics` reads them)."""

    at: float
    queue_id: int
    call_id: str
    event: str
    user_id: int | None = None
    data: Mapping[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Announce:
    """Tell the waiting caller their position (None: not announced) and the estimated wait in whole
    minutes (None: not announced), in `language`; the hold music resumes after."""

    call_id: str
    queue_id: int
    position: int | None
    wait_minutes: int | None
    language: Language


QueueAction = Offer | CancelOffer | Exit | LogEntry | Announce


# --- state -----------------------------------------------------------------------------------------
@dataclass(slots=True)
class Agent:
    """What the PBX knows of a person, shared by every queue they serve."""

    user_id: int
    registered: bool = True
    dnd: bool = False
    on_call: bool = False  # any call, queue or not
    wrapup_until: float = 0.0
    wrapup_call: tuple[int, str] | None = None  # (queue id, call id) of the wrap-up under way
    idle_since: float = float("-inf")  # end of their last queue call's wrap-up
    ringing: str | None = None  # the call id offered to them now
    queue_call: str | None = None  # the queue call they are connected to (whatever presence says)


@dataclass(slots=True)
class Member:
    user_id: int
    tier: int = 0
    penalty: int = 0
    logged_in: bool = False
    paused: bool = False
    reason: str = ""
    calls: int = 0  # answered from this queue
    talk: float = 0.0  # seconds talked on this queue's calls


@dataclass(slots=True)
class Caller:
    call_id: str
    queue_id: int
    entered: float
    priority: int
    seq: int
    offered: tuple[int, ...] = ()  # agents ringing now
    offer_deadline: float = 0.0
    missed: set[int] = field(default_factory=set)  # let it ring out this round
    retry_at: float | None = None  # every free agent missed it: the next round starts then
    announce_at: float | None = None  # the next position / wait announcement


@dataclass(slots=True)
class Connected:
    call_id: str
    queue_id: int
    user_id: int
    since: float


@dataclass(slots=True)
class _Queue:
    config: QueueConfig
    members: list[Member] = field(default_factory=list)
    waiting: list[Caller] = field(default_factory=list)
    last_offered: int | None = None  # round-robin memory: the user offered last
    empty_since: float | None = None  # when the last logged-in member left (the grace period's start)
    holds: list[float] = field(default_factory=list)  # the last HOLD_HISTORY answered calls' hold times


class QueueEngine:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._queues: dict[int, _Queue] = {}
        self._agents: dict[int, Agent] = {}
        self._callers: dict[str, Caller] = {}
        self._connected: dict[str, Connected] = {}
        self._seq = 0
        self._rng = rng or random.Random()

    # --- configuration ---------------------------------------------------------------------------
    def configure(self, config: QueueConfig, members: Sequence[Member], now: float) -> None:
        """Add or replace a queue's configuration and members (keeping waiting callers and counters)."""
        queue = self._queues.get(config.id)
        if queue is None:
            queue = self._queues[config.id] = _Queue(config)
        queue.config = config
        old = {m.user_id: m for m in queue.members}
        fresh: list[Member] = []
        for m in members:
            kept = old.get(m.user_id)
            if kept is not None:
                m.calls, m.talk = kept.calls, kept.talk
            fresh.append(m)
            self._agents.setdefault(m.user_id, Agent(m.user_id))
        queue.members = fresh
        self._note_logged_in(queue, now)
        for caller in queue.waiting:  # announcements switched on or off while callers wait
            if config.announce_every <= 0:
                caller.announce_at = None
            elif caller.announce_at is None:
                caller.announce_at = now + config.announce_every

    def seed_holds(self, queue_id: int, holds: Sequence[float]) -> None:
        """The hold times of the queue's last answered calls as the log kept them (oldest first), so the
        estimated wait is announced right after a restart; ignored once the queue has its own."""
        queue = self._queues.get(queue_id)
        if queue is not None and not queue.holds:
            queue.holds = list(holds)[-HOLD_HISTORY:]

    def remove_queue(self, queue_id: int, now: float) -> list[QueueAction]:
        queue = self._queues.get(queue_id)
        if queue is None:
            return []
        actions: list[QueueAction] = []
        for caller in list(queue.waiting):
            actions += self._leave(caller, now, "EXITEMPTY", HANGUP)
        del self._queues[queue_id]
        return actions

    def agent(self, user_id: int) -> Agent:
        return self._agents.setdefault(user_id, Agent(user_id))

    def config(self, queue_id: int) -> QueueConfig:
        return self._queues[queue_id].config

    def queue_ids(self) -> list[int]:
        return list(self._queues)

    def members(self, queue_id: int) -> list[Member]:
        return list(self._queues[queue_id].members)

    def waiting(self, queue_id: int) -> list[Caller]:
        return list(self._queues[queue_id].waiting)

    def connected(self, call_id: str) -> Connected | None:
        return self._connected.get(call_id)

    def connected_calls(self) -> list[Connected]:
        return list(self._connected.values())

    def agents(self) -> list[Agent]:
        return list(self._agents.values())

    def caller(self, call_id: str) -> Caller | None:
        return self._callers.get(call_id)

    # --- agent state -----------------------------------------------------------------------------
    def set_presence(
        self,
        user_id: int,
        now: float,
        *,
        registered: bool | None = None,
        dnd: bool | None = None,
        on_call: bool | None = None,
    ) -> list[QueueAction]:
        agent = self.agent(user_id)
        if registered is not None:
            agent.registered = registered
        if dnd is not None:
            agent.dnd = dnd
        if on_call is not None:
            agent.on_call = on_call
        return self._dispatch(now)

    def login(self, queue_id: int, user_id: int, now: float, logged_in: bool = True) -> list[QueueAction]:
        queue = self._queues[queue_id]
        member = self._member(queue, user_id)
        if member is None or member.logged_in == logged_in:
            return self._dispatch(now)
        member.logged_in = logged_in
        if not logged_in:
            member.paused, member.reason = False, ""
        self._note_logged_in(queue, now)
        event = "AGENTLOGIN" if logged_in else "AGENTLOGOFF"
        return [LogEntry(now, queue_id, "NONE", event, user_id), *self._dispatch(now)]

    def pause(
        self, queue_id: int, user_id: int, now: float, paused: bool = True, reason: str = ""
    ) -> list[QueueAction]:
        queue = self._queues[queue_id]
        member = self._member(queue, user_id)
        if member is None or member.paused == paused:
            return self._dispatch(now)
        member.paused, member.reason = paused, reason if paused else ""
        event = "PAUSE" if paused else "UNPAUSE"
        data = {"reason": reason} if paused else {}
        return [LogEntry(now, queue_id, "NONE", event, user_id, data), *self._dispatch(now)]

    def ready_now(self, user_id: int, now: float) -> list[QueueAction]:
        """End the agent's wrap-up early ("ready now"): a READY line ends it on the live board too."""
        agent = self.agent(user_id)
        actions: list[QueueAction] = []
        if agent.wrapup_until > now:
            agent.wrapup_until = now
            agent.idle_since = now
            if agent.wrapup_call is not None:
                queue_id, call_id = agent.wrapup_call
                actions.append(LogEntry(now, queue_id, call_id, "READY", user_id))
        return actions + self._dispatch(now)

    # --- callers ---------------------------------------------------------------------------------
    def enter(self, queue_id: int, call_id: str, now: float, priority: int = 0) -> list[QueueAction]:
        queue = self._queues[queue_id]
        config = queue.config
        position = len(queue.waiting) + 1
        log = LogEntry(
            now, queue_id, call_id, "ENTERQUEUE", data={"position": position, "priority": priority}
        )
        if config.max_length and len(queue.waiting) >= config.max_length:
            return [
                log,
                LogEntry(now, queue_id, call_id, "EXITFULL", data={"position": position}),
                Exit(call_id, queue_id, config.overflow_destination, "EXITFULL"),
            ]
        if (
            not self._any_logged_in(queue)
            and queue.empty_since is not None
            and now - queue.empty_since >= config.no_agent_grace
        ):
            return [
                log,
                LogEntry(now, queue_id, call_id, "EXITEMPTY", data={"position": position, "wait": 0}),
                Exit(call_id, queue_id, config.no_agent_destination, "EXITEMPTY"),
            ]
        self._seq += 1
        caller = Caller(call_id, queue_id, now, priority, self._seq)
        queue.waiting.append(caller)
        queue.waiting.sort(key=lambda c: (-c.priority, c.seq))
        self._callers[call_id] = caller
        position = queue.waiting.index(caller) + 1  # a priority caller goes ahead of others
        log = LogEntry(
            now, queue_id, call_id, "ENTERQUEUE", data={"position": position, "priority": priority}
        )
        actions: list[QueueAction] = [log, *self._dispatch(now)]
        if config.announce_every > 0:
            caller.announce_at = now  # on entry, unless an agent is being rung already
            actions += self._announce(queue, caller, now)
        return actions

    def caller_left(self, call_id: str, now: float) -> list[QueueAction]:
        """The waiting caller hung up (ABANDON), or a connected call ended from the caller's side."""
        caller = self._callers.get(call_id)
        if caller is not None:
            return self._leave(caller, now, "ABANDON", None) + self._dispatch(now)
        return self.call_ended(call_id, now, by_agent=False)

    def leave_with_key(self, call_id: str, now: float, destination: Destination) -> list[QueueAction]:
        caller = self._callers.get(call_id)
        if caller is None:
            return []
        return self._leave(caller, now, "EXITWITHKEY", destination) + self._dispatch(now)

    def answered(self, call_id: str, user_id: int, now: float) -> list[QueueAction]:
        """Agent `user_id` answered the offer: the call connects, the other offers stop."""
        caller = self._callers.get(call_id)
        if caller is None or user_id not in caller.offered:
            return []
        queue = self._queues[caller.queue_id]
        actions: list[QueueAction] = []
        others = tuple(u for u in caller.offered if u != user_id)
        self._release(caller)
        if others:
            actions.append(CancelOffer(call_id, others))
        queue.waiting.remove(caller)
        del self._callers[call_id]
        agent = self.agent(user_id)
        agent.on_call = True
        agent.queue_call = call_id
        member = self._member(queue, user_id)
        if member is not None:
            member.calls += 1
        self._connected[call_id] = Connected(call_id, caller.queue_id, user_id, now)
        hold = now - caller.entered
        queue.holds = [*queue.holds, hold][-HOLD_HISTORY:]
        actions.append(LogEntry(now, caller.queue_id, call_id, "CONNECT", user_id, {"hold": hold}))
        return actions + self._dispatch(now)

    def declined(self, call_id: str, user_id: int, now: float) -> list[QueueAction]:
        """The agent's phone refused the offer (busy, rejected): as a ring-out, at once."""
        caller = self._callers.get(call_id)
        if caller is None or user_id not in caller.offered:
            return []
        return self._ring_out(caller, (user_id,), now) + self._dispatch(now)

    def call_ended(self, call_id: str, now: float, *, by_agent: bool) -> list[QueueAction]:
        """A connected call ended: COMPLETEAGENT or COMPLETECALLER (talk time), then the agent's wrap-up."""
        return self._end(call_id, now, "COMPLETEAGENT" if by_agent else "COMPLETECALLER", {})

    def _end(
        self, call_id: str, now: float, event: str, extra: Mapping[str, float | int | str]
    ) -> list[QueueAction]:
        conn = self._connected.pop(call_id, None)
        if conn is None:
            return []
        queue = self._queues.get(conn.queue_id)
        talk = now - conn.since
        agent = self.agent(conn.user_id)
        agent.on_call = False
        if agent.queue_call == call_id:
            agent.queue_call = None
        wrapup = queue.config.wrapup if queue is not None else 0.0
        agent.wrapup_until = now + wrapup
        agent.wrapup_call = (conn.queue_id, call_id)
        agent.idle_since = now + wrapup
        if queue is not None:
            member = self._member(queue, conn.user_id)
            if member is not None:
                member.talk += talk
        actions: list[QueueAction] = [
            LogEntry(now, conn.queue_id, call_id, event, conn.user_id, {"talk": talk, **extra})
        ]
        if wrapup:
            actions.append(LogEntry(now, conn.queue_id, call_id, "WRAPUP", conn.user_id, {"wrapup": wrapup}))
        return actions + self._dispatch(now)

    def transferred(self, call_id: str, now: float, *, to: str = "") -> list[QueueAction]:
        """The agent transferred the connected call to `to`: their part ends (TRANSFER, then wrap-up)."""
        return self._end(call_id, now, "TRANSFER", {"to": to})

    # --- time ------------------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        times: list[float] = []
        for queue in self._queues.values():
            config = queue.config
            for caller in queue.waiting:
                if caller.offered:
                    times.append(caller.offer_deadline)
                if caller.retry_at is not None:
                    times.append(caller.retry_at)
                if caller.announce_at is not None:
                    times.append(caller.announce_at)
                if config.max_wait:
                    times.append(caller.entered + config.max_wait)
            if queue.waiting and queue.empty_since is not None and not self._any_logged_in(queue):
                times.append(queue.empty_since + config.no_agent_grace)
        times.extend(a.wrapup_until for a in self._agents.values() if a.wrapup_until > 0)
        return min(times) if times else None

    def tick(self, now: float) -> list[QueueAction]:
        actions: list[QueueAction] = []
        for queue in list(self._queues.values()):
            config = queue.config
            for caller in list(queue.waiting):
                self._retry_over(caller, now)
                if config.max_wait and now >= caller.entered + config.max_wait:
                    actions += self._leave(caller, now, "EXITWITHTIMEOUT", config.max_wait_destination)
                elif caller.offered and now >= caller.offer_deadline:
                    actions += self._ring_out(caller, caller.offered, now)
            if (
                queue.waiting
                and not self._any_logged_in(queue)
                and queue.empty_since is not None
                and now >= queue.empty_since + config.no_agent_grace
            ):
                for caller in list(queue.waiting):
                    actions += self._leave(caller, now, "EXITEMPTY", config.no_agent_destination)
        for agent in self._agents.values():
            if 0 < agent.wrapup_until <= now:
                agent.wrapup_until = 0.0
        actions += self._dispatch(now)
        for queue in list(self._queues.values()):
            for caller in list(queue.waiting):
                actions += self._announce(queue, caller, now)
        return actions

    def estimated_wait(self, queue_id: int, call_id: str, now: float) -> float | None:
        """Seconds the caller may still wait: the recent average hold time less their wait so far (None
        before any call of the queue was answered)."""
        queue, caller = self._queues[queue_id], self._callers.get(call_id)
        if not queue.holds or caller is None:
            return None
        return max(0.0, sum(queue.holds) / len(queue.holds) - (now - caller.entered))

    # --- internals -------------------------------------------------------------------------------
    @staticmethod
    def _member(queue: _Queue, user_id: int) -> Member | None:
        return next((m for m in queue.members if m.user_id == user_id), None)

    @staticmethod
    def _any_logged_in(queue: _Queue) -> bool:
        return any(m.logged_in for m in queue.members)

    def _note_logged_in(self, queue: _Queue, now: float) -> None:
        if self._any_logged_in(queue):
            queue.empty_since = None
        elif queue.empty_since is None:
            queue.empty_since = now

    def _release(self, caller: Caller) -> None:
        for user_id in caller.offered:
            agent = self._agents.get(user_id)
            if agent is not None and agent.ringing == caller.call_id:
                agent.ringing = None
        caller.offered = ()

    def _ring_out(self, caller: Caller, user_ids: Sequence[int], now: float) -> list[QueueAction]:
        actions: list[QueueAction] = [CancelOffer(caller.call_id, tuple(user_ids))]
        for user_id in user_ids:
            ringing = now - (caller.offer_deadline - self._queues[caller.queue_id].config.ring_timeout)
            actions.append(
                LogEntry(now, caller.queue_id, caller.call_id, "RINGNOANSWER", user_id, {"ring": ringing})
            )
            caller.missed.add(user_id)
        remaining = tuple(u for u in caller.offered if u not in user_ids)
        self._release(caller)
        caller.offered = remaining
        for user_id in remaining:
            self.agent(user_id).ringing = caller.call_id
        return actions

    def _leave(
        self, caller: Caller, now: float, event: str, destination: Destination | None
    ) -> list[QueueAction]:
        queue = self._queues[caller.queue_id]
        actions: list[QueueAction] = []
        if caller.offered:
            actions.append(CancelOffer(caller.call_id, caller.offered))
            self._release(caller)
        position = queue.waiting.index(caller) + 1
        queue.waiting.remove(caller)
        del self._callers[caller.call_id]
        wait = now - caller.entered
        actions.append(
            LogEntry(now, caller.queue_id, caller.call_id, event, data={"position": position, "wait": wait})
        )
        if destination is not None:
            actions.append(Exit(caller.call_id, caller.queue_id, destination, event))
        return actions

    def _announce(self, queue: _Queue, caller: Caller, now: float) -> list[QueueAction]:
        """The announcement due now (none while an agent's phone rings with the call), and the next one."""
        config = queue.config
        if caller.announce_at is None or now < caller.announce_at:
            return []
        caller.announce_at = now + config.announce_every if config.announce_every > 0 else None
        if caller.offered:
            return []
        position = queue.waiting.index(caller) + 1 if config.announce_position else None
        wait = self.estimated_wait(config.id, caller.call_id, now) if config.announce_wait else None
        minutes = max(1, math.ceil(wait / 60)) if wait is not None else None
        if position is None and minutes is None:
            return []
        return [Announce(caller.call_id, config.id, position, minutes, config.language)]

    def _available(self, member: Member, now: float) -> bool:
        if not member.logged_in or member.paused:
            return False
        agent = self._agents[member.user_id]
        return (
            agent.registered
            and not agent.dnd
            and not agent.on_call
            and agent.queue_call is None
            and agent.ringing is None
            and agent.wrapup_until <= now
        )

    def _dispatch(self, now: float) -> list[QueueAction]:
        """Offer waiting callers to free agents, as long as both remain.

        Each queue's callers go in its order (priority, then arrival); a queue whose next caller finds
        nobody stops there, so that later callers do not jump ahead.  Across queues the caller waiting
        longest (priority first) is served first, so that a busy queue cannot starve another one whose
        agents it shares."""
        actions: list[QueueAction] = []
        pending = {
            qid: iter([c for c in queue.waiting if not c.offered]) for qid, queue in self._queues.items()
        }
        heads = {qid: c for qid, it in pending.items() if (c := next(it, None)) is not None}
        while heads:
            qid = min(heads, key=lambda q: (-heads[q].priority, heads[q].entered, heads[q].seq))
            caller, queue = heads[qid], self._queues[qid]
            chosen = self._choose(queue, caller, now)
            following = next(pending[qid], None) if chosen else None
            if following is None:
                del heads[qid]
            else:
                heads[qid] = following
            if not chosen:
                continue
            caller.offered = chosen
            caller.offer_deadline = now + queue.config.ring_timeout
            for user_id in chosen:
                self._agents[user_id].ringing = caller.call_id
            queue.last_offered = chosen[-1]
            actions.append(Offer(caller.call_id, queue.config.id, chosen, queue.config.ring_timeout))
        return actions

    @staticmethod
    def _retry_over(caller: Caller, now: float) -> None:
        if caller.retry_at is not None and now >= caller.retry_at:
            caller.retry_at = None  # the pause is over: a new round
            caller.missed.clear()

    def _choose(self, queue: _Queue, caller: Caller, now: float) -> tuple[int, ...]:
        self._retry_over(caller, now)
        free = [m for m in queue.members if self._available(m, now)]
        if not free:
            return ()
        fresh = [m for m in free if m.user_id not in caller.missed]
        if not fresh:  # everyone free has had a turn: a new round, after the retry pause
            if queue.config.retry > 0:
                if caller.retry_at is None:
                    caller.retry_at = now + queue.config.retry
                return ()
            caller.missed.clear()
            fresh = free
        best = min((m.tier, m.penalty) for m in fresh)
        pool = [m for m in fresh if (m.tier, m.penalty) == best]
        strategy = queue.config.strategy
        if strategy == "ring_all":
            return tuple(m.user_id for m in pool)
        if strategy == "linear":
            return (pool[0].user_id,)
        if strategy == "random":
            return (self._rng.choice(pool).user_id,)
        if strategy == "fewest_calls":
            return (min(pool, key=lambda m: m.calls).user_id,)
        if strategy == "least_talk_time":
            return (min(pool, key=lambda m: m.talk).user_id,)
        if strategy == "round_robin":
            order = [m.user_id for m in queue.members]
            start = order.index(queue.last_offered) + 1 if queue.last_offered in order else 0
            ids = {m.user_id for m in pool}
            for i in range(len(order)):
                candidate = order[(start + i) % len(order)]
                if candidate in ids:
                    return (candidate,)
        # longest idle (the default): the agent whose last queue call (with its wrap-up) ended first
        return (min(pool, key=lambda m: self._agents[m.user_id].idle_since).user_id,)
