"""The agent's queues: which they serve, logged in or not, paused (with a reason) or not, their wrap-up
counting down with "ready now"; and, for supervisors, the live queue board.

Theory of operation: the server owns every state (a desk phone's feature codes change the same rows), so
this model only mirrors ``GET /me/queues``: it polls every ``poll_ms`` (5 s) while signed in and after
every command takes the list the server answers with.  The wrap-up's seconds left come from the server
and count down locally between polls (``clock``).  The board is polled at the same pace while shown.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QTimer, Signal

from softphone import callcenter_api as api
from softphone.callcenter_api import BoardQueue, MyQueue
from softphone.provisioning import ApiError, ProvisioningClient
from softphone.tasks import TaskRunner

log = logging.getLogger(__name__)
T = TypeVar("T")
ClientSource = Callable[[], ProvisioningClient | None]
COMPANY_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class QueuesViewModel(QObject):
    changed = Signal()
    boardChanged = Signal()

    def __init__(
        self,
        client: ClientSource,
        *,
        is_supervisor: Callable[[], bool] = lambda: False,
        poll_ms: int = 5000,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._client = client
        self._is_supervisor = is_supervisor
        self._clock = clock
        self._wall = wall_clock
        self._runner = TaskRunner(lambda exc: self._fail("unexpected", str(exc)))
        self.queues: list[MyQueue] = []
        self.board: list[BoardQueue] = []
        self.board_wanted = False  # the board is on screen
        self.error = ""  # an error code, worded by the view
        self.error_detail = ""
        self._wrapup_until: float | None = None  # clock() when the wrap-up ends
        self._sent = 0  # requests started, numbered
        self._shown = 0  # the number of the request whose answer is shown
        self._commands = 0  # commands in flight
        self._settled = 0  # requests started before the last command answered
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self.refresh)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._on_tick)

    # ------------------------------------------------------------------ what the view shows

    @property
    def available(self) -> bool:
        """The panel has something to show: signed in to a server that lists queues for us."""
        return bool(self.queues)

    @property
    def supervisor(self) -> bool:
        return self._is_supervisor()

    @property
    def wrapup_left(self) -> int | None:
        """Whole seconds of wrap-up left (None: not in wrap-up)."""
        if self._wrapup_until is None:
            return None
        left = self._wrapup_until - self._clock()
        return max(0, int(left + 0.999)) if left > 0 else None

    @property
    def all_logged_in(self) -> bool:
        return bool(self.queues) and all(q.logged_in for q in self.queues)

    @property
    def paused(self) -> bool:
        """Paused in every queue I am logged in to (at least one)."""
        active = [q for q in self.queues if q.logged_in]
        return bool(active) and all(q.paused for q in active)

    @property
    def pause_reason(self) -> str:
        return next((q.pause_reason for q in self.queues if q.logged_in and q.paused), "")

    def queue_name(self, queue_id: int) -> str | None:
        return next((q.name for q in self.queues if q.queue_id == queue_id), None)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Signed in: list the queues now, then keep them current."""
        if not self._poll.isActive():
            self._poll.start()
        self.refresh()

    def stop(self) -> None:
        self._poll.stop()
        self._tick.stop()
        self._runner.cancel_all()
        self.queues, self.board, self._wrapup_until = [], [], None
        self.changed.emit()
        self.boardChanged.emit()

    def show_board(self, shown: bool) -> None:
        self.board_wanted = shown
        if shown:
            self.refresh_board()

    # ------------------------------------------------------------------ commands

    def refresh(self) -> None:
        self._runner.spawn(self.refresh_async())
        if self.board_wanted:
            self.refresh_board()

    async def refresh_async(self) -> bool:
        return await self._apply(api.my_queues, quiet=True)

    def log_in(self, queue_id: int | None = None) -> None:
        self._runner.spawn(self.set_state_async(queue_id, logged_in=True))

    def log_out(self, queue_id: int | None = None) -> None:
        self._runner.spawn(self.set_state_async(queue_id, logged_in=False))

    def pause(self, reason: str, queue_id: int | None = None) -> None:
        self._runner.spawn(self.set_state_async(queue_id, paused=True, pause_reason=reason))

    def unpause(self, queue_id: int | None = None) -> None:
        self._runner.spawn(self.set_state_async(queue_id, paused=False))

    async def set_state_async(
        self,
        queue_id: int | None,
        *,
        logged_in: bool | None = None,
        paused: bool | None = None,
        pause_reason: str | None = None,
    ) -> bool:
        if pause_reason is not None and pause_reason not in api.PAUSE_REASONS:
            self._fail("bad_pause_reason", pause_reason)
            return False

        async def call(client: ProvisioningClient) -> list[MyQueue]:
            return await api.set_queue_state(
                client, queue_id=queue_id, logged_in=logged_in, paused=paused, pause_reason=pause_reason
            )

        return await self._apply(call)

    def ready_now(self) -> None:
        self._runner.spawn(self.ready_now_async())

    async def ready_now_async(self) -> bool:
        return await self._apply(api.ready_now)

    def refresh_board(self) -> None:
        self._runner.spawn(self.refresh_board_async())

    async def refresh_board_async(self) -> bool:
        if not self.supervisor:
            return False
        today = dt.datetime.fromtimestamp(self._wall(), COMPANY_ZONE).date().isoformat()
        board = await self._server(lambda c: api.board(c, today=today), quiet=True)
        if board is None:
            return False
        self.board = board
        self.boardChanged.emit()
        return True

    # ------------------------------------------------------------------ plumbing

    async def _apply(
        self, call: Callable[[ProvisioningClient], Awaitable[list[MyQueue]]], *, quiet: bool = False
    ) -> bool:
        self._sent += 1
        number = self._sent
        self._commands += not quiet
        try:
            queues = await self._server(call, quiet=quiet)
        finally:
            self._commands -= not quiet
        if queues is None:
            return False
        if quiet and (self._commands or number <= self._settled):
            # a poll that overlapped a command may have been served before it: the command's answer rules
            return True
        if number < self._shown:  # commands among themselves: the later one's answer stands
            return True
        if not quiet:
            self._settled = self._sent
        self._shown = number
        self.queues = queues
        left = next((q.wrapup_left for q in queues if q.wrapup_left), None)
        self._wrapup_until = None if left is None else self._clock() + left
        if self._wrapup_until is not None and not self._tick.isActive():
            self._tick.start()
        if not quiet:
            self.error = self.error_detail = ""
        self.changed.emit()
        return True

    async def _server(
        self, call: Callable[[ProvisioningClient], Awaitable[T]], *, quiet: bool = False
    ) -> T | None:
        client = self._client()
        if client is None:
            return None
        try:
            return await call(client)
        except ApiError as exc:
            if quiet:
                log.warning("queue refresh failed: %s", exc)
            else:
                self._fail(exc.code or "network", exc.message)
            return None

    def _fail(self, code: str, detail: str) -> None:
        self.error, self.error_detail = code, detail
        self.changed.emit()

    def _on_tick(self) -> None:
        if self.wrapup_left is None:
            self._tick.stop()
            self._wrapup_until = None
        self.changed.emit()
