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

Public methods are thread-safe: they enqueue a command and return a ``concurrent.futures.Future`` resolved
on the engine thread (``await asyncio.wrap_future(f)`` from asyncio, ``f.result(timeout)`` elsewhere).
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
from typing import Any, Literal, TypeVar

import pjsua2 as pj

from softphone.config import AccountConfig, EngineConfig
from softphone.events import CallStats, EngineEvent, EngineStateChanged
from softphone.runtime import EngineError, Runtime

log = logging.getLogger(__name__)

T = TypeVar("T")
DtmfMethod = Literal["rfc4733", "info"]

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
        self._accounts: dict[str, AccountConfig] = {}  # re-added by restart()
        self._dnd = False
        self._auto_answer: tuple[bool, float] = (False, 0.0)
        self._mic_meter = False
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
            for acc in list(self._accounts.values()):
                rt.add_account(acc)
            rt.dnd = self._dnd
            rt.set_auto_answer(*self._auto_answer)
            rt.mic_meter_wanted = self._mic_meter
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
                busy = rt.calls or time.monotonic() - last_command < _IDLE_AFTER_S
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

    def local_sip_port(self, transport: str = "udp") -> concurrent.futures.Future[int]:
        """The bound local port of a transport (useful with ``sip_port=0``)."""
        return self._submit(lambda rt: rt.local_ports[transport])

    # ------------------------------------------------------------------ accounts

    def add_account(self, account: AccountConfig) -> concurrent.futures.Future[None]:
        def run(rt: Runtime) -> None:
            rt.add_account(account)
            self._accounts[account.account_id] = account

        return self._submit(run)

    def modify_account(self, account: AccountConfig) -> concurrent.futures.Future[None]:
        def run(rt: Runtime) -> None:
            rt.modify_account(account)
            self._accounts[account.account_id] = account

        return self._submit(run)

    def remove_account(self, account_id: str) -> concurrent.futures.Future[None]:
        def run(rt: Runtime) -> None:
            rt.remove_account(account_id)
            self._accounts.pop(account_id, None)

        return self._submit(run)

    def handle_network_change(self) -> concurrent.futures.Future[None]:
        """Call when the network changed (new IP, Wi-Fi switch, resume): re-registers every account and
        refreshes calls now instead of waiting for the next registration refresh."""
        return self._submit(lambda rt: rt.handle_network_change())

    # ------------------------------------------------------------------ calls

    def make_call(
        self, account_id: str, target: str, hotline: str | None = None
    ) -> concurrent.futures.Future[str]:
        """Call ``target`` (a SIP URI, or a number/extension dialled in the account's domain).

        ``hotline`` (a number or ``"adaptive"``) is sent as ``X-Hotline`` (docs/sip-contract.md).
        Resolves to the new call_id.
        """
        return self._submit(lambda rt: rt.make_call(account_id, target, hotline))

    def answer(self, call_id: str) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.answer(call_id))

    def decline(self, call_id: str, code: int = 486) -> concurrent.futures.Future[None]:
        """Reject an incoming call with 486 Busy Here or 603 Decline."""
        return self._submit(lambda rt: rt.decline(call_id, code))

    def hangup(self, call_id: str) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.hangup(call_id))

    def hold(self, call_id: str) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.hold(call_id))

    def resume(self, call_id: str) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.resume(call_id))

    def set_mute(self, call_id: str, muted: bool) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.set_mute(call_id, muted))

    def send_dtmf(
        self, call_id: str, digits: str, method: DtmfMethod = "rfc4733"
    ) -> concurrent.futures.Future[None]:
        """Send DTMF digits; RFC 4733 telephone-events, or SIP INFO (also used as fallback when the
        remote did not negotiate telephone-event)."""
        return self._submit(lambda rt: rt.send_dtmf(call_id, digits, method))

    def call_duration(self, call_id: str) -> concurrent.futures.Future[float]:
        """Seconds since the call was answered (the call timer); 0.0 before that."""
        return self._submit(lambda rt: rt.call_duration(call_id))

    def blind_transfer(self, call_id: str, target: str) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.blind_transfer(call_id, target))

    def attended_transfer(self, call_id: str, consult_call_id: str) -> concurrent.futures.Future[None]:
        """Transfer the party of ``call_id`` to the party of ``consult_call_id`` (REFER with Replaces)."""
        return self._submit(lambda rt: rt.attended_transfer(call_id, consult_call_id))

    def merge_conference(self, call_ids: list[str]) -> concurrent.futures.Future[None]:
        """Local conference: everyone in ``call_ids`` (and the local user) hears everyone."""
        return self._submit(lambda rt: rt.merge_conference(list(call_ids)))

    def split_conference(self, call_id: str) -> concurrent.futures.Future[None]:
        """Take ``call_id`` out of the conference (it stays up, talking only to the local user)."""
        return self._submit(lambda rt: rt.split_conference(call_id))

    def start_recording(self, call_id: str, path: str) -> concurrent.futures.Future[None]:
        """Record both parties mixed into a WAV that stays playable if the process dies."""
        return self._submit(lambda rt: rt.start_recording(call_id, str(path)))

    def stop_recording(self, call_id: str) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.stop_recording(call_id))

    def start_monitor(self, path: str) -> concurrent.futures.Future[None]:
        """Record everything the local user hears from every call into one crash-safe WAV."""
        return self._submit(lambda rt: rt.start_monitor(str(path)))

    def stop_monitor(self) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.stop_monitor())

    def play_wav(self, call_id: str, path: str, loop: bool = False) -> concurrent.futures.Future[None]:
        """Play a WAV file into the call (the remote hears it)."""
        return self._submit(lambda rt: rt.play_wav(call_id, str(path), loop))

    def play_tone(self, call_id: str, freq_hz: float) -> concurrent.futures.Future[None]:
        """Generate a continuous sine tone into the call (tests, diagnostics)."""
        return self._submit(lambda rt: rt.play_tone(call_id, freq_hz))

    def stop_playback(self, call_id: str) -> concurrent.futures.Future[None]:
        """Stop every tone/WAV started with play_tone/play_wav on this call."""
        return self._submit(lambda rt: rt.stop_sources(call_id))

    def set_local_source(
        self, tone_hz: float | None = None, wav_path: str | None = None, loop: bool = True
    ) -> concurrent.futures.Future[None]:
        """Feed a tone and/or WAV into every call as if spoken into the microphone (headless use)."""
        return self._submit(lambda rt: rt.set_local_source(tone_hz, wav_path, loop))

    def call_stats(self, call_id: str) -> concurrent.futures.Future[CallStats]:
        return self._submit(lambda rt: rt.call_stats(call_id))

    # ------------------------------------------------------------------ features

    def set_dnd(self, enabled: bool) -> concurrent.futures.Future[None]:
        """Reject every incoming call with 486 and ``Reason: SIP;cause=486;text="Do Not Disturb"``."""
        self._dnd = enabled

        def run(rt: Runtime) -> None:
            rt.dnd = enabled

        return self._submit(run)

    def set_auto_answer(self, enabled: bool, delay_s: float = 0.0) -> concurrent.futures.Future[None]:
        self._auto_answer = (enabled, delay_s)
        return self._submit(lambda rt: rt.set_auto_answer(enabled, delay_s))

    def send_message(self, account_id: str, to_uri: str, text: str) -> concurrent.futures.Future[str]:
        """Send a SIP MESSAGE; resolves to a message_id echoed later in a MessageStatus event."""
        return self._submit(lambda rt: rt.send_message(account_id, to_uri, text))

    def subscribe_presence(self, account_id: str, uri: str) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.subscribe_presence(account_id, uri))

    def unsubscribe_presence(self, account_id: str, uri: str) -> concurrent.futures.Future[None]:
        return self._submit(lambda rt: rt.unsubscribe_presence(account_id, uri))

    def publish_presence(
        self, account_id: str, status: str, note: str = ""
    ) -> concurrent.futures.Future[None]:
        """status: available | away | busy | dnd | on_the_phone."""
        return self._submit(lambda rt: rt.publish_presence(account_id, status, note))

    # ------------------------------------------------------------------ audio devices

    def set_audio_devices(
        self, input: int | str | None, output: int | str | None, ringer: int | str | None
    ) -> concurrent.futures.Future[None]:
        """Choose microphone, speaker and ringer (index or name; None = default). Problems arrive as
        AudioDeviceProblem events; fails with EngineError when the engine runs with null audio."""
        return self._submit(lambda rt: rt.set_audio_devices(input, output, ringer))

    def set_mic_meter(self, enabled: bool) -> concurrent.futures.Future[None]:
        """MicLevel events (~10 Hz) even without a call, e.g. for a settings page meter. During calls they
        come regardless; either way only while a microphone is open on the sound device bridge."""
        self._mic_meter = enabled

        def run(rt: Runtime) -> None:
            rt.mic_meter_wanted = enabled

        return self._submit(run)

    def list_audio_devices(self) -> concurrent.futures.Future[list[Any]]:
        """softphone.audio.AudioDevice values (empty without PortAudio)."""

        def run(rt: Runtime) -> list[Any]:
            if rt.bridge is not None:
                return list(rt.bridge.list_devices())
            try:
                from softphone import audio as audio_mod
            except ImportError:
                return []
            return list(audio_mod.list_devices())

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
