"""A tiny pjsua2 process for the audio tests (one Endpoint per process, as pjsua2 requires).

Roles (JSON lines on stdout report progress and results):

* ``peer``: null sound device; answers one call, plays ``--tone-hz`` into it and records what it hears to
  ``--record``.
* ``bridge``: null sound device + ``softphone.audio.SoundDeviceBridge`` opened on real PortAudio devices.
  With ``--call URI`` it calls the peer and connects the call to the bridge (microphone -> call, call ->
  speaker). Without, it plays ``--tone-hz`` (or, with ``--ringback``, the ringback tone) into the bridge
  (-> speaker) and records the bridge's microphone to ``--record`` for ``--talk`` seconds.
  ``--refresh-at S`` rescans the devices (hot-plug refresh) S seconds into the talk.
  ``--echo-cancellation off`` turns the bridge's echo canceller off (``--echo-tail-ms`` sets its tail).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import pjsua2 as pj

from softphone.audio import SoundDeviceBridge, list_devices


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def tone_generator(hz: float, rate: int, volume: int = 0) -> pj.ToneGenerator:
    tg = pj.ToneGenerator()
    tg.createToneGenerator(rate, 1)
    desc = pj.ToneDesc()
    desc.freq1 = int(hz)
    desc.freq2 = 0
    desc.on_msec = 1000
    desc.off_msec = 0
    desc.volume = volume  # 0: pjmedia's default (loud)
    tones = pj.ToneDescVector()
    tones.append(desc)
    tg.play(tones, True)
    return tg


class Call(pj.Call):
    def __init__(self, agent: Agent, acc: pj.Account, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(acc, call_id)
        self.agent = agent
        self.state = ""

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        self.state = info.stateText
        emit(event="call_state", state=info.stateText, code=info.lastStatusCode)
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.agent.confirmed_at = time.monotonic()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.agent.disconnected = True

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        info = self.getInfo()
        for i, media in enumerate(info.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.agent.connect(self.getAudioMedia(i))


class Account(pj.Account):
    def __init__(self, agent: Agent) -> None:
        super().__init__()
        self.agent = agent

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = Call(self.agent, self, prm.callId)
        self.agent.calls.append(call)
        op = pj.CallOpParam()
        op.statusCode = 200
        call.answer(op)


class Agent:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.calls: list[Call] = []
        self.keep: list[Any] = []
        self.confirmed_at: float | None = None
        self.disconnected = False
        self.bridge: SoundDeviceBridge | None = None
        self.ep = pj.Endpoint()
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = False
        cfg.logConfig.level = 1
        cfg.logConfig.consoleLevel = 1
        cfg.medConfig.clockRate = 16000
        cfg.medConfig.noVad = True
        self.ep.libInit(cfg)
        tcfg = pj.TransportConfig()
        tcfg.port = 0
        tcfg.boundAddress = "127.0.0.1"
        tid = self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
        self.port = int(self.ep.transportGetInfo(tid).localName.rsplit(":", 1)[1])
        self.ep.audDevManager().setNullDev()
        self.ep.libStart()
        if args.codec:
            for codec in self.ep.codecEnum2():
                wanted = codec.codecId.lower().startswith(args.codec.lower())
                self.ep.codecSetPriority(codec.codecId, 255 if wanted else 0)
        acfg = pj.AccountConfig()
        acfg.idUri = f"sip:{args.role}@127.0.0.1:{self.port}"
        self.acc = Account(self)
        self.acc.create(acfg)

    def connect(self, call_media: pj.AudioMedia) -> None:
        if self.args.role == "peer":
            tg = tone_generator(self.args.tone_hz, 16000, self.args.tone_volume)
            self.keep.append(tg)
            tg.startTransmit(call_media)
            if self.args.record:
                rec = pj.AudioMediaRecorder()
                rec.createRecorder(self.args.record)
                self.keep.append(rec)
                call_media.startTransmit(rec)
        else:
            assert self.bridge is not None
            call_media.startTransmit(self.bridge.media)
            self.bridge.media.startTransmit(call_media)
        emit(event="media_connected")

    def pump(self, seconds: float, until: Any = None) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.ep.libHandleEvents(10)
            if until is not None and until():
                return

    def run(self) -> int:
        args = self.args
        emit(event="ready", port=self.port)
        if args.role == "peer":
            self.pump(args.max_seconds, until=lambda: self.disconnected)
            self.pump(0.3)
            emit(event="done")
            return 0
        bridge = SoundDeviceBridge.create(
            True,
            clock_rate=16000,
            echo_cancellation=args.echo_cancellation == "on",
            echo_tail_ms=args.echo_tail_ms,
        )
        self.bridge = bridge
        problem = bridge.open(args.input, args.output)
        emit(
            event="opened",
            problem=problem.reason if problem else None,
            input_open=bridge.input_open,
            output_open=bridge.output_open,
            latency=list(bridge.stream_latency()),
            devices=[d.name for d in list_devices()],
        )
        max_mic = 0.0
        max_spk = 0.0
        if args.call:
            call = Call(self, self.acc)
            self.calls.append(call)
            call.makeCall(args.call, pj.CallOpParam(True))
            self.pump(15, until=lambda: self.confirmed_at is not None or self.disconnected)
            if self.confirmed_at is None:
                emit(event="result", ok=False, reason="call not confirmed")
                return 1
        elif args.ringback:
            bridge.start_ringback()
        else:
            tg = tone_generator(args.tone_hz, 16000)
            self.keep.append(tg)
            tg.startTransmit(bridge.media)
            if args.record:
                rec = pj.AudioMediaRecorder()
                rec.createRecorder(args.record)
                self.keep.append(rec)
                bridge.media.startTransmit(rec)
        started = time.monotonic()
        deadline = started + args.talk
        refreshed = False
        while time.monotonic() < deadline:
            self.ep.libHandleEvents(10)
            if args.refresh_at and not refreshed and time.monotonic() - started >= args.refresh_at:
                refreshed = True
                devices, problem = bridge.refresh_devices()
                if args.tone_after_refresh:
                    # A new frequency marks what was played after the refresh.
                    for old in [k for k in self.keep if isinstance(k, pj.ToneGenerator)]:
                        old.stopTransmit(bridge.media)
                    tg = tone_generator(args.tone_after_refresh, 16000)
                    self.keep.append(tg)
                    tg.startTransmit(bridge.media)
                emit(
                    event="refreshed",
                    at=time.monotonic() - started,
                    problem=problem.reason if problem else None,
                    devices=[d.name for d in devices],
                    input_open=bridge.input_open,
                    output_open=bridge.output_open,
                )
            max_mic = max(max_mic, bridge.mic_level)
            max_spk = max(max_spk, bridge.speaker_meter.level)
        if args.call:
            self.ep.hangupAllCalls()
            self.pump(3, until=lambda: self.disconnected)
        emit(
            event="result",
            ok=True,
            max_mic_level=max_mic,
            max_speaker_level=max_spk,
            frames_requested=bridge.frames_requested,
            frames_received=bridge.frames_received,
            mic_underruns=bridge.stats.mic_underrun_bytes,
            speaker_underruns=bridge.stats.speaker_underrun_bytes,
            echo_state=bridge.echo_stats.state,
            echo_frames=bridge.echo_stats.frames,
            echo_mean_us=bridge.echo_stats.mean_us,
            echo_max_us=bridge.echo_stats.max_us,
            echo_resyncs=bridge.echo_resyncs,
            echo_shifts=bridge.echo_shifts,
            stream_errors=bridge.stats.stream_errors,
            health=(lambda p: p.reason if p else None)(bridge.health()),
        )
        return 0

    def shutdown(self) -> None:
        if self.bridge is not None:
            self.bridge.destroy()
            # Stop the conference clock first: a SWIG director half torn down by the garbage collector must
            # not be called from the clock thread (seen as AttributeError then SIGSEGV under CPU load).
            self.ep.audDevManager().setNoDev()
        self.keep.clear()
        self.calls.clear()
        self.bridge = None
        self.acc.shutdown()
        self.ep.libDestroy()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["peer", "bridge"], required=True)
    parser.add_argument("--tone-hz", type=float, default=1000.0)
    parser.add_argument("--record", default="")
    parser.add_argument("--call", default="")
    parser.add_argument("--talk", type=float, default=3.0)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--input", default=None)
    parser.add_argument("--output", default=None)
    parser.add_argument("--ringback", action="store_true")
    parser.add_argument("--refresh-at", type=float, default=0.0)
    parser.add_argument("--tone-after-refresh", type=float, default=0.0)
    parser.add_argument("--tone-volume", type=int, default=0, help="peak amplitude (0: pjmedia's default)")
    parser.add_argument("--codec", default="", help="only this codec, e.g. PCMU/8000")
    parser.add_argument("--echo-cancellation", choices=["on", "off"], default="on")
    parser.add_argument("--echo-tail-ms", type=int, default=200)
    args = parser.parse_args()
    agent = Agent(args)
    try:
        return agent.run()
    finally:
        agent.shutdown()


if __name__ == "__main__":
    sys.exit(main())
