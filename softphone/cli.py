"""``softphone-cli``: the engine without a GUI, for scripts, tests and benchmarks.

Examples::

    softphone-cli --listen-port 5070 --wait --auto-answer=1 --tone 800 --record /tmp/in.wav
    softphone-cli --call sip:127.0.0.1:5070 --tone 1200 --hangup-after 5 --json-events
    softphone-cli --account 101:demo101@demo.local --registrar 127.0.0.1:5060 --call 102
    softphone-cli --account 101:demo101@demo.local --message sip:102@demo.local "hello"

With ``--json-events`` every engine event is printed on stdout as one JSON object per line
(``{"event": "CallStateChanged", ...}``), plus ``Ready`` once listening and ``Exit`` at the end.
With ``--commands`` JSON lines on stdin are engine commands (softphone/commands.py, by wire name):
``{"id": 1, "cmd": "hold", "args": {"call_id": "c3"}}`` answered by a ``CommandResult`` line; ``restart``
and ``quit`` act on the engine itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from softphone import commands as cmds
from softphone.config import AccountConfig, EngineConfig
from softphone.engine import Engine
from softphone.events import (
    CallStateChanged,
    EngineEvent,
    IncomingCall,
    MessageStatus,
)

_COMMAND_TIMEOUT_S = 15.0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="softphone-cli", description="Headless softphone (pjsua2 engine).")
    p.add_argument("--listen-port", type=int, default=0, help="local SIP UDP/TCP port (0 = any)")
    p.add_argument("--bind", default="127.0.0.1", help="local address for SIP and RTP")
    p.add_argument("--user", default="softphone", help="user part of the local URI when no --account")
    p.add_argument("--account", help="register user:password@domain")
    p.add_argument("--registrar", help="registrar host[:port] (default: the account domain)")
    p.add_argument("--proxy", help="outbound proxy host[:port]")
    p.add_argument(
        "--register-expires", type=int, default=300, metavar="SECONDS",
        help="registration lifetime asked of the registrar (default 300)",
    )
    p.add_argument("--transport", choices=("udp", "tcp", "tls"), default="udp")
    p.add_argument("--tls-port", type=int, default=0, help="local SIP TLS port (0 = any) with TLS enabled")
    p.add_argument("--tls-cert", help="PEM certificate for the TLS listener (enables TLS)")
    p.add_argument("--tls-key", help="PEM private key for --tls-cert")
    p.add_argument("--srtp", choices=("off", "optional", "mandatory"), default="off")
    p.add_argument("--sound-device", action="store_true", help="use real sound devices (default: null audio)")
    p.add_argument("--audio-input", help="microphone (PortAudio index or name) with --sound-device")
    p.add_argument("--audio-output", help="speaker (PortAudio index or name) with --sound-device")
    p.add_argument("--no-echo-cancel", action="store_true", help="no echo cancellation on the microphone")
    p.add_argument("--codec", action="append", default=[], help="preferred codec, e.g. G722/16000 (repeat)")
    p.add_argument("--call", metavar="URI", help="call this URI (or number in the account domain)")
    p.add_argument("--hotline", help="send X-Hotline with the call (a number or 'adaptive')")
    p.add_argument("--wait", action="store_true", help="stay up for incoming calls")
    p.add_argument(
        "--auto-answer", nargs="?", type=float, const=0.0, default=None, metavar="SECONDS",
        help="answer incoming calls (after SECONDS)",
    )
    p.add_argument("--play", metavar="WAV", help="loop this WAV into every call")
    p.add_argument("--tone", type=float, metavar="HZ", help="send a sine tone into every call")
    p.add_argument(
        "--record", metavar="WAV", help="record each call (both parties mixed); later calls get -2, -3..."
    )
    p.add_argument("--record-heard", metavar="WAV", help="record everything heard from all calls")
    p.add_argument("--message", nargs=2, metavar=("URI", "TEXT"), help="send a SIP MESSAGE")
    p.add_argument("--hangup-after", type=float, metavar="SECONDS", help="hang up this long after answer")
    p.add_argument("--dtmf", metavar="DIGITS", help="send these DTMF digits 1 s after the call is answered")
    p.add_argument("--dtmf-method", choices=("rfc4733", "info"), default="rfc4733")
    p.add_argument("--dnd", action="store_true", help="reject incoming calls with 486 Do Not Disturb")
    p.add_argument("--presence", help="publish this presence status once registered/started")
    p.add_argument("--subscribe", action="append", default=[], metavar="URI", help="watch presence of URI")
    p.add_argument("--duration", type=float, help="exit after this many seconds")
    p.add_argument("--json-events", action="store_true", help="print one JSON event per line on stdout")
    p.add_argument("--commands", action="store_true", help="read JSON commands from stdin")
    p.add_argument("--log-level", type=int, default=1, help="pjsip log level 0..6 (to stderr)")
    return p


def parse_account(spec: str, args: argparse.Namespace) -> AccountConfig:
    creds, _, domain = spec.rpartition("@")
    user, _, password = creds.partition(":")
    if not user or not domain:
        raise SystemExit(f"--account wants user:password@domain, got {spec!r}")
    return AccountConfig(
        account_id="main", display_name=user, sip_username=user, sip_password=password, sip_domain=domain,
        registrar=args.registrar, proxy=args.proxy, transport=args.transport, srtp=args.srtp,
        register_expires=args.register_expires, reg_retry_interval_s=5, reg_first_retry_s=1,
    )


def _device(spec: str | None) -> int | str | None:
    return int(spec) if spec is not None and spec.isdigit() else spec


def event_json(event: Any) -> str:
    """One engine event as a JSON line: ``{"event": "<class name>", **fields}``."""
    if dataclasses.is_dataclass(event) and not isinstance(event, type):
        return json.dumps({"event": type(event).__name__, **dataclasses.asdict(event)}, default=str)
    d = dict(event)
    return json.dumps({"event": d.pop("event"), **d}, default=str)


class CliSession:
    """The CLI's main-thread loop: prints events, follows the scripted flags, runs stdin commands."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        tls = args.transport == "tls" or bool(args.tls_cert)
        transports: tuple[Any, ...] = ("udp", "tcp", "tls") if tls else ("udp", "tcp")
        config = EngineConfig(
            user_agent="softphone-cli/0.1", log_level=args.log_level, sip_port=args.listen_port,
            bind_address=args.bind, transports=transports, null_audio=not args.sound_device,
            tls_port=args.tls_port, tls_cert_file=args.tls_cert or "", tls_key_file=args.tls_key or "",
            audio_input=_device(args.audio_input), audio_output=_device(args.audio_output),
            echo_cancel=not args.no_echo_cancel,
        )
        if args.codec:
            config = dataclasses.replace(config, codecs=tuple(args.codec))
        self.engine = Engine(config, lambda ev: self.inbox.put(("event", ev)))
        self.account_id = "main" if args.account else "local"
        self.deadlines: list[tuple[float, str, Any]] = []
        self.recorded = 0
        self.outgoing_done = args.call is None
        self.message_done = args.message is None
        self.exit_code = 0
        self.stop = False

    def out(self, line: str) -> None:
        if self.args.json_events:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def emit_json(self, **d: Any) -> None:
        self.out(json.dumps(d, default=str))

    def run(self) -> int:
        a = self.args
        engine = self.engine
        engine.start().result(30)
        port = engine.submit(cmds.LocalSipPort("udp")).result(10)
        if a.account:
            acc = parse_account(a.account, a)
        else:
            acc = AccountConfig(
                account_id="local", display_name=a.user, sip_username=a.user, sip_password="",
                sip_domain=f"{a.bind}:{port}", register=False, transport=a.transport, srtp=a.srtp,
            )
        engine.submit(cmds.AddAccount(acc)).result(10)
        if a.dnd:
            engine.submit(cmds.SetDnd(True)).result(10)
        if a.auto_answer is not None:
            engine.submit(cmds.SetAutoAnswer(True, a.auto_answer)).result(10)
        if a.tone or a.play:
            engine.submit(cmds.SetLocalSource(a.tone, a.play, True)).result(10)
        if a.record_heard:
            engine.submit(cmds.StartMonitor(a.record_heard)).result(10)
        if a.presence:
            engine.submit(cmds.PublishPresence(self.account_id, a.presence)).result(10)
        for uri in a.subscribe:
            engine.submit(cmds.SubscribePresence(self.account_id, uri)).result(10)
        tls_port = None
        if "tls" in engine.config.transports:
            tls_port = engine.submit(cmds.LocalSipPort("tls")).result(10)
        self.emit_json(
            event="Ready", sip_port=port, tls_port=tls_port, uri=f"sip:{a.user}@{a.bind}:{port}",
            account_id=self.account_id,
        )
        if a.commands:
            threading.Thread(target=self._read_stdin, name="cli-stdin", daemon=True).start()
        if a.duration is not None:
            self.deadlines.append((time.monotonic() + a.duration, "exit", None))
        if a.message:
            engine.submit(cmds.SendMessage(self.account_id, a.message[0], a.message[1])).result(10)
        if a.call:
            engine.submit(cmds.MakeCall(self.account_id, a.call, a.hotline)).result(10)
        while not self.stop:
            self._step()
            if not (a.wait or a.commands) and self.outgoing_done and self.message_done:
                break
        self.engine.stop().result(30)
        self.engine.join(10)
        self.emit_json(event="Exit", code=self.exit_code)
        return self.exit_code

    def _step(self) -> None:
        now = time.monotonic()
        for item in [d for d in self.deadlines if d[0] <= now]:
            self.deadlines.remove(item)
            self._deadline(item[1], item[2])
        try:
            kind, payload = self.inbox.get(timeout=0.05)
        except queue.Empty:
            return
        if kind == "event":
            self._on_event(payload)
        elif kind == "command":
            self._run_command(payload)
        elif kind == "eof":
            self.stop = True

    def _deadline(self, what: str, arg: Any) -> None:
        try:
            if what == "exit":
                self.stop = True
            elif what == "hangup":
                self.engine.submit(cmds.Hangup(arg)).result(10)
            elif what == "dtmf":
                self.engine.submit(cmds.SendDtmf(arg, self.args.dtmf, self.args.dtmf_method)).result(10)
        except Exception as exc:  # the call may have ended meanwhile
            logging.getLogger("softphone.cli").info("%s for %s: %s", what, arg, exc)

    def _on_event(self, ev: EngineEvent) -> None:
        self.out(event_json(ev))
        a = self.args
        if isinstance(ev, IncomingCall) and a.auto_answer is None and not a.commands and not a.wait:
            return
        if isinstance(ev, CallStateChanged):
            if ev.state == "confirmed":
                now = time.monotonic()
                if a.hangup_after is not None:
                    self.deadlines.append((now + a.hangup_after, "hangup", ev.call_id))
                if a.dtmf:
                    self.deadlines.append((now + 1.0, "dtmf", ev.call_id))
                if a.record:
                    self.recorded += 1
                    path = Path(a.record)
                    if self.recorded > 1:
                        path = path.with_name(f"{path.stem}-{self.recorded}{path.suffix}")
                    self.engine.submit(cmds.StartRecording(ev.call_id, str(path)))
            elif ev.state == "disconnected" and ev.direction == "outgoing" and a.call:
                self.outgoing_done = True
                if ev.code // 100 not in (2, 0) and not a.wait:
                    self.exit_code = 1
        elif isinstance(ev, MessageStatus):
            self.message_done = True
            if ev.code // 100 != 2:
                self.exit_code = 1

    def _read_stdin(self) -> None:
        for line in sys.stdin:
            line = line.strip()
            if line:
                self.inbox.put(("command", line))
        self.inbox.put(("eof", None))

    def _run_command(self, line: str) -> None:
        cid: Any = None
        try:
            msg = json.loads(line)
            cid = msg.get("id")
            cmd = msg["cmd"]
            if cmd == "quit":
                self.stop = True
                self.emit_json(event="CommandResult", id=cid, ok=True, result=None)
                return
            if cmd == "restart":
                result: Any = self.engine.restart().result(_COMMAND_TIMEOUT_S)
            else:
                command = cmds.from_json(cmd, msg.get("args", {}))
                result = self.engine.submit(command).result(_COMMAND_TIMEOUT_S)
            if dataclasses.is_dataclass(result):
                result = dataclasses.asdict(result)  # type: ignore[arg-type]
            self.emit_json(event="CommandResult", id=cid, ok=True, result=result)
        except Exception as exc:
            self.emit_json(event="CommandResult", id=cid, ok=False, error=f"{type(exc).__name__}: {exc}")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.json_events:
        # pjlib prints its first lines straight to fd 1 before our log writer is installed; keep stdout
        # for JSON only by giving it a private copy and pointing fd 1 at stderr.
        json_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = os.fdopen(json_fd, "w", buffering=1)
    level = logging.WARNING
    if args.log_level >= 3:
        level = logging.DEBUG if args.log_level >= 4 else logging.INFO
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    session = CliSession(args)

    def on_signal(signum: int, frame: Any) -> None:
        session.stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return session.run()


if __name__ == "__main__":
    sys.exit(main())
