"""Calls in progress: state of every call, the one on screen, and the commands an agent can give.

Theory of operation: the engine reports each call's life through CallStateChanged/CallMediaChanged/
RecordingChanged; this model keeps one :class:`CallItem` per live call and emits ``changed`` after every
update (one broadcast; views re-read what they show). Only one call is "active" (unheld, on screen) unless
calls were merged into a conference. Answering or switching to a call holds the others. An attended
transfer is a consult call linked to the original (``consult_for``); completing it sends REFER/Replaces.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from softphone import commands as cmd
from softphone.events import (
    CallMediaChanged,
    CallStateChanged,
    CallStats,
    IncomingCall,
    RecordingChanged,
    TransferProgress,
)
from softphone.phone_numbers import format_vn_number, user_part
from softphone.queue_call import QueueCall
from ui.engine_link import EngineLink

NameResolver = Callable[[str], str | None]
ENDED = "disconnected"
QUALITY_EVERY_TICKS = 2  # call_stats every 2 s while calls are up: the in-call quality indicator


@dataclass(frozen=True, slots=True)
class CallItem:
    call_id: str
    account_id: str
    direction: str
    remote_uri: str
    number: str
    name: str
    state: str = "calling"
    code: int = 0
    reason: str = ""
    held_local: bool = False
    held_remote: bool = False
    muted: bool = False
    recording: bool = False
    recording_path: str = ""
    connected_at: float | None = None  # clock() when confirmed
    auto_answer_in: int | None = None  # seconds left before the engine answers by itself (auto-answer)
    auto_answer_at: float | None = None  # clock() when it does
    consult_for: str | None = None  # attended transfer: the call being transferred
    in_conference: bool = False
    transfer_status: str = ""
    mos: float | None = None
    stats: CallStats | None = None  # the last call_stats (codec, loss, jitter, RTT) for the quality tooltip
    started: float = 0.0  # wall-clock time (history)
    answered: float | None = None  # wall-clock time it was confirmed
    queue_call: QueueCall | None = None  # placed by the call center: queue, IVR path, the caller's wait
    rang_at: float = 0.0  # clock() when it began to ring here

    @property
    def is_ringing_in(self) -> bool:
        return self.direction == "incoming" and self.connected_at is None and self.state != ENDED

    @property
    def is_connected(self) -> bool:
        return self.state == "confirmed"

    def caller_wait(self, now: float) -> int | None:
        """Seconds the caller has waited so far (queue wait before the ring, plus the ringing)."""
        q = self.queue_call
        if q is None or q.waited is None:
            return None
        end = self.connected_at if self.connected_at is not None else now
        return q.waited + max(0, int(end - self.rang_at))

    @property
    def title(self) -> str:
        """What to call the other party on screen: their name, else the number grouped (0912 345 678)."""
        return self.name or format_vn_number(self.number)


class CallsViewModel(QObject):
    changed = Signal()
    incomingCall = Signal(str)  # call_id: show the notification window
    incomingGone = Signal(str)  # call_id: hide it (answered, declined, cancelled)
    callEnded = Signal(object)  # the final CallItem
    error = Signal(str)

    def __init__(
        self,
        link: EngineLink,
        *,
        resolve_name: NameResolver = lambda _n: None,
        recordings_dir: Path | None = None,
        dtmf_method_of: Callable[[str], str] = lambda _account_id: "rfc4733",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._link = link
        self._resolve = resolve_name
        self._recordings = recordings_dir
        self._dtmf_method_of = dtmf_method_of
        self._clock = clock
        self._wall = wall_clock
        self._calls: dict[str, CallItem] = {}
        self._active: str | None = None
        self._ticks = 0
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)
        link.eventReceived.connect(self.handle)

    # ------------------------------------------------------------------ state

    def calls(self) -> list[CallItem]:
        return list(self._calls.values())

    def call(self, call_id: str) -> CallItem | None:
        return self._calls.get(call_id)

    @property
    def active_call_id(self) -> str | None:
        return self._active

    def active_call(self) -> CallItem | None:
        return self._calls.get(self._active) if self._active else None

    def has_calls(self) -> bool:
        return bool(self._calls)

    def ringing_call(self) -> CallItem | None:
        return next((c for c in self._calls.values() if c.is_ringing_in), None)

    def now(self) -> float:
        return self._clock()

    def elapsed(self, call_id: str) -> int:
        c = self._calls.get(call_id)
        if c is None or c.connected_at is None:
            return 0
        # Rounded: the tick comes a hair before or after each whole second since the answer.
        return round(self._clock() - c.connected_at)

    def parties(self) -> set[str]:
        """Numbers of everyone in a call now (not offered as transfer targets)."""
        return {c.number for c in self._calls.values()}

    def set_name_resolver(self, resolve: NameResolver) -> None:
        self._resolve = resolve

    # ------------------------------------------------------------------ commands

    def dial(
        self, account_id: str, target: str, hotline: str | None = None, *, consult_for: str | None = None
    ) -> None:
        target = target.strip()
        if not target:
            return
        self._hold_others(None)

        def placed(call_id: str) -> None:
            number = user_part(target)
            existing = self._calls.get(call_id)
            item = CallItem(
                call_id=call_id,
                account_id=account_id,
                direction="outgoing",
                remote_uri=target,
                number=number,
                name=self._resolve(number) or "",
                consult_for=consult_for,
                started=self._wall(),
            )
            if existing is not None:  # a state event raced ahead of the result
                item = replace(existing, name=item.name, number=number, consult_for=consult_for)
            self._calls[call_id] = item
            self._active = call_id
            self._sync_timer()
            self.changed.emit()

        self._link.submit(cmd.MakeCall(account_id, target, hotline), on_done=placed)

    def answer(self, call_id: str) -> None:
        self._hold_others(call_id)
        self._update(call_id, auto_answer_in=None, auto_answer_at=None)
        self._active = call_id
        self._link.submit(cmd.Answer(call_id))
        self.incomingGone.emit(call_id)
        self.changed.emit()

    def answer_or_hang_up(self) -> None:
        """One button (a headset's): answer the ringing call, else end the call on screen."""
        ringing = self.ringing_call()
        if ringing is not None:
            self.answer(ringing.call_id)
        elif self._active is not None:
            self.hangup()

    def decline(self, call_id: str) -> None:
        self._link.submit(cmd.Decline(call_id, 486))
        self.incomingGone.emit(call_id)

    def hangup(self, call_id: str | None = None) -> None:
        cid = call_id or self._active
        if cid is None:
            ringing = self.ringing_call()
            if ringing is None:
                return
            cid = ringing.call_id
        c = self._calls.get(cid)
        if c is not None and c.is_ringing_in:
            self.decline(cid)
        else:
            self._link.submit(cmd.Hangup(cid))

    def toggle_hold(self, call_id: str | None = None) -> None:
        c = self._get(call_id)
        if c is None:
            return
        self._link.submit(cmd.Resume(c.call_id) if c.held_local else cmd.Hold(c.call_id))

    def toggle_mute(self, call_id: str | None = None) -> None:
        c = self._get(call_id)
        if c is not None:
            self._link.submit(cmd.SetMute(c.call_id, not c.muted))
            self._update(c.call_id, muted=not c.muted)

    def send_dtmf(self, digits: str, call_id: str | None = None) -> None:
        c = self._get(call_id)
        if c is not None and digits:
            method = self._dtmf_method_of(c.account_id)
            self._link.submit(cmd.SendDtmf(c.call_id, digits, "info" if method == "info" else "rfc4733"))

    def switch_to(self, call_id: str) -> None:
        """Make ``call_id`` the call on screen: resume it and hold the others."""
        c = self._calls.get(call_id)
        if c is None:
            return
        if c.is_ringing_in:
            self.answer(call_id)
            return
        self._hold_others(call_id)
        if c.held_local:
            self._link.submit(cmd.Resume(call_id))
        self._active = call_id
        self.changed.emit()

    def blind_transfer(self, target: str, call_id: str | None = None) -> None:
        c = self._get(call_id)
        if c is not None and target.strip():
            self._update(c.call_id, transfer_status="pending")
            self._link.submit(cmd.BlindTransfer(c.call_id, target.strip()))

    def start_consult(self, target: str, call_id: str | None = None) -> None:
        """Attended transfer, step 1: hold the caller and call the colleague."""
        c = self._get(call_id)
        if c is not None:
            self.dial(c.account_id, target, consult_for=c.call_id)

    def consult_of(self, call_id: str) -> CallItem | None:
        return next((x for x in self._calls.values() if x.consult_for == call_id), None)

    def complete_transfer(self, consult_call_id: str | None = None) -> None:
        """Attended transfer, step 2: connect the held caller to the consulted colleague."""
        consult = self._get(consult_call_id)
        if consult is None or consult.consult_for is None:
            return
        self._update(consult.consult_for, transfer_status="pending")
        self._link.submit(cmd.AttendedTransfer(consult.consult_for, consult.call_id))

    def cancel_consult(self, consult_call_id: str | None = None) -> None:
        consult = self._get(consult_call_id)
        if consult is None or consult.consult_for is None:
            return
        original = consult.consult_for
        self._link.submit(cmd.Hangup(consult.call_id))
        if original in self._calls:
            self._active = original
            self._link.submit(cmd.Resume(original))
        self.changed.emit()

    def add_call(self, target: str, hotline: str | None = None) -> None:
        c = self.active_call()
        account = c.account_id if c else next(iter(self._calls.values())).account_id if self._calls else None
        if account is not None:
            self.dial(account, target, hotline)

    def can_merge(self) -> bool:
        return sum(1 for c in self._calls.values() if c.is_connected) >= 2

    def merge_all(self) -> None:
        ids = [c.call_id for c in self._calls.values() if c.is_connected]
        if len(ids) < 2:
            return

        def merged(_r: object) -> None:
            for cid in ids:
                self._update(cid, in_conference=True, emit=False)
            self.changed.emit()

        for cid in ids:
            if self._calls[cid].held_local:
                self._link.submit(cmd.Resume(cid))
        self._link.submit(cmd.MergeConference(tuple(ids)), on_done=merged)

    def toggle_recording(self, call_id: str | None = None) -> None:
        c = self._get(call_id)
        if c is None:
            return
        if c.recording:
            self._link.submit(cmd.StopRecording(c.call_id))
            return
        path = self._recording_path(c)
        self._update(c.call_id, recording_path=str(path))
        self._link.submit(cmd.StartRecording(c.call_id, str(path)))

    def refresh_quality(self) -> None:
        for call in list(self._calls.values()):
            if call.is_connected:
                self._link.submit(
                    cmd.GetCallStats(call.call_id),
                    on_done=lambda s, cid=call.call_id: self._update(cid, mos=s.mos, stats=s),
                )

    # ------------------------------------------------------------------ events

    def handle(self, event: object) -> None:
        if isinstance(event, IncomingCall):
            self._on_incoming(event)
        elif isinstance(event, CallStateChanged):
            self._on_state(event)
        elif isinstance(event, CallMediaChanged):
            self._update(
                event.call_id, held_local=event.held_local, held_remote=event.held_remote, muted=event.muted
            )
        elif isinstance(event, RecordingChanged):
            self._update(event.call_id, recording=event.recording, recording_path=event.path or None)
        elif isinstance(event, TransferProgress):
            status = (
                "done"
                if event.final and 200 <= event.code < 300
                else ("failed" if event.final else "pending")
            )
            self._update(event.call_id, transfer_status=status)

    def _on_incoming(self, ev: IncomingCall) -> None:
        number = user_part(ev.remote_uri)
        name = self._resolve(number) or ev.remote_name
        at = None if ev.auto_answer_in is None else self._clock() + ev.auto_answer_in
        self._calls[ev.call_id] = CallItem(
            call_id=ev.call_id,
            account_id=ev.account_id,
            direction="incoming",
            remote_uri=ev.remote_uri,
            number=number,
            name=name,
            state="ringing",
            auto_answer_in=None if at is None else math.ceil(at - self._clock()),
            auto_answer_at=at,
            started=self._wall(),
            queue_call=QueueCall.from_headers(ev.headers),
            rang_at=self._clock(),
        )
        if self._active is None:
            self._active = ev.call_id
        self._sync_timer()
        self.incomingCall.emit(ev.call_id)
        self.changed.emit()

    def _on_state(self, ev: CallStateChanged) -> None:
        c = self._calls.get(ev.call_id)
        if c is None:
            if ev.state == ENDED:
                return
            number = user_part(ev.remote_uri)
            c = CallItem(
                call_id=ev.call_id,
                account_id=ev.account_id,
                direction=ev.direction,
                remote_uri=ev.remote_uri,
                number=number,
                name=self._resolve(number) or "",
                started=self._wall(),
            )
        changes: dict[str, object] = {"state": ev.state, "code": ev.code, "reason": ev.reason}
        if ev.state == "confirmed" and c.connected_at is None:
            changes["connected_at"] = self._clock() - ev.duration_s
            changes["auto_answer_in"] = None
            changes["auto_answer_at"] = None
            changes["answered"] = self._wall() - ev.duration_s
            # The clock ticks from the answer: 00:01 shows a second after it, not up to two (a stale phase).
            self._tick.start()
        c = replace(c, **changes)  # type: ignore[arg-type]
        if ev.state == ENDED:
            self._calls.pop(ev.call_id, None)
            if c.direction == "incoming" and c.connected_at is None:
                self.incomingGone.emit(ev.call_id)
            if self._active == ev.call_id:
                self._active = self._next_active(c)
            self._sync_timer()
            self.callEnded.emit(c)
        else:
            self._calls[ev.call_id] = c
            if ev.state == "confirmed" and c.direction == "incoming":
                self.incomingGone.emit(ev.call_id)
        self.changed.emit()

    def _next_active(self, ended: CallItem) -> str | None:
        if ended.consult_for and ended.consult_for in self._calls:
            return ended.consult_for
        return next(iter(self._calls), None)

    def _on_tick(self) -> None:
        self._ticks += 1
        if self._ticks % QUALITY_EVERY_TICKS == 0:
            self.refresh_quality()
        now = self._clock()
        for call in list(self._calls.values()):
            if call.auto_answer_at is not None and call.is_ringing_in:
                # The engine answers at that moment; this only counts down on screen.
                left = max(0, math.ceil(call.auto_answer_at - now))
                self._update(call.call_id, auto_answer_in=left, emit=False)
        self.changed.emit()

    # ------------------------------------------------------------------ helpers

    def _sync_timer(self) -> None:
        if self._calls and not self._tick.isActive():
            self._tick.start()
        elif not self._calls:
            self._tick.stop()

    def _get(self, call_id: str | None) -> CallItem | None:
        return self._calls.get(call_id or self._active or "")

    def _update(self, call_id: str, *, emit: bool = True, **changes: object) -> None:
        c = self._calls.get(call_id)
        if c is None:
            return
        nullable = ("auto_answer_in", "auto_answer_at", "mos")
        changes = {k: v for k, v in changes.items() if v is not None or k in nullable}
        self._calls[call_id] = replace(c, **changes)  # type: ignore[arg-type]
        if emit:
            self.changed.emit()

    def _hold_others(self, keep: str | None) -> None:
        for call in self._calls.values():
            if call.call_id != keep and call.is_connected and not call.held_local and not call.in_conference:
                self._link.submit(cmd.Hold(call.call_id))

    def _recording_path(self, c: CallItem) -> Path:
        base = self._recordings or Path.cwd()
        base.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        safe = "".join(ch for ch in c.number if ch.isalnum()) or "call"
        return base / f"{stamp}-{safe}.wav"
