"""The softphone engine: one pjsua2 Endpoint driven from one dedicated thread.

Theory of operation
-------------------
pjsua2 must be called from the thread that owns the Endpoint. We chose a **dedicated engine thread with a
command queue** (not the Qt main thread pumping ``libHandleEvents`` from a QTimer) because:

* the engine stays Qt-free and the CLI, tests and the desktop app drive it the same way;
* a slow pjsua2 operation (DNS, TLS handshake, teardown pumping) never freezes the UI;
* pjsua runs with ``threadCnt = 0`` so *every* SIP callback is delivered inside our own
  ``libHandleEvents`` call, on the engine thread: no SIP worker threads and no locks around our state.
  Two pjmedia threads remain: the conference-bridge clock runs media port callbacks (kept tiny; see
  recording.py and audio.py) and the media worker reports RTP DTMF digits, which are re-posted to the
  command queue as plain values.

``submit(cmd)`` is thread-safe: it enqueues a typed command (softphone/commands.py) and returns a
``concurrent.futures.Future`` resolved on the engine thread (``await asyncio.wrap_future(f)`` from
asyncio, ``f.result(timeout)`` elsewhere).
Events are delivered by calling ``on_event(event)`` on the engine thread; receivers must not block.

Teardown is ordered (pjmedia aborts otherwise): hang up every call and pump events until they are
disconnected, stop recorders/players, delete buddies, shut down accounts (unregister) and pump briefly,
drop every Python reference to pjsua2 objects, then ``libDestroy``. ``restart()`` = stop + start in one
process, which pjsua2 supports once the old Endpoint is fully destroyed.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pjsua2 as pj

from softphone.commands import AddAccount, Command, ModifyAccount, RemoveAccount, sticky_key
from softphone.config import EngineConfig
from softphone.events import EngineEvent, EngineStateChanged
from softphone.runtime import EngineError, Runtime, dispatch

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long one libHandleEvents call may block waiting for SIP/timer activity. Commands are checked between
# calls, so this bounds command latency: short while calls or commands are active, longer when idle
# (idle process: 1.2 % vs 0.7 % of a core, mostly the null sound clock).
_PUMP_MS = 5
_IDLE_PUMP_MS = 25
_IDLE_AFTER_S = 2.0


class EngineNotRunning(RuntimeError):
    """A command needed the Endpoint but the engine is stopped."""


class Engine:
    """Owns the pjsua2 Endpoint and every pjsua2 object; see the module docstring for threading."""

    def __init__(
        self,
        config: EngineConfig,
        on_event: Callable[[EngineEvent], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._on_event = on_event
        self._clock = clock
        self._commands: queue.SimpleQueue[Callable[[], None] | _Stop] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._runtime: Runtime | None = None  # only touched on the engine thread
        # Settings commands replayed by restart(), keyed by what they set (commands.sticky_key).
        self._sticky: dict[tuple[str, str], Command[Any]] = {}
        self._lock = threading.Lock()
        self._running = False

    # ------------------------------------------------------------------ plumbing

    def _emit(self, event: EngineEvent) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("on_event handler failed for %r", event)

    def _post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the engine thread soon (thread-safe; used by pjsua2 callbacks off-thread)."""
        self._commands.put(fn)

    def _submit(self, fn: Callable[[Runtime], T]) -> concurrent.futures.Future[T]:
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not fut.set_running_or_notify_cancel():
                return
            rt = self._runtime
            if rt is None:
                fut.set_exception(EngineNotRunning("the engine is not running"))
                return
            try:
                fut.set_result(fn(rt))
            except BaseException as exc:
                fut.set_exception(_translate(exc))

        with self._lock:
            if not self._running:
                fut.set_exception(EngineNotRunning("the engine is not running"))
                return fut
            self._commands.put(run)
        return fut

    @property
    def is_running(self) -> bool:
        return self._running

    def on_engine_thread(self) -> bool:
        return threading.current_thread() is self._thread

    # ------------------------------------------------------------------ lifecycle

    @property
    def config(self) -> EngineConfig:
        return self._config

    def start(self) -> concurrent.futures.Future[None]:
        """Create the Endpoint, transports and null/bridge audio on a new engine thread."""
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._lock:
            if self._running:
                fut.set_result(None)
                return fut
            self._running = True
            self._thread = threading.Thread(
                target=self._main, args=(fut,), name="softphone-engine", daemon=True
            )
            self._thread.start()
        return fut

    def stop(self) -> concurrent.futures.Future[None]:
        """Ordered teardown (see module docstring) and end the engine thread. Idempotent."""
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._lock:
            if not self._running:
                fut.set_result(None)
                return fut
            self._running = False
            self._commands.put(_Stop(fut))
        return fut

    def restart(self) -> concurrent.futures.Future[None]:
        """stop() then start() in the same process; accounts added before are re-added."""
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()

        def chain() -> None:
            try:
                self.stop().result()
                thread = self._thread
                if thread is not None and thread is not threading.current_thread():
                    thread.join(timeout=10)
                self.start().result()
                fut.set_result(None)
            except BaseException as exc:
                fut.set_exception(exc)

        threading.Thread(target=chain, name="softphone-engine-restart", daemon=True).start()
        return fut

    def join(self, timeout: float | None = None) -> None:
        """Wait for the engine thread to end after stop()."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _main(self, started: concurrent.futures.Future[None]) -> None:
        self._emit(EngineStateChanged("starting"))
        rt = Runtime(self._config, self._emit, self._post, self._clock)
        failure = ""
        try:
            rt.start()
            for cmd in list(self._sticky.values()):
                if isinstance(cmd, ModifyAccount):
                    cmd = AddAccount(cmd.account)  # a fresh Endpoint has none to modify
                dispatch.run(rt, cmd)
        except Exception as exc:
            log.warning("engine start failed: %s", exc)
            failure = str(_translate(exc))
        if failure:
            # Torn down only now that the exception (whose traceback holds pjsua2 objects) is gone.
            with contextlib.suppress(Exception):
                rt.shutdown()
            with self._lock:
                self._running = False
            self._emit(EngineStateChanged("failed", failure))
            started.set_exception(EngineError(failure))
            self._fail_pending()
            return
        self._runtime = rt
        self._emit(EngineStateChanged("running"))
        started.set_result(None)
        stop: _Stop | None = None
        last_command = time.monotonic()
        while stop is None:
            try:
                while True:
                    cmd = self._commands.get_nowait()
                    last_command = time.monotonic()
                    if isinstance(cmd, _Stop):
                        stop = cmd
                        break
                    cmd()
            except queue.Empty:
                pass
            if stop is None:
                busy = rt.busy or time.monotonic() - last_command < _IDLE_AFTER_S
                try:
                    rt.pump(_PUMP_MS if busy else _IDLE_PUMP_MS)
                except Exception:
                    log.exception("engine pump failed")
        self._emit(EngineStateChanged("stopping"))
        try:
            rt.shutdown()
        except BaseException as exc:
            log.exception("engine teardown failed")
            stop.future.set_exception(exc)
        finally:
            self._runtime = None
        self._fail_pending()
        self._emit(EngineStateChanged("stopped"))
        if not stop.future.done():
            stop.future.set_result(None)

    def _fail_pending(self) -> None:
        while True:
            try:
                cmd = self._commands.get_nowait()
            except queue.Empty:
                return
            if isinstance(cmd, _Stop):
                cmd.future.set_result(None)
            else:
                cmd()  # runtime is None now, so it fails its future with EngineNotRunning

    # ------------------------------------------------------------------ commands

    def submit(self, cmd: Command[T]) -> concurrent.futures.Future[T]:
        """Run ``cmd`` on the engine thread; the future resolves to its result (thread-safe).

        Fails with EngineNotRunning when the engine is stopped, EngineError when pjsua2 refuses it.
        Account, DND, auto-answer, mic-meter and audio-processing settings are kept and re-applied after
        ``restart()``.
        """
        key = sticky_key(cmd)

        def run(rt: Runtime) -> T:
            result = dispatch.run(rt, cmd)
            if key is not None:
                self._sticky[key] = cmd
            elif isinstance(cmd, RemoveAccount):
                self._sticky.pop(("account", cmd.account_id), None)
            return result

        return self._submit(run)


class _Stop:
    def __init__(self, future: concurrent.futures.Future[None]) -> None:
        self.future = future


def _translate(exc: BaseException) -> BaseException:
    """pjsua2's ``Error`` is not an Exception subclass with a readable message; make it one."""
    if isinstance(exc, pj.Error):
        return EngineError(f"{exc.title}: {exc.reason} ({exc.status})")
    return exc


__all__ = ["Engine", "EngineError", "EngineNotRunning"]
