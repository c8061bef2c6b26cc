"""Engine-thread state: the pjsua2 Endpoint and every pjsua2 object, plus the audio routing between them.

Only the engine thread touches a :class:`Runtime` (see engine.py). pjsua2 callbacks land here through the
``Pj*`` subclasses; the few that arrive on another thread (DTMF from the media thread) are re-queued with
``post``.

Audio routing is declarative: ``_reroute`` computes the full set of conference-bridge links that the
current calls, mute/hold flags, conference membership, sources and recordings call for, and applies the
difference. Nothing else calls ``startTransmit``/``stopTransmit``.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import gc
import heapq
import itertools
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pjsua2 as pj

from softphone import presence
from softphone.call_quality import estimate_mos
from softphone.config import AccountConfig, EngineConfig
from softphone.events import (
    AudioDeviceProblem,
    AudioDevicesChanged,
    CallDirection,
    CallMediaChanged,
    CallState,
    CallStateChanged,
    CallStats,
    DtmfReceived,
    EngineEvent,
    IncomingCall,
    MessageReceived,
    MessageStatus,
    MicLevel,
    PresenceChanged,
    RecordingChanged,
    RegistrationChanged,
    TransferProgress,
    TransferRequested,
)
from softphone.logging_bridge import PjLogWriter, apply_log_config
from softphone.pj_account import PjAccount, PjBuddy
from softphone.pj_call import PjCall
from softphone.recording import Recording

log = logging.getLogger("softphone.engine")

DND_REASON = 'SIP;cause=486;text="Do Not Disturb"'
CLOCK_RATE = 16000
_CALL_RATE_MAX = 16
_CALL_RATE_WINDOW_S = 0.6
_TRANSPORT_TYPES = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}
_SRTP = {
    "off": pj.PJMEDIA_SRTP_DISABLED,
    "optional": pj.PJMEDIA_SRTP_OPTIONAL,
    "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
}
_NAME_ADDR = re.compile(r'^\s*(?:"(?P<q>[^"]*)"|(?P<t>[^<"]*?))\s*<(?P<uri>[^>]+)>')


class EngineError(RuntimeError):
    pass


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
    sources: list[Any] = field(default_factory=list)  # ToneGenerator / AudioMediaPlayer into this call
    recording: Recording | None = None
    auto_answer_due: float | None = None


@dataclass(eq=False)
class AccountEntry:
    config: AccountConfig
    account: PjAccount
    reg_state: str = "unregistered"
    # What the user chose to show (publish_presence); re-published after every (re-)registration.
    presence: tuple[str, str] = ("available", "")


def split_name_addr(value: str) -> tuple[str, str]:
    """('Alice', 'sip:a@x') from '"Alice" <sip:a@x>'; ('', uri) for a bare URI."""
    m = _NAME_ADDR.match(value)
    if not m:
        return "", value.strip()
    return (m.group("q") or m.group("t") or "").strip(), m.group("uri").strip()


def extract_headers(whole_msg: str, prefix: str = "x-") -> dict[str, str]:
    """Lower-cased headers whose name starts with ``prefix`` from a raw SIP message."""
    out: dict[str, str] = {}
    head = whole_msg.split("\r\n\r\n", 1)[0]
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower().startswith(prefix):
            out[name.strip().lower()] = value.strip()
    return out


def sip_date(whole_msg: str) -> float | None:
    """UNIX time of the ``Date`` header (RFC 3261 §20.17, an RFC 1123 date); None if absent or bad."""
    head = whole_msg.split("\r\n\r\n", 1)[0]
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "date":
            try:
                when = email.utils.parsedate_to_datetime(value.strip())
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:  # "-0000" means UTC with an unknown source zone
                when = when.replace(tzinfo=datetime.UTC)
            return when.timestamp()
    return None


def _host_uri(host_or_uri: str) -> str:
    return host_or_uri if host_or_uri.startswith(("sip:", "sips:")) else f"sip:{host_or_uri}"


class Runtime:
    """Everything pjsua2, owned by the engine thread."""

    def __init__(
        self,
        config: EngineConfig,
        emit: Callable[[EngineEvent], None],
        post: Callable[[Callable[[], None]], None],
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.emit = emit
        self.post = post
        self.clock = clock
        self.ep: pj.Endpoint | None = None
        self._log_writer: PjLogWriter | None = None
        self.transport_ids: dict[str, int] = {}
        self.local_ports: dict[str, int] = {}
        self.accounts: dict[str, AccountEntry] = {}
        self.calls: dict[str, CallEntry] = {}
        self.buddies: dict[tuple[str, str], PjBuddy] = {}
        self.presence_seen: dict[tuple[str, str], tuple[str, str]] = {}
        self.pending_messages: dict[tuple[str, str], deque[str]] = {}
        self.conference: set[str] = set()
        self.local_sources: list[Any] = []
        self.monitor: Recording | None = None
        self.dnd = False
        self.auto_answer: float | None = None  # delay in seconds, None = off
        self._links: dict[tuple[int, int], tuple[Any, Any]] = {}
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count(1)
        self._graveyard: list[Any] = []
        self.mic: pj.AudioMedia | None = None
        self.speaker: pj.AudioMedia | None = None
        self.bridge: Any = None
        self._device_fingerprint: tuple[str, ...] = ()
        self._last_audio_problem: Any = None
        self.mic_meter_wanted = False  # a settings page shows the mic meter outside calls
        self._last_mic_level = -1.0
        self._next_audio_poll = 0.0
        self._next_mic_poll = 0.0
        self._ringing = False
        self._ringback = False
        self._recent_calls: deque[float] = deque()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Create and start the Endpoint; on failure tear down what exists and raise EngineError.

        The failure is re-raised only after teardown, from a fresh exception: the original traceback holds
        the frame that holds the Endpoint, and a second Endpoint cannot be created while it lives.
        """
        try:
            self._start()
            return
        except pj.Error as exc:
            message = f"{exc.title}: {exc.reason} ({exc.status})"
        except Exception as exc:
            log.exception("engine start failed")
            message = f"{type(exc).__name__}: {exc}"
        self.shutdown()
        raise EngineError(message)

    def _start(self) -> None:
        cfg = self.config
        ep = pj.Endpoint()
        self.ep = ep
        ep.libCreate()
        ep_cfg = pj.EpConfig()
        ua = ep_cfg.uaConfig
        ua.threadCnt = 0  # every SIP callback inside our libHandleEvents, on the engine thread
        ua.mainThreadOnly = False
        ua.userAgent = cfg.user_agent
        ua.maxCalls = cfg.max_calls
        med = ep_cfg.medConfig
        med.clockRate = CLOCK_RATE
        med.sndClockRate = CLOCK_RATE
        # pjsua's canceller sits only on its own sound-device port, which the null device bypasses;
        # the sounddevice bridge cancels echo itself (softphone/echo_canceller.py).
        med.ecTailLen = 0
        med.noVad = True
        self._log_writer = PjLogWriter()
        apply_log_config(ep_cfg, self._log_writer, cfg.log_level)
        ep.libInit(ep_cfg)
        for name in cfg.transports:
            self._create_transport(name)
        ep.libStart()
        self._set_codec_priorities()
        self._open_audio()

    def _create_transport(self, name: str) -> None:
        assert self.ep is not None
        cfg = self.config
        tc = pj.TransportConfig()
        tc.boundAddress = cfg.bind_address
        tc.port = cfg.tls_port if name == "tls" else cfg.sip_port
        if name == "tcp" and cfg.sip_port == 0 and "udp" in self.local_ports:
            tc.port = self.local_ports["udp"]  # same number for UDP and TCP when possible
        if name == "tls":
            tls = tc.tlsConfig
            tls.CaListFile = cfg.tls_ca_file
            tls.certFile = cfg.tls_cert_file
            tls.privKeyFile = cfg.tls_key_file
            tls.verifyServer = cfg.tls_verify_server
            tls.method = pj.PJSIP_TLSV1_2_METHOD if hasattr(pj, "PJSIP_TLSV1_2_METHOD") else tls.method
        try:
            tid = self.ep.transportCreate(_TRANSPORT_TYPES[name], tc)
        except pj.Error:
            if name != "tcp" or tc.port == 0:
                raise
            tc.port = 0
            tid = self.ep.transportCreate(_TRANSPORT_TYPES[name], tc)
        self.transport_ids[name] = tid
        self.local_ports[name] = int(self.ep.transportGetInfo(tid).localName.rsplit(":", 1)[-1])

    def _set_codec_priorities(self) -> None:
        assert self.ep is not None
        wanted = [c.lower() for c in self.config.codecs]
        for ci in self.ep.codecEnum2():
            cid = ci.codecId  # e.g. "G722/16000/1"
            base = "/".join(cid.split("/")[:2]).lower()
            if base in wanted:
                self.ep.codecSetPriority(cid, 250 - wanted.index(base))

    def _open_audio(self) -> None:
        assert self.ep is not None
        adm = self.ep.audDevManager()
        adm.setNullDev()  # its clock thread drives the conference bridge
        if not self.config.null_audio:
            try:
                from softphone import audio as audio_mod  # the sounddevice bridge (softphone/audio.py)

                self.bridge = audio_mod.SoundDeviceBridge.create(
                    True, clock_rate=CLOCK_RATE, echo_cancellation=self.config.echo_cancel
                )
                self.bridge.set_ringer(self.config.audio_ringer)
                problem = self.bridge.open(self.config.audio_input, self.config.audio_output)
                if problem is not None:
                    self.emit(problem)
                self.mic = self.speaker = self.bridge.media
                self._device_fingerprint = audio_mod.device_fingerprint()
                return
            except Exception as exc:  # no PortAudio at all: calls still connect on the null device
                log.warning("sound device bridge unavailable: %s", exc)
                self.bridge = None
                self.emit(AudioDeviceProblem(f"no audio device: {exc}"))
        self.mic = adm.getCaptureDevMedia()
        self.speaker = adm.getPlaybackDevMedia()

    def _poll_mic_level(self) -> None:
        """MicLevel (changes only) while a microphone is open and a call or the settings meter wants it."""
        bridge = self.bridge
        wanted = bridge is not None and bridge.input_open and (
            self.mic_meter_wanted or any(e.media is not None for e in self.calls.values())
        )
        if not wanted:
            if self._last_mic_level > 0:
                self.emit(MicLevel(0.0))  # the meter drops to rest instead of freezing at its last value
            self._last_mic_level = -1.0
            return
        level = round(float(bridge.mic_level), 2)
        if level != self._last_mic_level:
            self._last_mic_level = level
            self.emit(MicLevel(level))

    def _poll_audio(self) -> None:
        """Stream health and hot-plug (engine thread, a few times a second)."""
        bridge = self.bridge
        if bridge is None:
            return
        from softphone import audio as audio_mod

        problem = bridge.health()
        if problem is not None and problem != self._last_audio_problem:
            self.emit(problem)
        self._last_audio_problem = problem
        fingerprint = audio_mod.device_fingerprint()
        if fingerprint != self._device_fingerprint:
            self._device_fingerprint = fingerprint
            devices, problem = bridge.refresh_devices()
            self.emit(AudioDevicesChanged(tuple(devices)))
            if problem is not None:
                self.emit(problem)

    def _update_tones(self) -> None:
        """Ringtone while a call rings in, ringback while ours rings out (bridge only)."""
        bridge = self.bridge
        if bridge is None or not self.config.ring_tones:
            return
        ringing_in = any(e.direction == "incoming" and e.state == "ringing" for e in self.calls.values())
        ringing_out = any(e.direction == "outgoing" and e.state == "ringing" for e in self.calls.values())
        if ringing_in and not self._ringing:
            problem = bridge.start_ringing()
            if problem is not None:
                self.emit(problem)
        elif not ringing_in and self._ringing:
            bridge.stop_ringing()
        self._ringing = ringing_in
        if ringing_out != self._ringback:
            if ringing_out:
                bridge.start_ringback()
            else:
                bridge.stop_ringback()
            self._ringback = ringing_out

    def set_audio_devices(
        self, input_dev: int | str | None, output: int | str | None, ringer: int | str | None
    ) -> None:
        if self.bridge is None:
            raise EngineError("no sound device bridge (the engine runs with null audio)")
        self.bridge.set_ringer(ringer)
        problem = self.bridge.open(input_dev, output)
        if problem is not None:
            self.emit(problem)

    def pump(self, ms: int) -> None:
        assert self.ep is not None
        self.ep.libHandleEvents(ms)
        now = self.clock()
        if self.bridge is not None:
            if now >= self._next_mic_poll:
                self._next_mic_poll = now + 0.1
                self._guard(self._poll_mic_level)
            if now >= self._next_audio_poll:
                self._next_audio_poll = now + 0.2
                self._guard(self._poll_audio)
        while self._timers and self._timers[0][0] <= now:
            _, _, fn = heapq.heappop(self._timers)
            self._guard(fn)
        for e in list(self.calls.values()):
            if e.recording is not None:
                e.recording.pump()
        if self.monitor is not None:
            self.monitor.pump()
        if self._graveyard:
            self._graveyard.clear()

    def _guard(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            log.exception("engine timer failed")

    def schedule(self, delay_s: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (self.clock() + delay_s, next(self._seq), fn))

    def shutdown(self) -> None:
        """Ordered teardown; see the engine module docstring.

        Every step lives in its own method so that no local variable of this frame still holds a pjsua2
        object when ``libDestroy`` runs (a Call deleted after libDestroy aborts the process).
        """
        ep = self.ep
        if ep is None:
            return
        self._timers.clear()
        self._stop_recordings()
        self._hang_up_all(ep)
        self.conference.clear()
        self._drop_all_links()
        self.buddies.clear()
        self.pending_messages.clear()
        gc.collect()
        self._shut_down_accounts(ep)
        self.calls.clear()
        self.local_sources.clear()
        self.monitor = None
        self.mic = self.speaker = None
        self._close_bridge()
        self._graveyard.clear()
        gc.collect()
        # NO_RX_MSG: we already pumped the un-REGISTERs above; this skips pjsua's fixed 1 s wait.
        ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)
        self.ep = None
        del ep
        gc.collect()
        self._log_writer = None

    def _stop_recordings(self) -> None:
        for e in list(self.calls.values()):
            self._close_recording(e)
        if self.monitor is not None:
            self.monitor.close()

    def _hang_up_all(self, ep: pj.Endpoint) -> None:
        try:
            ep.hangupAllCalls()
        except pj.Error as exc:
            log.warning("hangupAllCalls: %s", exc.info())
        deadline = time.monotonic() + self.config.shutdown_timeout_s
        while self.calls and time.monotonic() < deadline:
            ep.libHandleEvents(20)
        if self.calls:
            log.warning("%d call(s) did not disconnect before teardown", len(self.calls))

    def _shut_down_accounts(self, ep: pj.Endpoint) -> None:
        registered = any(a.reg_state in ("registered", "registering") for a in self.accounts.values())
        for a in self.accounts.values():
            try:
                a.account.shutdown()
            except pj.Error as exc:
                log.warning("account shutdown: %s", exc.info())
        if registered:
            # Let the un-REGISTERs go out and be answered (libDestroy below no longer receives).
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline:
                ep.libHandleEvents(20)
        self.accounts.clear()

    def _close_bridge(self) -> None:
        if self.bridge is not None:
            try:
                self.bridge.close()
                self.bridge.destroy()
            except Exception:
                log.exception("closing the sound device bridge")
            self.bridge = None

    # ------------------------------------------------------------------ accounts

    def _pj_account_config(self, a: AccountConfig) -> pj.AccountConfig:
        cfg = pj.AccountConfig()
        tp = "" if a.transport == "udp" else f";transport={a.transport}"
        uri = f"sip:{a.sip_username}@{a.sip_domain}"
        cfg.idUri = f'"{a.display_name}" <{uri}>' if a.display_name else uri
        reg = cfg.regConfig
        if a.register:
            reg.registrarUri = _host_uri(a.registrar or a.sip_domain) + tp
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
            cfg.sipConfig.proxies.append(_host_uri(proxy) + ";lr" + tp)
        if a.sip_password:
            cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", a.sip_username, 0, a.sip_password))
        if a.register and a.transport in self.transport_ids:
            # Registering accounts stick to their transport (the Contact must match); a direct-IP account
            # lets pjsua pick per target (";transport=tcp" URIs).
            cfg.sipConfig.transportId = self.transport_ids[a.transport]
        cfg.mediaConfig.srtpUse = _SRTP[a.srtp]
        cfg.mediaConfig.srtpSecureSignaling = 0
        cfg.natConfig.iceEnabled = False
        cfg.natConfig.sipStunUse = pj.PJSUA_STUN_USE_DISABLED
        cfg.natConfig.mediaStunUse = pj.PJSUA_STUN_USE_DISABLED
        cfg.mediaConfig.transportConfig.boundAddress = self.config.bind_address
        cfg.mediaConfig.transportConfig.port = self.config.rtp_port
        return cfg

    def add_account(self, a: AccountConfig) -> None:
        if a.account_id in self.accounts:
            raise EngineError(f"account {a.account_id!r} exists")
        acc = PjAccount(self, a.account_id)
        entry = AccountEntry(a, acc)
        self.accounts[a.account_id] = entry
        try:
            acc.create(self._pj_account_config(a), not self.accounts or len(self.accounts) == 1)
        except pj.Error as exc:
            del self.accounts[a.account_id]
            raise EngineError(f"cannot add account {a.account_id}: {exc.info()}") from exc

    def modify_account(self, a: AccountConfig) -> None:
        entry = self._account(a.account_id)
        entry.config = a
        entry.account.modify(self._pj_account_config(a))

    def remove_account(self, account_id: str) -> None:
        entry = self._account(account_id)
        for key in [k for k in self.buddies if k[0] == account_id]:
            self.buddies.pop(key)
        gc.collect()
        entry.account.shutdown()
        del self.accounts[account_id]
        self._graveyard.append(entry)

    def handle_network_change(self) -> None:
        """The OS reported a new network: re-create listeners, re-register, refresh calls (pjsua)."""
        assert self.ep is not None
        prm = pj.IpChangeParam()
        prm.restartListener = False  # we bind loopback/fixed addresses; only re-register and update calls
        self.ep.handleIpChange(prm)

    def _account(self, account_id: str) -> AccountEntry:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise EngineError(f"unknown account {account_id!r}") from None

    def on_reg_started(self, acc: PjAccount, renew: bool) -> None:
        entry = self.accounts.get(acc.account_id)
        if entry is not None and renew and entry.reg_state != "registered":
            entry.reg_state = "registering"
            self.emit(RegistrationChanged(acc.account_id, "registering", 0, ""))

    def on_reg_state(self, acc: PjAccount, code: int, reason: str, expiration: int) -> None:
        entry = self.accounts.get(acc.account_id)
        state = ("registered" if expiration > 0 else "unregistered") if code // 100 == 2 else "failed"
        if entry is not None:
            entry.reg_state = state
            if state == "registered" and entry.config.register:
                # Every successful REGISTER (first, refresh, after a failure or network change) re-sends the
                # status: a restarted PBX forgot what we published, and pjsua alone would only refresh its
                # publication when that expires. One PUBLISH per registration interval is cheap.
                self._publish(entry)
        self.emit(RegistrationChanged(acc.account_id, state, int(code), reason))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ calls

    def _new_key(self) -> str:
        return f"c{next(self._seq)}"

    def call(self, key: str) -> CallEntry:
        try:
            return self.calls[key]
        except KeyError:
            raise EngineError(f"unknown call {key!r}") from None

    def target_uri(self, a: AccountConfig, target: str) -> str:
        t = target.strip()
        if t.startswith(("sip:", "sips:")) or t.startswith("<"):
            return t
        tp = "" if a.transport == "udp" else f";transport={a.transport}"
        if "@" in t:
            return f"sip:{t}{tp}"
        return f"sip:{t}@{a.sip_domain}{tp}"

    def make_call(self, account_id: str, target: str, hotline: str | None) -> str:
        entry = self._account(account_id)
        # pjlib frees a closed socket's ioqueue slot only ~500 ms later and aborts (assert) when its 64 slots
        # run out; each call holds two media sockets. No person dials this fast; scripts get an error.
        now = self.clock()
        while self._recent_calls and now - self._recent_calls[0] > _CALL_RATE_WINDOW_S:
            self._recent_calls.popleft()
        if len(self._recent_calls) >= _CALL_RATE_MAX:
            raise EngineError(f"more than {_CALL_RATE_MAX} calls in {_CALL_RATE_WINDOW_S} s; slow down")
        self._recent_calls.append(now)
        uri = self.target_uri(entry.config, target)
        key = self._new_key()
        call = PjCall(self, entry.account, key)
        self.calls[key] = CallEntry(key, call, account_id, "outgoing", uri)
        prm = pj.CallOpParam(True)
        prm.opt.audioCount = 1
        prm.opt.videoCount = 0
        if hotline:
            h = pj.SipHeader()
            h.hName = "X-Hotline"
            h.hValue = hotline
            prm.txOption.headers.append(h)
        try:
            call.makeCall(uri, prm)
        except pj.Error as exc:
            self.calls.pop(key, None)
            raise EngineError(f"cannot call {uri}: {exc.info()}") from exc
        return key

    def on_incoming_call(self, acc: PjAccount, prm: pj.OnIncomingCallParam) -> None:
        key = self._new_key()
        call = PjCall(self, acc, key, prm.callId)
        ci = call.getInfo()
        name, uri = split_name_addr(ci.remoteUri)
        e = CallEntry(key, call, acc.account_id, "incoming", uri, state="ringing")
        self.calls[key] = e
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
        self.emit(IncomingCall(key, acc.account_id, uri, name, headers))
        if self.auto_answer == 0.0:
            self.answer(key)
            return
        self._update_tones()
        if self.auto_answer is not None:
            delay = self.auto_answer
            self.schedule(delay, lambda: self._auto_answer(key))

    def _auto_answer(self, key: str) -> None:
        e = self.calls.get(key)
        if e is not None and e.state in ("ringing", "early"):
            self.answer(key)

    def answer(self, key: str) -> None:
        e = self.call(key)
        prm = pj.CallOpParam(True)
        prm.statusCode = 200
        prm.opt.audioCount = 1
        prm.opt.videoCount = 0
        e.call.answer(prm)

    def decline(self, key: str, code: int) -> None:
        if code not in (486, 603):
            raise EngineError("decline code must be 486 or 603")
        e = self.call(key)
        prm = pj.CallOpParam()
        prm.statusCode = code
        e.call.hangup(prm)

    def hangup(self, key: str) -> None:
        e = self.call(key)
        e.call.hangup(pj.CallOpParam())

    def hold(self, key: str) -> None:
        self.call(key).call.setHold(pj.CallOpParam(True))

    def resume(self, key: str) -> None:
        prm = pj.CallOpParam(True)
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        prm.opt.audioCount = 1
        prm.opt.videoCount = 0
        self.call(key).call.reinvite(prm)

    def set_mute(self, key: str, muted: bool) -> None:
        e = self.call(key)
        e.muted = muted
        self._reroute()
        self._emit_media(e)

    def send_dtmf(self, key: str, digits: str, method: str) -> None:
        e = self.call(key)
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

    def on_dtmf(self, key: str, digit: str) -> None:
        if key in self.calls:
            self.emit(DtmfReceived(key, digit))

    _STATES: dict[int, CallState] = {
        pj.PJSIP_INV_STATE_CALLING: "calling",
        pj.PJSIP_INV_STATE_INCOMING: "ringing",
        pj.PJSIP_INV_STATE_EARLY: "early",
        pj.PJSIP_INV_STATE_CONNECTING: "connecting",
        pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
        pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected",
    }

    def on_call_state(self, call: PjCall) -> None:
        e = self.calls.get(call.key)
        if e is None:
            return
        ci = call.getInfo()
        state = self._STATES.get(ci.state, "calling")
        if state == "early" and (e.direction == "incoming" or ci.lastStatusCode == 180):
            state = "ringing"
        if not e.remote_uri or e.direction == "incoming":
            e.remote_uri = split_name_addr(ci.remoteUri)[1] or e.remote_uri
        if state == "confirmed" and e.confirmed_at is None:
            e.confirmed_at = self.clock()
        e.state = state
        self._update_tones()
        duration = self.clock() - e.confirmed_at if e.confirmed_at is not None else 0.0
        self.emit(
            CallStateChanged(
                e.key, e.account_id, state, int(ci.lastStatusCode), ci.lastReason, e.direction, e.remote_uri,
                round(duration, 3),
            )
        )
        if state == "disconnected":
            self._close_recording(e)
            self.conference.discard(e.key)
            e.media = None
            self._purge_port(e.media_port)
            e.media_port = -1
            self.calls.pop(e.key, None)
            self._update_tones()
            self._reroute()
            # pjsua still runs code on this Call after the callback returns: drop it on the next pump.
            self._graveyard.append(e)

    def on_call_media_state(self, call: PjCall) -> None:
        e = self.calls.get(call.key)
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
                # Keep the port while held locally: _reroute must be able to stop its links.
                with contextlib.suppress(pj.Error):
                    media = call.getAudioMedia(mi.index)
            held_local = mi.status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD
            held_remote = mi.status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD
            break
        new_port = media.getPortId() if media is not None else -1
        if new_port != e.media_port:
            self._purge_port(e.media_port)
        e.media, e.media_port = media, new_port
        e.held_local, e.held_remote = held_local, held_remote
        # pjsua may re-create the stream (re-INVITE, codec lock, hold) and with it the bridge port under the
        # same slot number, dropping its links: connect this port's links again even if we made them before
        # (connecting a connected pair is harmless).
        self._reroute(refresh_port=new_port)
        self._emit_media(e)

    def _emit_media(self, e: CallEntry) -> None:
        self.emit(CallMediaChanged(e.key, e.held_local, e.held_remote, e.muted))

    def call_duration(self, key: str) -> float:
        e = self.call(key)
        return 0.0 if e.confirmed_at is None else self.clock() - e.confirmed_at

    def call_stats(self, key: str) -> CallStats:
        e = self.call(key)
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
        return CallStats(
            call_id=key,
            codec=si.codecName,
            clock_rate=int(si.codecClockRate),
            duration_s=round(self.call_duration(key), 3),
            rx_packets=int(rx.pkt),
            tx_packets=int(ss.rtcp.txStat.pkt),
            rx_loss_pct=round(loss_pct, 2),
            jitter_ms=round(jitter_ms, 2),
            rtt_ms=round(rtt_ms, 2),
            mos=estimate_mos(si.codecName, rtt_ms, jitter_ms, loss_pct),
            srtp_active=_srtp_active(e.call),
        )

    # ------------------------------------------------------------------ transfer

    def blind_transfer(self, key: str, target: str) -> None:
        e = self.call(key)
        uri = self.target_uri(self.accounts[e.account_id].config, target)
        e.call.xfer(uri, pj.CallOpParam(True))

    def attended_transfer(self, key: str, consult_key: str) -> None:
        e = self.call(key)
        consult = self.call(consult_key)
        e.call.xferReplaces(consult.call, pj.CallOpParam(True))

    def on_transfer_status(self, call: PjCall, prm: pj.OnCallTransferStatusParam) -> None:
        code = int(prm.statusCode)
        final = bool(prm.finalNotify)
        self.emit(TransferProgress(call.key, code, prm.reason, final))
        prm.cont = True
        key = call.key
        if final and code // 100 == 2 and key in self.calls:
            # The transferee reached the target: our leg is done (RFC 5589 section 6).
            self.post(lambda: self._hangup_quietly(key))

    def _hangup_quietly(self, key: str) -> None:
        if key in self.calls:
            try:
                self.hangup(key)
            except pj.Error as exc:
                log.info("hangup after transfer: %s", exc.info())

    def on_transfer_request(self, call: PjCall, prm: pj.OnCallTransferRequestParam) -> None:
        e = self.calls.get(call.key)
        acc = self.accounts.get(e.account_id) if e is not None else None
        if e is None or acc is None:
            prm.statusCode = 603
            return
        key = self._new_key()
        new_call = PjCall(self, acc.account, key)
        self.calls[key] = CallEntry(key, new_call, e.account_id, "outgoing", prm.dstUri)
        prm.newCall = new_call
        prm.statusCode = 202
        self.emit(TransferRequested(call.key, prm.dstUri))

    def on_call_replaced(self, call: PjCall, prm: pj.OnCallReplacedParam) -> None:
        e = self.calls.get(call.key)
        acc = self.accounts.get(e.account_id) if e is not None else None
        if e is None or acc is None:
            return
        key = self._new_key()
        new_call = PjCall(self, acc.account, key, prm.newCallId)
        prm.newCall = new_call
        name, uri = split_name_addr(new_call.getInfo().remoteUri)
        self.calls[key] = CallEntry(key, new_call, e.account_id, "incoming", uri, state="connecting")
        self.emit(IncomingCall(key, e.account_id, uri, name, {"replaces": call.key}))

    # ------------------------------------------------------------------ conference

    def merge_conference(self, keys: list[str]) -> None:
        for k in keys:
            self.call(k)
        self.conference.update(keys)
        self._reroute()

    def split_conference(self, key: str) -> None:
        self.call(key)
        self.conference.discard(key)
        if len(self.conference) < 2:
            self.conference.clear()
        self._reroute()

    # ------------------------------------------------------------------ media sources and recording

    def _tone(self, freq_hz: float) -> pj.ToneGenerator:
        tg = pj.ToneGenerator()
        tg.createToneGenerator(CLOCK_RATE, 1)
        tones = pj.ToneDescVector()
        d = pj.ToneDesc()
        d.freq1 = int(freq_hz)
        d.freq2 = 0
        d.on_msec = 30000
        d.off_msec = 0
        d.volume = 0
        tones.append(d)
        tg.play(tones, True)
        return tg

    def _player(self, path: str, loop: bool) -> pj.AudioMediaPlayer:
        player = pj.AudioMediaPlayer()
        player.createPlayer(path, 0 if loop else pj.PJMEDIA_FILE_NO_LOOP)
        return player

    def play_tone(self, key: str, freq_hz: float) -> None:
        self.call(key).sources.append(self._tone(freq_hz))
        self._reroute()

    def play_wav(self, key: str, path: str, loop: bool) -> None:
        self.call(key).sources.append(self._player(path, loop))
        self._reroute()

    def stop_sources(self, key: str) -> None:
        e = self.call(key)
        old, e.sources = e.sources, []
        self._reroute()
        self._graveyard.extend(old)

    def set_local_source(self, tone_hz: float | None, wav_path: str | None, loop: bool) -> None:
        """Feed a tone or WAV into every call alongside the microphone (headless use)."""
        old, self.local_sources = self.local_sources, []
        if tone_hz:
            self.local_sources.append(self._tone(tone_hz))
        if wav_path:
            self.local_sources.append(self._player(wav_path, loop))
        self._reroute()
        self._graveyard.extend(old)

    def start_recording(self, key: str, path: str) -> None:
        e = self.call(key)
        if e.recording is not None:
            raise EngineError(f"call {key} is already being recorded")
        e.recording = Recording(path, CLOCK_RATE, self.clock)
        self._reroute()
        self.emit(RecordingChanged(key, str(path), True))

    def stop_recording(self, key: str) -> None:
        e = self.call(key)
        if e.recording is not None:
            self._close_recording(e)

    def _close_recording(self, e: CallEntry) -> None:
        rec, e.recording = e.recording, None
        if rec is None:
            return
        self._reroute()
        rec.close()
        self._graveyard.append(rec)
        self.emit(RecordingChanged(e.key, str(rec.path), False))

    def start_monitor(self, path: str) -> None:
        """Record everything the local user hears, across calls (tests and diagnostics)."""
        if self.monitor is None:
            self.monitor = Recording(path, CLOCK_RATE, self.clock)
            self._reroute()

    def stop_monitor(self) -> None:
        mon, self.monitor = self.monitor, None
        if mon is not None:
            self._reroute()
            mon.close()
            self._graveyard.append(mon)

    # ------------------------------------------------------------------ routing

    def _desired_links(self) -> list[tuple[Any, Any]]:
        links: list[tuple[Any, Any]] = []
        mic_sources = ([self.mic] if self.mic is not None else []) + self.local_sources
        active = [e for e in self.calls.values() if e.media is not None and not e.held_local]
        conf = [e for e in active if e.key in self.conference]
        for e in active:
            senders = [] if e.muted else mic_sources + e.sources
            if self.speaker is not None:
                links.append((e.media, self.speaker))
            links.extend((s, e.media) for s in senders)
            if e.recording is not None:
                tap = e.recording.tap
                links.append((e.media, tap))
                links.extend((s, tap) for s in senders)
                if e in conf:
                    links.extend((o.media, tap) for o in conf if o is not e)
            if self.monitor is not None:
                links.append((e.media, self.monitor.tap))
        for a in conf:
            links.extend((a.media, b.media) for b in conf if b is not a)
        return links

    def _reroute(self, refresh_port: int = -1) -> None:
        """Make the bridge carry exactly the desired links (diffed against the links we made); links of
        ``refresh_port`` are (re)connected even when we made them before."""
        want: dict[tuple[int, int], tuple[Any, Any]] = {}
        for src, dst in self._desired_links():
            want[(src.getPortId(), dst.getPortId())] = (src, dst)
        for k in [k for k in self._links if k not in want]:
            log.debug("audio link %s -> %s off", *k)
            src, dst = self._links.pop(k)
            with contextlib.suppress(pj.Error):
                src.stopTransmit(dst)
        for k, (src, dst) in want.items():
            if k not in self._links or refresh_port in k:
                log.debug("audio link %s -> %s on", *k)
                try:
                    src.startTransmit(dst)
                    self._links[k] = (src, dst)
                except pj.Error as exc:
                    log.warning("startTransmit %s: %s", k, exc.info())

    def _purge_port(self, port: int) -> None:
        """Forget links of a port pjsua removed (its links went with it); never stop them by hand, since
        the number may already belong to another port."""
        if port >= 0:
            self._links = {k: v for k, v in self._links.items() if port not in k}

    def _drop_all_links(self) -> None:
        for src, dst in self._links.values():
            with contextlib.suppress(pj.Error):
                src.stopTransmit(dst)
        self._links.clear()

    # ------------------------------------------------------------------ features

    def set_auto_answer(self, enabled: bool, delay_s: float) -> None:
        self.auto_answer = max(0.0, delay_s) if enabled else None

    # ------------------------------------------------------------------ messages and presence

    def _buddy(self, account_id: str, uri: str) -> PjBuddy:
        entry = self._account(account_id)
        key = (account_id, uri)
        b = self.buddies.get(key)
        if b is None:
            b = PjBuddy(self, account_id, uri)
            cfg = pj.BuddyConfig()
            cfg.uri = uri
            cfg.subscribe = False
            b.create(entry.account, cfg)
            self.buddies[key] = b
        return b

    def send_message(self, account_id: str, to_uri: str, text: str) -> str:
        uri = self.target_uri(self._account(account_id).config, to_uri)
        buddy = self._buddy(account_id, uri)
        message_id = uuid.uuid4().hex
        pending = self.pending_messages.setdefault((account_id, _bare(uri)), deque())
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
            self.post(lambda: self.emit(MessageStatus(message_id, 503, reason)))
        return message_id

    def on_instant_message(self, acc: PjAccount, prm: pj.OnInstantMessageParam) -> None:
        sender = split_name_addr(prm.fromUri)[1]
        # The sender's Date, not ours: the PBX may deliver a stored message hours after it was sent.
        sent = sip_date(prm.rdata.wholeMsg)
        date = sent if sent is not None else time.time()
        self.emit(MessageReceived(acc.account_id, sender, prm.msgBody, prm.contentType, date))

    def on_instant_message_status(self, acc: PjAccount, prm: pj.OnInstantMessageStatusParam) -> None:
        q = self.pending_messages.get((acc.account_id, _bare(prm.toUri)))
        if not q:
            q = next((v for (a, _), v in self.pending_messages.items() if a == acc.account_id and v), None)
        if not q:
            log.info("MESSAGE status %s for unknown message to %s", prm.code, prm.toUri)
            return
        self.emit(MessageStatus(q.popleft(), int(prm.code), prm.reason))

    def subscribe_presence(self, account_id: str, uri: str) -> None:
        full = self.target_uri(self._account(account_id).config, uri)
        self._buddy(account_id, full).subscribePresence(True)

    def unsubscribe_presence(self, account_id: str, uri: str) -> None:
        full = self.target_uri(self._account(account_id).config, uri)
        b = self.buddies.pop((account_id, full), None)
        if b is not None:
            b.subscribePresence(False)
            self._graveyard.append(b)

    def publish_presence(self, account_id: str, status: str, note: str) -> None:
        entry = self._account(account_id)
        presence.to_pj(status, note)  # validates before anything is remembered
        entry.presence = (status, note)
        self._publish(entry)

    def _publish(self, entry: AccountEntry) -> None:
        """Send the account's status: a PUBLISH to the PBX when registering, NOTIFYs to direct watchers."""
        try:
            entry.account.setOnlineStatus(presence.to_pj(*entry.presence))
        except pj.Error as exc:
            log.warning("publishing presence of %s: %s", entry.config.account_id, exc.info())

    def on_buddy_state(self, b: PjBuddy) -> None:
        info = b.getInfo()
        status, note = presence.from_pj(info.presStatus)
        key = (b.account_id, b.uri)
        if self.presence_seen.get(key) == (status, note):
            return
        self.presence_seen[key] = (status, note)
        self.emit(PresenceChanged(b.account_id, b.uri, status, note))


def _srtp_active(call: pj.Call) -> bool:
    # pjsua2 exposes SRTP state only in the call dump ("SRTP status: Active Crypto-suite: ...").
    try:
        return "SRTP status: Active" in call.dump(True, "")
    except pj.Error:
        return False


def _bare(uri: str) -> str:
    u = split_name_addr(uri)[1] if "<" in uri else uri.strip()
    return u.split(";", 1)[0].lower()
