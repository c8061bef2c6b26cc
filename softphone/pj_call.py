"""pjsua2 ``Call`` subclass forwarding callbacks to the calls component (engine thread, or the media thread
for DTMF, which the runtime re-queues)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

if TYPE_CHECKING:
    from softphone.runtime import Runtime

log = logging.getLogger("softphone.engine")


def guarded(fn: Callable[..., Any], *args: Any) -> None:
    """Run a callback body; an exception escaping a SWIG director would abort the process."""
    try:
        fn(*args)
    except Exception:
        log.exception("pjsua2 callback %s failed", getattr(fn, "__name__", fn))


class PjCall(pj.Call):
    def __init__(self, runtime: Runtime, account: pj.Account, call_key: str, pj_call_id: int = -1) -> None:
        super().__init__(account, pj_call_id)
        self.runtime = runtime
        self.key = call_key

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        guarded(self.runtime.calls.on_call_state, self)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        guarded(self.runtime.calls.on_call_media_state, self)

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        # Runs on the media thread: hand over plain values only (a queued closure holding this Call
        # could outlive libDestroy, and deleting a Call after that aborts).
        runtime, key, digit = self.runtime, self.key, prm.digit
        runtime.ctx.post(lambda: runtime.calls.on_dtmf(key, digit))

    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:
        guarded(self.runtime.calls.on_transfer_request, self, prm)

    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:
        guarded(self.runtime.calls.on_transfer_status, self, prm)

    def onCallReplaced(self, prm: pj.OnCallReplacedParam) -> None:
        guarded(self.runtime.calls.on_call_replaced, self, prm)
