"""Work a request starts but must not wait for (an e-mail to a slow SMTP server), run after the response.

Tasks are kept until they finish (an unreferenced asyncio task may be garbage-collected mid-flight), their
failures are logged rather than lost, and `drain()` lets shutdown (and tests) wait for what is pending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWork:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=what)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background %s failed", task.get_name(), exc_info=task.exception())

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the pending work (started on this event loop), at most `timeout` seconds."""
        loop = asyncio.get_running_loop()
        pending = [t for t in self._tasks if t.get_loop() is loop]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
