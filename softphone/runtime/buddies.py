"""Colleagues as pjsua2 Buddies: the presence we watch and the chat messages (SIP MESSAGE) we exchange."""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque

import pjsua2 as pj

from softphone import presence
from softphone.events import MessageReceived, MessageStatus, PresenceChanged
from softphone.pj_account import PjAccount, PjBuddy
from softphone.runtime.accounts import Accounts
from softphone.runtime.context import EngineContext
from softphone.runtime.sip_text import bare_uri, sip_date, split_name_addr, target_uri

log = logging.getLogger("softphone.engine")


class Buddies:
    def __init__(self, ctx: EngineContext, accounts: Accounts) -> None:
        self.ctx = ctx
        self.accounts = accounts
        self.owner: object = None  # the Runtime PjBuddy callbacks go to (set by Runtime)
        self.buddies: dict[tuple[str, str], PjBuddy] = {}
        self.presence_seen: dict[tuple[str, str], tuple[str, str]] = {}
        self.pending_messages: dict[tuple[str, str], deque[str]] = {}

    def _buddy(self, account_id: str, uri: str) -> PjBuddy:
        entry = self.accounts.get(account_id)
        key = (account_id, uri)
        b = self.buddies.get(key)
        if b is None:
            b = PjBuddy(self.owner, account_id, uri)
            cfg = pj.BuddyConfig()
            cfg.uri = uri
            cfg.subscribe = False
            b.create(entry.account, cfg)
            self.buddies[key] = b
        return b

    def drop_account(self, account_id: str) -> None:
        for key in [k for k in self.buddies if k[0] == account_id]:
            self.buddies.pop(key)

    # ------------------------------------------------------------------ messages

    def send_message(self, account_id: str, to_uri: str, text: str) -> str:
        uri = target_uri(self.accounts.get(account_id).config, to_uri)
        buddy = self._buddy(account_id, uri)
        message_id = uuid.uuid4().hex
        pending = self.pending_messages.setdefault((account_id, bare_uri(uri)), deque())
        pending.append(message_id)
        prm = pj.SendInstantMessageParam()
        prm.content = text
        prm.contentType = "text/plain"
        try:
            buddy.sendInstantMessage(prm)
        except pj.Error as exc:
            # Same outcome as a failed transaction: one MessageStatus with an error code.
            pending.remove(message_id)
            reason = exc.reason or "Cannot send"
            self.ctx.post(lambda: self.ctx.emit(MessageStatus(message_id, 503, reason)))
        return message_id

    def on_instant_message(self, acc: PjAccount, prm: pj.OnInstantMessageParam) -> None:
        sender = split_name_addr(prm.fromUri)[1]
        # The sender's Date, not ours: the PBX may deliver a stored message hours after it was sent.
        sent = sip_date(prm.rdata.wholeMsg)
        date = sent if sent is not None else time.time()
        self.ctx.emit(MessageReceived(acc.account_id, sender, prm.msgBody, prm.contentType, date))

    def on_instant_message_status(self, acc: PjAccount, prm: pj.OnInstantMessageStatusParam) -> None:
        q = self.pending_messages.get((acc.account_id, bare_uri(prm.toUri)))
        if not q:
            q = next((v for (a, _), v in self.pending_messages.items() if a == acc.account_id and v), None)
        if not q:
            log.info("MESSAGE status %s for unknown message to %s", prm.code, prm.toUri)
            return
        self.ctx.emit(MessageStatus(q.popleft(), int(prm.code), prm.reason))

    # ------------------------------------------------------------------ presence we watch

    def subscribe(self, account_id: str, uri: str) -> None:
        full = target_uri(self.accounts.get(account_id).config, uri)
        self._buddy(account_id, full).subscribePresence(True)

    def unsubscribe(self, account_id: str, uri: str) -> None:
        full = target_uri(self.accounts.get(account_id).config, uri)
        b = self.buddies.pop((account_id, full), None)
        if b is not None:
            b.subscribePresence(False)
            self.ctx.graveyard.append(b)

    def on_buddy_state(self, b: PjBuddy) -> None:
        info = b.getInfo()
        status, note = presence.from_pj(info.presStatus)
        key = (b.account_id, b.uri)
        if self.presence_seen.get(key) == (status, note):
            return
        self.presence_seen[key] = (status, note)
        self.ctx.emit(PresenceChanged(b.account_id, b.uri, status, note))

    def clear(self) -> None:
        self.buddies.clear()
        self.pending_messages.clear()
