"""Test peer: a pjsua2 endpoint that calls a SIP URI, sends a tone and records what it hears.

Run in a subprocess (one Endpoint per process):
    python sip_caller.py --target sip:*43@127.0.0.1:P --tone 700 --record out.wav --seconds 2.5
Prints ``CONNECTED`` when the call's audio is up, then one JSON line on stdout:
 {"connected": bool, "code": int, "reason": str, "recorded_s": float}.
Every wait is bounded by --timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import pjsua2 as pj

CLOCK_RATE = 16000


class Caller(pj.Call):
    def __init__(self, account: pj.Account) -> None:
        super().__init__(account)
        self.media_active = False
        self.disconnected = False
        self.code = 0
        self.reason = ""
        self.media_changes = 0

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        if info.lastStatusCode:
            self.code = int(info.lastStatusCode)
            self.reason = str(info.lastReason)
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.disconnected = True

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        info = self.getInfo()
        self.media_active = any(
            m.type == pj.PJMEDIA_TYPE_AUDIO and m.status == pj.PJSUA_CALL_MEDIA_ACTIVE for m in info.media
        )
        self.media_changes += 1


def _talk(
    ep: pj.Endpoint,
    call: Caller,
    tone_hz: int,
    record: str | None,
    seconds: float,
    hold_after: float | None = None,
) -> float:
    """Send a continuous tone and record the call for ``seconds``; every port dies on return.

    With ``hold_after``, the call is put on hold after that many seconds and resumed 0.5 s later
    (two re-INVITEs); the tone and the recorder follow the call's audio port across them.
    """
    audio = call.getAudioMedia(-1)
    tone = pj.ToneGenerator()
    tone.createToneGenerator(CLOCK_RATE, 1)
    desc = pj.ToneDesc()
    desc.freq1 = tone_hz
    desc.freq2 = 0
    desc.on_msec = 30_000
    desc.off_msec = 0
    tones = pj.ToneDescVector()
    tones.append(desc)
    tone.play(tones, True)
    tone.startTransmit(audio)
    recorder = None
    if record:
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(record)
        audio.startTransmit(recorder)
    started = time.monotonic()
    held_at: float | None = None
    resumed = False
    seen_changes = call.media_changes
    while not call.disconnected and time.monotonic() < started + seconds:
        ep.libHandleEvents(10)
        now = time.monotonic()
        if hold_after is not None and held_at is None and now >= started + hold_after:
            call.setHold(pj.CallOpParam(True))
            held_at = now
        elif held_at is not None and not resumed and now >= held_at + 0.5:
            prm = pj.CallOpParam(True)
            prm.opt.flag = pj.PJSUA_CALL_UNHOLD
            call.reinvite(prm)
            resumed = True
        if call.media_changes != seen_changes and call.media_active:
            seen_changes = call.media_changes
            audio = call.getAudioMedia(-1)
            tone.startTransmit(audio)
            if recorder is not None:
                audio.startTransmit(recorder)
    elapsed = time.monotonic() - started
    del recorder  # closes the WAV
    del tone
    return round(elapsed, 3)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--tone", type=int, default=700)
    parser.add_argument("--record", default=None)
    parser.add_argument("--seconds", type=float, default=2.5)
    parser.add_argument("--hold-after", type=float, default=None, help="hold, then resume 0.5 s later")
    parser.add_argument("--codec", default="PCMU/8000", help="the only codec offered (prefix of a codec id)")
    parser.add_argument("--srtp", choices=("off", "mandatory"), default="off")
    parser.add_argument("--proxy", default=None, help="outbound proxy URI, e.g. sip:127.0.0.1:5060")
    parser.add_argument("--username", default=None, help="digest user (with --password, --domain)")
    parser.add_argument("--password", default="")
    parser.add_argument("--domain", default="127.0.0.1")
    parser.add_argument("--timeout", type=float, default=15.0)
    args = parser.parse_args()

    # pjlib logs to fd 1 before libInit; keep stdout for the JSON result alone.
    result_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = False
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
    cfg.medConfig.clockRate = CLOCK_RATE
    cfg.medConfig.sndClockRate = CLOCK_RATE
    cfg.medConfig.noVad = True
    cfg.medConfig.ecTailLen = 0
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    if args.codec:
        for info in ep.codecEnum2():
            ep.codecSetPriority(
                info.codecId, 255 if info.codecId.lower().startswith(args.codec.lower()) else 0
            )
    tcfg = pj.TransportConfig()
    tcfg.port = 0
    tcfg.boundAddress = "127.0.0.1"
    tid = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    port = int(ep.transportGetInfo(tid).localName.rsplit(":", 1)[1])
    ep.libStart()

    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:{args.username}@{args.domain}" if args.username else f"sip:caller@127.0.0.1:{port}"
    if args.proxy:
        acfg.sipConfig.proxies.append(args.proxy)
    if args.username:
        acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", args.username, 0, args.password))
    acfg.sipConfig.transportId = tid
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.port = 0
    srtp = {"off": pj.PJMEDIA_SRTP_DISABLED, "mandatory": pj.PJMEDIA_SRTP_MANDATORY}[args.srtp]
    acfg.mediaConfig.srtpUse = srtp
    acfg.mediaConfig.srtpSecureSignaling = 0
    account = pj.Account()
    account.create(acfg, True)

    call = Caller(account)
    prm = pj.CallOpParam(True)
    call.makeCall(args.target, prm)

    result: dict[str, object] = {"connected": False, "code": 0, "reason": "", "recorded_s": 0.0}
    deadline = time.monotonic() + args.timeout
    while not call.disconnected and not call.media_active and time.monotonic() < deadline:
        ep.libHandleEvents(10)

    if call.media_active and not call.disconnected:
        result["connected"] = True
        result_out.write("CONNECTED\n")
        result_out.flush()
        talk_s = min(args.seconds, deadline - time.monotonic())
        result["recorded_s"] = _talk(ep, call, args.tone, args.record, talk_s, args.hold_after)
        if not call.disconnected:
            call.hangup(pj.CallOpParam())
    hang_deadline = time.monotonic() + 3.0
    while not call.disconnected and time.monotonic() < hang_deadline:
        ep.libHandleEvents(10)
    result["code"] = call.code
    result["reason"] = call.reason
    del call
    account.shutdown()
    del account
    ep.libDestroy()
    result_out.write(json.dumps(result) + "\n")
    result_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
