"""pjsua2 ``Account`` and ``Buddy`` subclasses forwarding callbacks to the engine-thread components."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pjsua2 as pj

from softphone.pj_call import guarded

if TYPE_CHECKING:
    from softphone.runtime import Runtime


class PjAccount(pj.Account):
    def __init__(self, runtime: Runtime, account_id: str) -> None:
        super().__init__()
        self.runtime = runtime
        self.account_id = account_id

    def onRegStarted(self, prm: pj.OnRegStartedParam) -> None:
        guarded(self.runtime.accounts.on_reg_started, self, bool(prm.renew))

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        guarded(self.runtime.accounts.on_reg_state, self, prm.code, prm.reason, prm.expiration)

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        guarded(self.runtime.calls.on_incoming_call, self, prm)

    def onMwiInfo(self, prm: pj.OnMwiInfoParam) -> None:
        guarded(self.runtime.accounts.on_mwi_info, self, prm.rdata.wholeMsg)

    def onInstantMessage(self, prm: pj.OnInstantMessageParam) -> None:
        guarded(self.runtime.buddies.on_instant_message, self, prm)

    def onInstantMessageStatus(self, prm: pj.OnInstantMessageStatusParam) -> None:
        guarded(self.runtime.buddies.on_instant_message_status, self, prm)


class PjBuddy(pj.Buddy):
    def __init__(self, runtime: Runtime, account_id: str, uri: str) -> None:
        super().__init__()
        self.runtime = runtime
        self.account_id = account_id
        self.uri = uri

    def onBuddyState(self) -> None:
        guarded(self.runtime.buddies.on_buddy_state, self)

    def onBuddyEvSubState(self, prm: pj.OnBuddyEvSubStateParam) -> None:
        # Handled here, in Python: letting SWIG fall through to the C++ base method (empty) crashed once in
        # the UI integration run (a second Endpoint in the same process), inside that base call.
        del prm
