"""Engine-thread state: the pjsua2 Endpoint and every pjsua2 object, in components that each own theirs.

Only the engine thread touches a :class:`Runtime` (see softphone/engine.py). pjsua2 callbacks arrive through
the ``Pj*`` subclasses (softphone/pj_account.py, pj_call.py) and go straight to the component that owns the
object; the few that arrive on another thread (DTMF from the media thread) are re-queued with ``post``.

Components (one job each):

* ``stack`` (:class:`SipStack`): the Endpoint, transports, codec priorities, ``libDestroy``;
* ``sound`` (:class:`Sound`): microphone/speaker media, devices, mic meter, ringtone and ringback;
* ``accounts`` (:class:`Accounts`): registration and the presence each account publishes;
* ``buddies`` (:class:`Buddies`): presence we watch and chat messages;
* ``calls`` (:class:`Calls`): call control, DND, auto-answer, transfer; its ``routing``
  (:class:`AudioRouting`) owns the conference bridge links, conferences, injected sources and recordings.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from softphone.config import EngineConfig
from softphone.events import EngineEvent
from softphone.pj_account import PjAccount
from softphone.runtime.accounts import Accounts
from softphone.runtime.buddies import Buddies
from softphone.runtime.calls import Calls
from softphone.runtime.context import EngineContext
from softphone.runtime.errors import EngineError
from softphone.runtime.sound import Sound
from softphone.runtime.stack import SipStack
from softphone.runtime.timers import Timers

__all__ = ["EngineError", "Runtime"]


class Runtime:
    def __init__(
        self,
        config: EngineConfig,
        emit: Callable[[EngineEvent], None],
        post: Callable[[Callable[[], None]], None],
        clock: Callable[[], float],
    ) -> None:
        self.ctx = EngineContext(config, emit, post, clock, Timers(clock))
        self.stack = SipStack(self.ctx)
        self.sound = Sound(self.ctx)
        self.accounts = Accounts(self.ctx, self.stack, PjAccount)
        self.buddies = Buddies(self.ctx, self.accounts)
        self.calls = Calls(self.ctx, self.stack, self.accounts, self.sound)
        self.accounts.owner = self.buddies.owner = self.calls.owner = self

    @property
    def busy(self) -> bool:
        return bool(self.calls.entries)

    def start(self) -> None:
        """Create and start the Endpoint; on failure tear down what exists and raise EngineError.

        The failure is re-raised only after teardown, from a fresh exception: the original traceback holds
        the frame that holds the Endpoint, and a second Endpoint cannot be created while it lives.
        """
        import logging

        import pjsua2 as pj

        try:
            self.stack.start()
            assert self.stack.ep is not None
            self.sound.open(self.stack.ep)
            return
        except pj.Error as exc:
            message = f"{exc.title}: {exc.reason} ({exc.status})"
        except Exception as exc:
            logging.getLogger("softphone.engine").exception("engine start failed")
            message = f"{type(exc).__name__}: {exc}"
        self.shutdown()
        raise EngineError(message)

    def remove_account(self, account_id: str) -> None:
        self.accounts.get(account_id)
        self.buddies.drop_account(account_id)
        self.accounts.remove(account_id)

    def pump(self, ms: int) -> None:
        self.stack.pump(ms)
        now = self.ctx.clock()
        self.sound.poll(now)
        self.ctx.timers.run_due(now)
        self.calls.routing.pump()
        self.ctx.graveyard.sweep()

    def shutdown(self) -> None:
        """Ordered teardown; see the engine module docstring.

        Every step lives in its own method so that no local variable of this frame still holds a pjsua2
        object when ``libDestroy`` runs (a Call deleted after libDestroy aborts the process).
        """
        ep = self.stack.ep
        if ep is None:
            return
        self.ctx.timers.clear()
        routing = self.calls.routing
        routing.stop_all_recordings()
        self.calls.hang_up_all(ep)
        routing.drop_all()
        self.buddies.clear()
        gc.collect()
        self.accounts.shut_down_all(ep)
        self.calls.entries.clear()
        self.sound.close()
        ep.libHandleEvents(50)  # the conference clock applies the last disconnects (see context.Graveyard)
        routing.taps.clear()
        self.ctx.graveyard.clear()
        del ep, routing
        self.stack.destroy()
