"""Calls: placing, answering and ending them, hold/mute/DTMF, transfer, DND and auto-answer, media state.

Each call is a :class:`CallEntry` keyed ``c1``, ``c2``... (never pjsua's reused call ids). The call's audio
links are the routing component's business: this component tells it when a call's media port appears,
changes or goes away.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from collections import deque
from dataclasses import dataclass

import pjsua2 as pj

from softphone.call_quality import estimate_mos
from softphone.events import (
    CallDirection,
    CallMediaChanged,
    CallState,
    CallStateChanged,
    CallStats,
    DtmfReceived,
    IncomingCall,
    TransferProgress,
    TransferRequested,
)
from softphone.pj_account import PjAccount
from softphone.pj_call import PjCall
from softphone.runtime.accounts import Accounts
from softphone.runtime.context import EngineContext
from softphone.runtime.errors import EngineError
from softphone.runtime.routing import AudioRouting, CallPort
from softphone.runtime.sip_text import extract_headers, split_name_addr, target_uri
from softphone.runtime.sound import Sound
from softphone.runtime.stack import SipStack

log = logging.getLogger("softphone.engine")

DND_REASON = 'SIP;cause=486;text="Do Not Disturb"'
_CALL_RATE_MAX = 16
_CALL_RATE_WINDOW_S = 0.6
_STATES: dict[int, CallState] = {
    pj.PJSIP_INV_STATE_CALLING: "calling",
    pj.PJSIP_INV_STATE_INCOMING: "ringing",
    pj.PJSIP_INV_STATE_EARLY: "early",
    pj.PJSIP_INV_STATE_CONNECTING: "connecting",
    pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
    pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected",
}


@dataclass(eq=False)
class CallEntry:
    key: str
    call: PjCall
    account_id: str
    direction: CallDirection
    remote_uri: str = ""
    state: CallState = "calling"
    media: pj.AudioMedia | None = None
    media_port: int = -1
    held_local: bool = False
    held_remote: bool = False
    muted: bool = False
    confirmed_at: float | None = None


class Calls:
    def __init__(
        self,
        ctx: EngineContext,
        stack: SipStack,
        accounts: Accounts,
        sound: Sound,
    ) -> None:
        self.ctx = ctx
        self.stack = stack
        self.accounts = accounts
        self.sound = sound
        self.routing = AudioRouting(ctx, sound, self.ports)
        self.entries: dict[str, CallEntry] = {}
        self.owner: object = None  # the Runtime PjCall callbacks go to (set by Runtime)
        self.dnd = False
        self.auto_answer: float | None = None  # delay in seconds, None = off
        self._seq = itertools.count(1)
        self._recent_calls: deque[float] = deque()

    def ports(self) -> list[CallPort]:
        return [
            CallPort(e.key, e.media, e.held_local, e.muted)
            for e in self.entries.values()
            if e.media is not None
        ]

    def get(self, key: str) -> CallEntry:
        try:
            return self.entries[key]
        except KeyError:
            raise EngineError(f"unknown call {key!r}") from None

    def _new_key(self) -> str:
        return f"c{next(self._seq)}"

    def _offer_codecs(self, account_id: str) -> None:
        entry = self.accounts.entries.get(account_id)
        self.stack.apply_codecs(entry.config.codecs if entry is not None else ())

    # ------------------------------------------------------------------ commands

    def make_call(self, account_id: str, target: str, hotline: str | None) -> str:
        entry = self.accounts.get(account_id)
        # pjlib frees a closed socket's ioqueue slot only ~500 ms later and aborts (assert) when its 64 slots
        # run out; each call holds two media sockets. No person dials this fast; scripts get an error.
        now = self.ctx.clock()
        while self._recent_calls and now - self._recent_calls[0] > _CALL_RATE_WINDOW_S:
            self._recent_calls.popleft()
        if len(self._recent_calls) >= _CALL_RATE_MAX:
            raise EngineError(f"more than {_CALL_RATE_MAX} calls in {_CALL_RATE_WINDOW_S} s; slow down")
        self._recent_calls.append(now)
        uri = target_uri(entry.config, target)
        key = self._new_key()
        call = PjCall(self.owner, entry.account, key)
        self.entries[key] = CallEntry(key, call, account_id, "outgoing", uri)
        prm = pj.CallOpParam(True)
        prm.opt.audioCount = 1
        prm.opt.videoCount = 0
        if hotline:
            h = pj.SipHeader()
            h.hName = "X-Hotline"
            h.hValue = hotline
            prm.txOption.headers.append(h)
        self._offer_codecs(account_id)
        try:
            call.makeCall(uri, prm)
        except pj.Error as exc:
            self.entries.pop(key, None)
            raise EngineError(f"cannot call {uri}: {exc.info()}") from exc
        return key

    def answer(self, key: str) -> None:
        e = self.get(key)
        prm = pj.CallOpParam(True)
        prm.statusCode = 200
        prm.opt.audioCount = 1
        prm.opt.videoCount = 0
        e.call.answer(prm)

    def decline(self, key: str, code: int) -> None:
        if code not in (486, 603):
            raise EngineError("decline code must be 486 or 603")
        e = self.get(key)
        prm = pj.CallOpParam()
        prm.statusCode = code
        e.call.hangup(prm)

    def hangup(self, key: str) -> None:
        self.get(key).call.hangup(pj.CallOpParam())

    def hold(self, key: str) -> None:
        e = self.get(key)
        self._offer_codecs(e.account_id)
        e.call.setHold(pj.CallOpParam(True))

    def resume(self, key: str) -> None:
        e = self.get(key)
        prm = pj.CallOpParam(True)
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        prm.opt.audioCount = 1
        prm.opt.videoCount = 0
        self._offer_codecs(e.account_id)
        e.call.reinvite(prm)

    def set_mute(self, key: str, muted: bool) -> None:
        e = self.get(key)
        e.muted = muted
        self.routing.reroute()
        self._emit_media(e)

    def send_dtmf(self, key: str, digits: str, method: str) -> None:
        e = self.get(key)
        use_info = method == "info"
        if not use_info:
            try:
                use_info = e.call.getStreamInfo(0).audTxEventPt < 0
            except pj.Error:
                use_info = True
        prm = pj.CallSendDtmfParam()
        prm.digits = digits
        prm.method = pj.PJSUA_DTMF_METHOD_SIP_INFO if use_info else pj.PJSUA_DTMF_METHOD_RFC2833
        e.call.sendDtmf(prm)

    def duration(self, key: str) -> float:
        e = self.get(key)
        return 0.0 if e.confirmed_at is None else self.ctx.clock() - e.confirmed_at

    def stats(self, key: str) -> CallStats:
        e = self.get(key)
        try:
            si = e.call.getStreamInfo(0)
            ss = e.call.getStreamStat(0)
        except pj.Error as exc:
            raise EngineError(f"call {key} has no media: {exc.info()}") from exc
        rx = ss.rtcp.rxStat
        lost = max(0, rx.loss)
        loss_pct = 100.0 * lost / (rx.pkt + lost) if rx.pkt + lost else 0.0
        jitter_ms = rx.jitterUsec.mean / 1000.0 if rx.jitterUsec.n else 0.0
        rtt_ms = ss.rtcp.rttUsec.mean / 1000.0 if ss.rtcp.rttUsec.n else 0.0
        srtp = _srtp_state(e.call)
        jb = ss.jbuf
        return CallStats(
            call_id=key,
            codec=si.codecName,
            clock_rate=int(si.codecClockRate),
            duration_s=round(self.duration(key), 3),
            rx_packets=int(rx.pkt),
            tx_packets=int(ss.rtcp.txStat.pkt),
            rx_loss_pct=round(loss_pct, 2),
            jitter_ms=round(jitter_ms, 2),
            rtt_ms=round(rtt_ms, 2),
            mos=estimate_mos(si.codecName, rtt_ms, jitter_ms, loss_pct),
            srtp_active=bool(srtp),
            srtp_suite=srtp,
            signalling=self._signalling(e),
            held=e.held_local or e.held_remote,
            jb_delay_ms=int(jb.avgDelayMsec),
            jb_empty=int(jb.empty),
            jb_lost=int(jb.lost),
            jb_discarded=int(jb.discard),
        )

    def _signalling(self, e: CallEntry) -> str:
        entry = self.accounts.entries.get(e.account_id)
        transport = entry.config.transport if entry is not None else "udp"
        if e.remote_uri.startswith("sips:") or ";transport=tls" in e.remote_uri.lower():
            transport = "tls"
        return transport

    def blind_transfer(self, key: str, target: str) -> None:
        e = self.get(key)
        uri = target_uri(self.accounts.get(e.account_id).config, target)
        e.call.xfer(uri, pj.CallOpParam(True))

    def attended_transfer(self, key: str, consult_key: str) -> None:
        e = self.get(key)
        consult = self.get(consult_key)
        e.call.xferReplaces(consult.call, pj.CallOpParam(True))

    def merge_conference(self, keys: tuple[str, ...]) -> None:
        for k in keys:
            self.get(k)
        self.routing.merge_conference(keys)

    def split_conference(self, key: str) -> None:
        self.get(key)
        self.routing.split_conference(key)

    def set_auto_answer(self, enabled: bool, delay_s: float) -> None:
        self.auto_answer = max(0.0, delay_s) if enabled else None

    # ------------------------------------------------------------------ pjsua2 callbacks

    def on_incoming_call(self, acc: PjAccount, prm: pj.OnIncomingCallParam) -> None:
        key = self._new_key()
        call = PjCall(self.owner, acc, key, prm.callId)
        ci = call.getInfo()
        name, uri = split_name_addr(ci.remoteUri)
        e = CallEntry(key, call, acc.account_id, "incoming", uri, state="ringing")
        self.entries[key] = e
        if self.dnd:
            op = pj.CallOpParam()
            op.statusCode = 486
            op.reason = "Busy Here"
            h = pj.SipHeader()
            h.hName = "Reason"
            h.hValue = DND_REASON
            op.txOption.headers.append(h)
            # answer() with a final error code applies txOption to the response; hangup() drops it here.
            call.answer(op)
            return
        headers = extract_headers(prm.rdata.wholeMsg)
        ringing = pj.CallOpParam()
        ringing.statusCode = 180
        call.answer(ringing)
        self.ctx.emit(IncomingCall(key, acc.account_id, uri, name, headers, auto_answer_in=self.auto_answer))
        if self.auto_answer == 0.0:
            self.answer(key)
            return
        self.update_tones()
        if self.auto_answer is not None:
            self.ctx.timers.schedule(self.auto_answer, lambda: self._auto_answer(key))

    def _auto_answer(self, key: str) -> None:
        e = self.entries.get(key)
        if e is not None and e.state in ("ringing", "early"):
            self.answer(key)

    def on_call_state(self, call: PjCall) -> None:
        e = self.entries.get(call.key)
        if e is None:
            return
        ci = call.getInfo()
        state = _STATES.get(ci.state, "calling")
        if state == "early" and (e.direction == "incoming" or ci.lastStatusCode == 180):
            state = "ringing"
        if not e.remote_uri or e.direction == "incoming":
            e.remote_uri = split_name_addr(ci.remoteUri)[1] or e.remote_uri
        if state == "confirmed" and e.confirmed_at is None:
            e.confirmed_at = self.ctx.clock()
        e.state = state
        self.update_tones()
        duration = self.ctx.clock() - e.confirmed_at if e.confirmed_at is not None else 0.0
        self.ctx.emit(
            CallStateChanged(
                e.key, e.account_id, state, int(ci.lastStatusCode), ci.lastReason, e.direction, e.remote_uri,
                round(duration, 3),
            )
        )
        if state == "disconnected":
            e.media = None
            port, e.media_port = e.media_port, -1
            self.entries.pop(e.key, None)
            self.update_tones()
            self.routing.call_ended(e.key, port)
            self.sound.calls_with_media = any(x.media is not None for x in self.entries.values())
            # pjsua still runs code on this Call after the callback returns: drop it on the next pump.
            self.ctx.graveyard.append(e)

    def on_call_media_state(self, call: PjCall) -> None:
        e = self.entries.get(call.key)
        if e is None:
            return
        ci = call.getInfo()
        media = None
        held_local = held_remote = False
        for mi in ci.media:
            if mi.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            if mi.status in (
                pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD, pj.PJSUA_CALL_MEDIA_LOCAL_HOLD
            ):
                # Keep the port while held locally: routing must be able to stop its links.
                with contextlib.suppress(pj.Error):
                    media = call.getAudioMedia(mi.index)
            held_local = mi.status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD
            held_remote = mi.status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD
            break
        new_port = media.getPortId() if media is not None else -1
        if new_port != e.media_port:
            self.routing.purge_port(e.media_port)
        e.media, e.media_port = media, new_port
        e.held_local, e.held_remote = held_local, held_remote
        self.sound.calls_with_media = any(x.media is not None for x in self.entries.values())
        # pjsua may re-create the stream (re-INVITE, codec lock, hold) and with it the bridge port under the
        # same slot number, dropping its links: connect this port's links again even if we made them before
        # (connecting a connected pair is harmless).
        self.routing.reroute(refresh_port=new_port)
        self._emit_media(e)

    def _emit_media(self, e: CallEntry) -> None:
        self.ctx.emit(CallMediaChanged(e.key, e.held_local, e.held_remote, e.muted))

    def on_dtmf(self, key: str, digit: str) -> None:
        if key in self.entries:
            self.ctx.emit(DtmfReceived(key, digit))

    def on_transfer_status(self, call: PjCall, prm: pj.OnCallTransferStatusParam) -> None:
        code = int(prm.statusCode)
        final = bool(prm.finalNotify)
        self.ctx.emit(TransferProgress(call.key, code, prm.reason, final))
        prm.cont = True
        key = call.key
        if final and code // 100 == 2 and key in self.entries:
            # The transferee reached the target: our leg is done (RFC 5589 section 6).
            self.ctx.post(lambda: self._hangup_quietly(key))

    def _hangup_quietly(self, key: str) -> None:
        if key in self.entries:
            try:
                self.hangup(key)
            except pj.Error as exc:
                log.info("hangup after transfer: %s", exc.info())

    def on_transfer_request(self, call: PjCall, prm: pj.OnCallTransferRequestParam) -> None:
        e = self.entries.get(call.key)
        acc = self.accounts.entries.get(e.account_id) if e is not None else None
        if e is None or acc is None:
            prm.statusCode = 603
            return
        key = self._new_key()
        new_call = PjCall(self.owner, acc.account, key)
        self.entries[key] = CallEntry(key, new_call, e.account_id, "outgoing", prm.dstUri)
        prm.newCall = new_call
        prm.statusCode = 202
        self.ctx.emit(TransferRequested(call.key, prm.dstUri))

    def on_call_replaced(self, call: PjCall, prm: pj.OnCallReplacedParam) -> None:
        e = self.entries.get(call.key)
        acc = self.accounts.entries.get(e.account_id) if e is not None else None
        if e is None or acc is None:
            return
        key = self._new_key()
        new_call = PjCall(self.owner, acc.account, key, prm.newCallId)
        prm.newCall = new_call
        name, uri = split_name_addr(new_call.getInfo().remoteUri)
        self.entries[key] = CallEntry(key, new_call, e.account_id, "incoming", uri, state="connecting")
        self.ctx.emit(IncomingCall(key, e.account_id, uri, name, {"replaces": call.key}))

    # ------------------------------------------------------------------ tones

    def update_tones(self) -> None:
        ringing_in = next(
            (e for e in self.entries.values() if e.direction == "incoming" and e.state == "ringing"), None
        )
        ringing_out = any(e.direction == "outgoing" and e.state == "ringing" for e in self.entries.values())
        tone = None
        if ringing_in is not None:
            acc = self.accounts.entries.get(ringing_in.account_id)
            tone = (acc.config.ringtone, acc.config.ring_volume) if acc is not None else ("", 1.0)
        self.sound.update_tones(tone, ringing_out)

    # ------------------------------------------------------------------ teardown

    def hang_up_all(self, ep: pj.Endpoint) -> None:
        try:
            ep.hangupAllCalls()
        except pj.Error as exc:
            log.warning("hangupAllCalls: %s", exc.info())
        deadline = time.monotonic() + self.ctx.config.shutdown_timeout_s
        while self.entries and time.monotonic() < deadline:
            ep.libHandleEvents(20)
        if self.entries:
            log.warning("%d call(s) did not disconnect before teardown", len(self.entries))


def _srtp_state(call: pj.Call) -> str:
    """The active SRTP crypto suite ("AES_CM_128_HMAC_SHA1_80"), or "" for a plain RTP call.

    pjsua2 exposes SRTP state only in the call dump ("SRTP status: Active Crypto-suite: ...")."""
    try:
        dump = call.dump(True, "")
    except pj.Error:
        return ""
    marker = "SRTP status: Active"
    at = dump.find(marker)
    if at < 0:
        return ""
    rest = dump[at + len(marker):].split("\n", 1)[0]
    _, _, suite = rest.partition("Crypto-suite:")
    return suite.strip().split()[0] if suite.strip() else "SRTP"
