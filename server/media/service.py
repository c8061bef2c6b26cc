"""The media service process: one pjsua2 Endpoint answering feature calls on loopback.

Run as ``python -m server.media.service --host 127.0.0.1 --port P``. It listens for SIP on
UDP ``host:P``, answers INVITEs by request-URI user through a :class:`FeatureTable`, and
prints ``MEDIA READY <port>`` on stdout once listening (pjsua2 logs go to stderr).

Theory of operation: the main thread owns the Endpoint (``threadCnt = 0``) and loops
``libHandleEvents`` -> drain the inbox of events posted by pjsua2 callbacks -> run due timers.
Callbacks only post; features run from the loop. SIGTERM/SIGINT set a flag; the loop then
hangs up every call, pumps until they are gone (bounded), releases calls, the account and
the transport, and calls ``libDestroy``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pjsua2 as pj

from server.media.call import CallEnded, CallEvent, MediaActive, MediaCall
from server.media.conference import ROOM_NUMBER, ConferenceRooms
from server.media.echo import EchoTest
from server.media.features import ECHO_TEST, FeatureTable
from server.media.recording import RecordingPolicy
from server.media.request_uri import dialled_user
from server.media.supervisor import READY_PREFIX
from server.media.timers import Clock, Timers

CLOCK_RATE = 16000
MAX_CALLS = 32


@dataclass(frozen=True)
class IncomingInvite:
    call_id: int
    dialled: str | None


class _StderrLog(pj.LogWriter):
    def write(self, entry: pj.LogEntry) -> None:
        with contextlib.suppress(OSError, ValueError):  # stderr gone with a dead supervisor
            sys.stderr.write(entry.msg if entry.msg.endswith("\n") else entry.msg + "\n")


class _FeatureAccount(pj.Account):
    """The one local account; every INVITE lands here (it is the default account)."""

    def __init__(self, on_incoming: Callable[[int, str | None], None]) -> None:
        super().__init__()
        self._on_incoming = on_incoming

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        # pjsua2 answers 500 unless the Call object exists when this returns.
        self._on_incoming(prm.callId, dialled_user(prm.rdata.wholeMsg))


class MediaService:
    """Owns the Endpoint and every pjsua2 object; all methods run on the creating thread."""

    def __init__(
        self,
        host: str,
        port: int,
        features: FeatureTable,
        *,
        recording: RecordingPolicy = RecordingPolicy(),
        clock: Clock = time.monotonic,
        log_level: int = 1,
    ) -> None:
        self.host = host
        self.port = port
        self.features = features
        self.recording = recording
        self.timers = Timers(clock)
        self._clock = clock
        self._log_level = log_level
        self._inbox: collections.deque[IncomingInvite | CallEvent] = collections.deque()
        self._calls: dict[int, MediaCall] = {}
        self._ep: pj.Endpoint | None = None
        self._account: _FeatureAccount | None = None
        self._log_writer: _StderrLog | None = None
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> int:
        """Create the Endpoint, bind the SIP transport and the account; returns the bound port."""
        ep = pj.Endpoint()
        ep.libCreate()
        self._ep = ep
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = False
        cfg.uaConfig.maxCalls = MAX_CALLS
        cfg.uaConfig.userAgent = "softphone-media"
        self._log_writer = _StderrLog()
        cfg.logConfig.writer = self._log_writer
        cfg.logConfig.level = self._log_level
        cfg.logConfig.consoleLevel = self._log_level
        cfg.logConfig.decor = pj.PJ_LOG_HAS_TIME | pj.PJ_LOG_HAS_MICRO_SEC | pj.PJ_LOG_HAS_SENDER
        cfg.medConfig.clockRate = CLOCK_RATE
        cfg.medConfig.sndClockRate = CLOCK_RATE
        cfg.medConfig.noVad = True
        cfg.medConfig.ecTailLen = 0
        ep.libInit(cfg)
        ep.audDevManager().setNullDev()

        tcfg = pj.TransportConfig()
        tcfg.port = self.port
        tcfg.boundAddress = self.host
        transport_id = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        bound = ep.transportGetInfo(transport_id).localName
        self.port = int(bound.rsplit(":", 1)[1])
        ep.libStart()

        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:media@{self.host}:{self.port}"
        acfg.sipConfig.transportId = transport_id
        acfg.mediaConfig.transportConfig.boundAddress = self.host
        acfg.mediaConfig.transportConfig.port = 0
        # Desktop accounts may insist on SRTP; answer SDES-SRTP offers as well as plain RTP.
        acfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_OPTIONAL
        acfg.mediaConfig.srtpSecureSignaling = 0
        acfg.natConfig.iceEnabled = False
        acfg.natConfig.sdpNatRewriteUse = 0
        acfg.natConfig.viaRewriteUse = 0
        acfg.natConfig.contactRewriteUse = 0
        self._account = _FeatureAccount(self._adopt_call)
        self._account.create(acfg, True)
        return self.port

    def request_stop(self) -> None:
        self._stopping = True

    def run(self, poll_ms: int = 10) -> None:
        """Serve until :meth:`request_stop`; then tear everything down in order."""
        assert self._ep is not None
        try:
            while not self._stopping:
                self.step(poll_ms)
        finally:
            self.shutdown()

    def step(self, poll_ms: int = 10) -> None:
        """One turn of the loop: pjsua2 events, then posted events, then due timers."""
        assert self._ep is not None
        self._ep.libHandleEvents(poll_ms)
        self._dispatch()
        self.timers.run_due()

    def shutdown(self, grace_s: float = 2.0) -> None:
        ep = self._ep
        if ep is None:
            return
        for call in list(self._calls.values()):
            call.end()
        deadline = self._clock() + grace_s
        while self._calls and self._clock() < deadline:
            ep.libHandleEvents(20)
            self._dispatch()
        for call in list(self._calls.values()):
            call.finish()
        self._calls.clear()
        account, self._account = self._account, None
        if account is not None:
            account.shutdown()
            del account
        self._ep = None
        # Calls are already gone (pumped above); skip pjsua's fixed 1 s wait for late messages.
        ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)
        del ep

    # -- events ------------------------------------------------------------------------------
    @property
    def active_calls(self) -> int:
        return len(self._calls)

    def _dispatch(self) -> None:
        while self._inbox:
            event = self._inbox.popleft()
            call = self._calls.get(event.call_id if isinstance(event, IncomingInvite) else event.call_key)
            try:
                self._handle(event)
            except Exception:
                # One call's failure (a feature bug, a recorder that cannot write) must not take
                # the process, and every other call, down with it.
                log(f"handling {event} failed:\n{traceback.format_exc()}")
                if call is not None and not isinstance(event, CallEnded):
                    call.end()

    def _handle(self, event: IncomingInvite | CallEvent) -> None:
        if isinstance(event, IncomingInvite):
            self._on_invite(event)
        elif isinstance(event, MediaActive):
            call = self._calls.get(event.call_key)
            audio = call.audio_media() if call is not None else None
            if call is not None and audio is not None:
                try:
                    call.record_caller(audio)
                except (pj.Error, OSError) as exc:
                    reason = exc.info() if isinstance(exc, pj.Error) else str(exc)
                    log(
                        f"call {call.key}: recording to {call.recording_path} failed, not recording: {reason}"
                    )
                    call.recording_path = None
                if call.session is not None:
                    call.session.media_ready(audio)
        elif isinstance(event, CallEnded):
            ended = self._calls.pop(event.call_key, None)
            if ended is not None:
                log(f"call {event.call_key} to {ended.dialled!r} ended: {event.code} {event.reason}")
                ended.finish()

    def _adopt_call(self, call_id: int, dialled: str | None) -> None:
        """Inside onIncomingCall: create and keep the Call, leave the rest to the loop."""
        assert self._account is not None
        call = MediaCall(self._account, call_id, dialled=dialled, post=self._inbox.append, timers=self.timers)
        self._calls[call_id] = call
        self._inbox.append(IncomingInvite(call_id, dialled))

    def _on_invite(self, invite: IncomingInvite) -> None:
        call = self._calls.get(invite.call_id)
        if call is None:
            return
        if self._stopping:
            call.reject(503, "Service Unavailable")
            return
        call.recording_path = self.recording.path_for(invite.dialled, call.sip_call_id())
        log(f"call {invite.call_id} to {invite.dialled!r}")
        try:
            self.features.feature_for(invite.dialled).on_call(call)
        except pj.Error as exc:
            log(f"feature for {invite.dialled!r} failed: {exc.info()}")
            call.end()


def log(message: str) -> None:
    # Logging must never stop the service: after a supervisor dies, stderr is a broken pipe
    # and the shutdown that follows still has to run.
    with contextlib.suppress(OSError, ValueError):
        print(f"media: {message}", file=sys.stderr, flush=True)


def default_features() -> FeatureTable:
    return FeatureTable(
        {ECHO_TEST: EchoTest(clock_rate=CLOCK_RATE)},
        patterns=[(ROOM_NUMBER, ConferenceRooms())],
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m server.media.service", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="SIP UDP port (0: any free port)")
    parser.add_argument("--recordings-dir", type=Path, default=None, help="where recorded calls go")
    parser.add_argument(
        "--record",
        default="",
        help="comma-separated dialled-number prefixes to record (e.g. '*8' for every room); "
        "needs --recordings-dir",
    )
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="stop when stdin closes (the supervisor holds its write end, so we die with it)",
    )
    parser.add_argument("--log-level", type=int, default=1, help="pjsua2 log level 0-6 (stderr)")
    return parser.parse_args(argv)


def _stop_on_eof(service: MediaService) -> None:
    # os.read, not sys.stdin: a daemon thread blocked inside a buffered reader would make
    # interpreter shutdown abort on that reader's lock.
    with contextlib.suppress(OSError):
        while os.read(0, 4096):
            pass
    service.request_stop()
    log("stdin closed; stopping")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # pjlib prints its first log lines to fd 1 before any writer can be set; keep stdout for
    # the READY line alone by pointing fd 1 at stderr and writing READY to a saved copy.
    ready_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    service = MediaService(
        args.host,
        args.port,
        default_features(),
        recording=RecordingPolicy(args.recordings_dir, tuple(p for p in args.record.split(",") if p)),
        log_level=args.log_level,
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        service.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if args.exit_on_stdin_eof:
        threading.Thread(target=_stop_on_eof, args=(service,), name="stdin-eof", daemon=True).start()
    try:
        port = service.start()
    except pj.Error as exc:
        log(f"cannot start on {args.host}:{args.port}: {exc.info()}")
        service.shutdown()
        return 2
    print(f"{READY_PREFIX} {port}", file=ready_out, flush=True)
    service.run()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
