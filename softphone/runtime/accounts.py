"""SIP accounts on the Endpoint: registration, its state, and the presence status each one publishes."""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass

import pjsua2 as pj

from softphone import presence
from softphone.config import AccountConfig
from softphone.events import RegistrationChanged, RegistrationState, VoicemailWaiting
from softphone.pj_account import PjAccount
from softphone.runtime.context import EngineContext
from softphone.runtime.errors import EngineError
from softphone.runtime.sip_text import host_uri, message_summary
from softphone.runtime.stack import SipStack

log = logging.getLogger("softphone.engine")

_SRTP = {
    "off": pj.PJMEDIA_SRTP_DISABLED,
    "optional": pj.PJMEDIA_SRTP_OPTIONAL,
    "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
}


@dataclass(eq=False)
class AccountEntry:
    config: AccountConfig
    account: PjAccount
    reg_state: RegistrationState = "unregistered"
    # What the user chose to show (publish_presence); re-published after every (re-)registration.
    presence: tuple[str, str] = ("available", "")


class Accounts:
    def __init__(self, ctx: EngineContext, stack: SipStack, make_account: type[PjAccount]) -> None:
        self.ctx = ctx
        self.stack = stack
        self._make = make_account
        self.entries: dict[str, AccountEntry] = {}
        self.owner: object = None  # the Runtime PjAccount callbacks go to (set by Runtime)

    def get(self, account_id: str) -> AccountEntry:
        try:
            return self.entries[account_id]
        except KeyError:
            raise EngineError(f"unknown account {account_id!r}") from None

    def _pj_config(self, a: AccountConfig) -> pj.AccountConfig:
        cfg = pj.AccountConfig()
        tp = "" if a.transport == "udp" else f";transport={a.transport}"
        uri = f"sip:{a.sip_username}@{a.sip_domain}"
        cfg.idUri = f'"{a.display_name}" <{uri}>' if a.display_name else uri
        reg = cfg.regConfig
        if a.register:
            reg.registrarUri = host_uri(a.registrar or a.sip_domain) + tp
        reg.registerOnAdd = a.register
        reg.timeoutSec = a.register_expires
        reg.retryIntervalSec = a.reg_retry_interval_s
        reg.firstRetryIntervalSec = a.reg_first_retry_s
        reg.randomRetryIntervalSec = 1
        reg.dropCallsOnFail = False
        # A registering account PUBLISHes its status (RFC 3903) to the PBX, the presence agent that NOTIFYs
        # colleagues; pjsua unpublishes on account removal. Direct-IP accounts have no presence server:
        # their status goes out only in NOTIFYs to peers that SUBSCRIBE to them directly.
        cfg.presConfig.publishEnabled = a.register
        # Without an explicit proxy, a registrar other than the domain also routes calls, MESSAGEs and
        # SUBSCRIBEs: the SIP domain of a PBX (demo.local) usually does not resolve.
        proxy = a.proxy or (a.registrar if a.register and a.registrar else None)
        if proxy:
            cfg.sipConfig.proxies.append(host_uri(proxy) + ";lr" + tp)
        if a.sip_password:
            cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", a.sip_username, 0, a.sip_password))
        if a.register and a.transport in self.stack.transport_ids:
            # Registering accounts stick to their transport (the Contact must match); a direct-IP account
            # lets pjsua pick per target (";transport=tcp" URIs).
            cfg.sipConfig.transportId = self.stack.transport_ids[a.transport]
        cfg.mediaConfig.srtpUse = _SRTP[a.srtp]
        cfg.mediaConfig.srtpSecureSignaling = 0
        cfg.natConfig.iceEnabled = False
        cfg.natConfig.sipStunUse = pj.PJSUA_STUN_USE_DISABLED
        cfg.natConfig.mediaStunUse = pj.PJSUA_STUN_USE_DISABLED
        cfg.mediaConfig.transportConfig.boundAddress = self.ctx.config.bind_address
        cfg.mediaConfig.transportConfig.port = self.ctx.config.rtp_port
        return cfg

    def add(self, a: AccountConfig) -> None:
        if a.account_id in self.entries:
            raise EngineError(f"account {a.account_id!r} exists")
        acc = self._make(self.owner, a.account_id)
        self.entries[a.account_id] = AccountEntry(a, acc)
        try:
            acc.create(self._pj_config(a), len(self.entries) == 1)
        except pj.Error as exc:
            del self.entries[a.account_id]
            raise EngineError(f"cannot add account {a.account_id}: {exc.info()}") from exc

    def modify(self, a: AccountConfig) -> None:
        entry = self.get(a.account_id)
        entry.config = a
        entry.account.modify(self._pj_config(a))

    def remove(self, account_id: str) -> None:
        entry = self.get(account_id)
        gc.collect()
        entry.account.shutdown()
        del self.entries[account_id]
        self.ctx.graveyard.append(entry)

    def handle_network_change(self) -> None:
        """The OS reported a new network: re-register and refresh calls (pjsua)."""
        assert self.stack.ep is not None
        prm = pj.IpChangeParam()
        prm.restartListener = False  # we bind loopback/fixed addresses; only re-register and update calls
        self.stack.ep.handleIpChange(prm)

    # ------------------------------------------------------------------ presence we publish

    def publish_presence(self, account_id: str, status: str, note: str) -> None:
        entry = self.get(account_id)
        presence.to_pj(status, note)  # validates before anything is remembered
        entry.presence = (status, note)
        self._publish(entry)

    def _publish(self, entry: AccountEntry) -> None:
        """Send the account's status: a PUBLISH to the PBX when registering, NOTIFYs to direct watchers."""
        try:
            entry.account.setOnlineStatus(presence.to_pj(*entry.presence))
        except pj.Error as exc:
            log.warning("publishing presence of %s: %s", entry.config.account_id, exc.info())

    # ------------------------------------------------------------------ pjsua2 callbacks

    def on_reg_started(self, acc: PjAccount, renew: bool) -> None:
        entry = self.entries.get(acc.account_id)
        if entry is not None and renew and entry.reg_state != "registered":
            entry.reg_state = "registering"
            self.ctx.emit(RegistrationChanged(acc.account_id, "registering", 0, ""))

    def on_reg_state(self, acc: PjAccount, code: int, reason: str, expiration: int) -> None:
        entry = self.entries.get(acc.account_id)
        state: RegistrationState = (
            ("registered" if expiration > 0 else "unregistered") if code // 100 == 2 else "failed"
        )
        if entry is not None:
            entry.reg_state = state
            if state == "registered" and entry.config.register:
                # Every successful REGISTER (first, refresh, after a failure or network change) re-sends the
                # status: a restarted PBX forgot what we published, and pjsua alone would only refresh its
                # publication when that expires. One PUBLISH per registration interval is cheap.
                self._publish(entry)
        self.ctx.emit(RegistrationChanged(acc.account_id, state, int(code), reason))

    def on_mwi_info(self, acc: PjAccount, whole_msg: str) -> None:
        counts = message_summary(whole_msg)
        if counts is not None:
            self.ctx.emit(VoicemailWaiting(acc.account_id, *counts))

    # ------------------------------------------------------------------ teardown

    def shut_down_all(self, ep: pj.Endpoint) -> None:
        registered = any(a.reg_state in ("registered", "registering") for a in self.entries.values())
        for a in self.entries.values():
            try:
                a.account.shutdown()
            except pj.Error as exc:
                log.warning("account shutdown: %s", exc.info())
        if registered:
            # Let the un-REGISTERs go out and be answered (libDestroy no longer receives).
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline:
                ep.libHandleEvents(20)
        self.entries.clear()
