"""The softphone engine: one pjsua2 Endpoint driven from one dedicated thread.

Theory of operation
-------------------
pjsua2 must be called from the thread that owns the Endpoint. We chose a **dedicated engine thread with a
command queue** (not the Qt main thread pumping ``libHandleEvents`` from a QTimer) because:

* the engine stays Qt-free and the CLI, tests and the desktop app drive it the same way;
* a slow pjsua2 operation (DNS, TLS handshake, teardown pumping) never freezes the UI;
* pjsua runs with ``threadCnt = 0`` so *every* SIP callback is delivered inside our own
  ``libHandleEvents`` call, on the engine thread: no pjsua2 worker threads and no locks around our state.
  Only the conference-bridge clock thread runs media port callbacks (kept tiny; see recording.py).

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
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from softphone.config import AccountConfig, EngineConfig
from softphone.events import CallStats, EngineEvent, EngineStateChanged

log = logging.getLogger(__name__)

T = TypeVar("T")
DtmfMethod = Literal["rfc4733", "info"]

# How long one libHandleEvents call may block waiting for SIP/timer activity. Commands are checked between
# calls, so this bounds command latency.
_PUMP_MS = 10


class EngineNotRunning(RuntimeError):
    """A command needed the Endpoint but the engine is stopped."""


class UnknownCall(KeyError):
    """No call with this call_id (it may have ended already)."""


class UnknownAccount(KeyError):
    """No account with this account_id."""


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
        self._commands: queue.Queue[tuple[Callable[[], Any], concurrent.futures.Future[Any]] | None] = (
            queue.Queue()
        )
        self._thread: threading.Thread | None = None
        self._runtime: Any = None  # softphone.runtime.Runtime, only touched on the engine thread
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    @property
    def config(self) -> EngineConfig:
        return self._config

    def start(self) -> concurrent.futures.Future[None]:
        """Create the Endpoint, transports and null/bridge audio on a new engine thread."""
        raise NotImplementedError

    def stop(self) -> concurrent.futures.Future[None]:
        """Ordered teardown (see module docstring) and end the engine thread. Idempotent."""
        raise NotImplementedError

    def restart(self) -> concurrent.futures.Future[None]:
        """stop() then start() in the same process; accounts added before are re-added."""
        raise NotImplementedError

    def local_sip_port(self, transport: str = "udp") -> concurrent.futures.Future[int]:
        """The bound local port of a transport (useful with ``sip_port=0``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ accounts

    def add_account(self, account: AccountConfig) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def modify_account(self, account: AccountConfig) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def remove_account(self, account_id: str) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    # ------------------------------------------------------------------ calls

    def make_call(
        self, account_id: str, target: str, hotline: str | None = None
    ) -> concurrent.futures.Future[str]:
        """Call ``target`` (a SIP URI, or a number/extension dialled in the account's domain).

        ``hotline`` (a number or ``"adaptive"``) is sent as ``X-Hotline`` (docs/sip-contract.md).
        Resolves to the new call_id.
        """
        raise NotImplementedError

    def answer(self, call_id: str) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def decline(self, call_id: str, code: int = 486) -> concurrent.futures.Future[None]:
        """Reject an incoming call with 486 Busy Here or 603 Decline."""
        raise NotImplementedError

    def hangup(self, call_id: str) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def hold(self, call_id: str) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def resume(self, call_id: str) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def set_mute(self, call_id: str, muted: bool) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def send_dtmf(
        self, call_id: str, digits: str, method: DtmfMethod = "rfc4733"
    ) -> concurrent.futures.Future[None]:
        """Send DTMF digits; RFC 4733 telephone-events, or SIP INFO (also used as fallback when the
        remote did not negotiate telephone-event)."""
        raise NotImplementedError

    def blind_transfer(self, call_id: str, target: str) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def attended_transfer(self, call_id: str, consult_call_id: str) -> concurrent.futures.Future[None]:
        """Transfer the party of ``call_id`` to the party of ``consult_call_id`` (REFER with Replaces)."""
        raise NotImplementedError

    def merge_conference(self, call_ids: list[str]) -> concurrent.futures.Future[None]:
        """Local conference: everyone in ``call_ids`` (and the local user) hears everyone."""
        raise NotImplementedError

    def split_conference(self, call_id: str) -> concurrent.futures.Future[None]:
        """Take ``call_id`` out of the conference (it stays up, talking only to the local user)."""
        raise NotImplementedError

    def start_recording(self, call_id: str, path: str) -> concurrent.futures.Future[None]:
        """Record both parties mixed into a WAV that stays playable if the process dies."""
        raise NotImplementedError

    def stop_recording(self, call_id: str) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def play_wav(self, call_id: str, path: str, loop: bool = False) -> concurrent.futures.Future[None]:
        """Play a WAV file into the call (the remote hears it)."""
        raise NotImplementedError

    def play_tone(self, call_id: str, freq_hz: float) -> concurrent.futures.Future[None]:
        """Generate a continuous sine tone into the call (tests, diagnostics)."""
        raise NotImplementedError

    def call_stats(self, call_id: str) -> concurrent.futures.Future[CallStats]:
        raise NotImplementedError

    # ------------------------------------------------------------------ features

    def set_dnd(self, enabled: bool) -> concurrent.futures.Future[None]:
        """Reject every incoming call with 486 and ``Reason: SIP;cause=486;text="Do Not Disturb"``."""
        raise NotImplementedError

    def set_auto_answer(self, enabled: bool, delay_s: float = 0.0) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def send_message(self, account_id: str, to_uri: str, text: str) -> concurrent.futures.Future[str]:
        """Send a SIP MESSAGE; resolves to a message_id echoed later in a MessageStatus event."""
        raise NotImplementedError

    def subscribe_presence(self, account_id: str, uri: str) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def unsubscribe_presence(self, account_id: str, uri: str) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def publish_presence(
        self, account_id: str, status: str, note: str = ""
    ) -> concurrent.futures.Future[None]:
        """status: available | away | busy | dnd | on_the_phone."""
        raise NotImplementedError

    # ------------------------------------------------------------------ audio devices

    def set_audio_devices(
        self, input: int | None, output: int | None, ringer: int | None
    ) -> concurrent.futures.Future[None]:
        raise NotImplementedError

    def list_audio_devices(self) -> concurrent.futures.Future[list[Any]]:
        raise NotImplementedError


__all__ = ["Engine", "EngineNotRunning", "EngineStateChanged", "UnknownAccount", "UnknownCall"]
