"""Two-party call recording with the real rtpengine: the SIP adapter's media hook (CallAnchor) rewrites
the INVITE's and the 200 OK's SDP as the proxy sends them, both phones' RTP then flows through rtpengine
(each hears the other), and one mixed WAV per call holds both parties' tones, valid while recording,
listed in index.jsonl under the Call-ID and named so the call history links it; BYE ends it all."""

from __future__ import annotations

import asyncio
import json
import os
import wave
from pathlib import Path

import pytest
from media_audio import amplitude, read_wav

from server.media.call_recording import CallAnchor, CallRecorders, recording_policy
from server.media.engine import RtpEngine
from server.media.recording import safe_name
from server.media.rtp_probe import ProbeLeg, pace, pcmu_tone, remote_of
from server.sip.address import Address
from server.sip.message import SipRequest, SipResponse
from server.sip.parser import parse_message

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing")
PHONE = Address("udp", "127.0.0.1", 5099)


def _invite(call_id: str, sdp: str, caller: str = "101", callee: str = "102") -> SipRequest:
    msg = parse_message(
        (
            f"INVITE sip:{callee}@127.0.0.1:5099 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx1\r\n"
            f"From: <sip:{caller}@example.com>;tag=caller-tag\r\nTo: <sip:{callee}@example.com>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 69\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
        ).encode()
    )
    assert isinstance(msg, SipRequest)
    return msg


def _ok(invite: SipRequest, sdp: str) -> SipResponse:
    head = (
        f"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx1\r\n"
        f"From: {invite.headers.get('From')}\r\nTo: {invite.headers.get('To')};tag=callee-tag\r\n"
        f"Call-ID: {invite.call_id}\r\nCSeq: 1 INVITE\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
    )
    msg = parse_message(head.encode())
    assert isinstance(msg, SipResponse)
    return msg


def _reinvite_from_callee(invite: SipRequest, sdp: str) -> SipRequest:
    msg = parse_message(
        (
            "INVITE sip:101@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx3\r\n"
            f"From: {invite.headers.get('To')};tag=callee-tag\r\nTo: {invite.headers.get('From')}\r\n"
            f"Call-ID: {invite.call_id}\r\nCSeq: 7 INVITE\r\nMax-Forwards: 69\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
        ).encode()
    )
    assert isinstance(msg, SipRequest)
    return msg


def _ok_to(request: SipRequest, sdp: str) -> SipResponse:
    msg = parse_message(
        (
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx3\r\n"
            f"From: {request.headers.get('From')}\r\nTo: {request.headers.get('To')}\r\n"
            f"Call-ID: {request.call_id}\r\nCSeq: {request.headers.get('CSeq')}\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
        ).encode()
    )
    assert isinstance(msg, SipResponse)
    return msg


def _bye(invite: SipRequest) -> SipRequest:
    msg = parse_message(
        (
            "BYE sip:101@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx2\r\n"
            f"From: {invite.headers.get('To')};tag=callee-tag\r\nTo: {invite.headers.get('From')}\r\n"
            f"Call-ID: {invite.call_id}\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
        ).encode()
    )
    assert isinstance(msg, SipRequest)
    return msg


async def test_recorded_call_is_anchored_and_mixed_into_one_wav(tmp_path: Path) -> None:
    engine = RtpEngine(port_min=47000, port_max=47999)
    await engine.start()
    recorders = CallRecorders(engine, tmp_path / "rec")
    anchor = CallAnchor(engine, recorders, recording_policy(["102"]), exclude=[("127.0.0.1", 5098)])
    caller, callee = ProbeLeg("127.0.0.1", 700, pcmu_tone(700)), ProbeLeg("127.0.0.1", 1200, pcmu_tone(1200))
    try:
        for leg in (caller, callee):
            await leg.open()
        call_id = "rec-call-1@test"
        invite = _invite(call_id, caller.sdp())
        # not recorded: other users, and anything to an excluded destination (the feature UAS)
        assert not anchor.wants(_invite("other", caller.sdp(), "103", "104"), PHONE)
        assert not anchor.wants(invite, Address("udp", "127.0.0.1", 5098))
        assert anchor.wants(invite, PHONE)
        original = invite.body
        await anchor.rewrite(invite)
        assert invite.body != original and remote_of(invite.body.decode())[1] in range(47000, 48000)
        rewritten = invite.body
        assert anchor.wants(invite, PHONE)  # a retransmission of the same (rewritten) message: unchanged
        await anchor.rewrite(invite)
        assert invite.body == rewritten
        callee.remote = remote_of(invite.body.decode())
        ok = _ok(invite, callee.sdp())
        assert anchor.wants(ok, PHONE)
        await anchor.rewrite(ok)
        caller.remote = remote_of(ok.body.decode())
        assert caller.remote[1] in range(47000, 48000)
        await asyncio.sleep(0.2)  # the recording's subscriptions
        await pace([caller, callee], 2.5)
        await asyncio.sleep(0.1)
        assert abs(caller.stats.dominant_hz() - 1200) < 30 and abs(callee.stats.dominant_hz() - 700) < 30
        # a re-INVITE from the callee's side (a session refresh): offer and answer rewritten, media still
        # through the engine; a 2xx we did not anchor an offer for passes untouched
        reinvite = _reinvite_from_callee(invite, callee.sdp())
        assert anchor.wants(reinvite, PHONE)
        await anchor.rewrite(reinvite)
        assert remote_of(reinvite.body.decode())[1] in range(47000, 48000)
        reok = _ok_to(reinvite, caller.sdp())
        assert anchor.wants(reok, PHONE)
        await anchor.rewrite(reok)
        callee.remote = remote_of(reok.body.decode())
        assert callee.remote[1] in range(47000, 48000)
        caller.remote = remote_of(reinvite.body.decode())
        late_offer = _ok_to(reinvite, caller.sdp())
        late_offer.headers.set("CSeq", "8 INVITE")
        assert not anchor.wants(late_offer, PHONE)
        await pace([caller, callee], 1.0)
        await asyncio.sleep(0.1)
        assert abs(caller.stats.dominant_hz() - 1200) < 30 and abs(callee.stats.dominant_hz() - 700) < 30
        (wav_path,) = (tmp_path / "rec").glob("*.wav")
        assert wav_path.name.endswith(f"_102_{safe_name(call_id)}.wav")  # what the call history looks for
        with wave.open(str(wav_path)) as wav:  # crash-safe: valid while recording
            assert wav.getnframes() >= 8000
        bye = _bye(invite)
        assert not anchor.wants(bye, PHONE)  # sent at once; the call's end is noticed
        await asyncio.sleep(0.3)
        assert not anchor.calls and not recorders.recordings
        (line,) = (tmp_path / "rec" / "index.jsonl").read_text().splitlines()
        entry = json.loads(line)
        assert entry["call_id"] == call_id and entry["path"] == wav_path.name
        assert (entry["caller"], entry["callee"]) == ("101", "102")
        samples, rate = read_wav(wav_path)
        assert len(samples) >= 2 * rate
        middle = samples[rate // 2 : 2 * rate]
        assert amplitude(middle, rate, 700) > 1000 and amplitude(middle, rate, 1200) > 1000
        assert "rec-call-1@test" not in str(await engine.command("list", {}))
    finally:
        for leg in (caller, callee):
            leg.close()
        await recorders.close()
        await engine.stop()


async def test_a_recording_without_audio_ends_and_forgets_the_call(tmp_path: Path) -> None:
    engine = RtpEngine(port_min=47000, port_max=47999)
    await engine.start()
    recorders = CallRecorders(engine, tmp_path / "rec", idle_timeout=0.5)
    anchor = CallAnchor(engine, recorders, recording_policy(["*"]))
    caller, callee = ProbeLeg("127.0.0.1", 700, pcmu_tone(700)), ProbeLeg("127.0.0.1", 1200, pcmu_tone(1200))
    try:
        for leg in (caller, callee):
            await leg.open()
        invite = _invite("idle-call@test", caller.sdp())
        assert anchor.wants(invite, PHONE)
        await anchor.rewrite(invite)
        ok = _ok(invite, callee.sdp())
        assert anchor.wants(ok, PHONE)
        await anchor.rewrite(ok)
        for _ in range(30):
            if recorders.recordings:
                break
            await asyncio.sleep(0.05)
        assert recorders.recordings
        await asyncio.sleep(2.0)  # nobody sends: after 0.5 s without audio (checked every second) it ends
        assert not recorders.recordings and not anchor.calls
        (line,) = (tmp_path / "rec" / "index.jsonl").read_text().splitlines()
        assert json.loads(line)["call_id"] == "idle-call@test"
    finally:
        for leg in (caller, callee):
            leg.close()
        await recorders.close()
        await engine.stop()


async def test_engine_kill_ends_the_anchored_calls_through_the_pbx(tmp_path: Path) -> None:
    import signal

    engine = RtpEngine(port_min=47000, port_max=47999)
    await engine.start()
    recorders = CallRecorders(engine, tmp_path / "rec")
    anchor = CallAnchor(engine, recorders, recording_policy(["*"]))
    engine.on_restart = anchor.engine_restarted
    ended: list[tuple[str, str]] = []
    anchor.hang_up = lambda call_id, reason: ended.append((call_id, reason)) is None
    caller, callee = ProbeLeg("127.0.0.1", 700, pcmu_tone(700)), ProbeLeg("127.0.0.1", 1200, pcmu_tone(1200))
    try:
        for leg in (caller, callee):
            await leg.open()
        invite = _invite("killed@test", caller.sdp())
        assert anchor.wants(invite, PHONE)
        await anchor.rewrite(invite)
        ok = _ok(invite, callee.sdp())
        assert anchor.wants(ok, PHONE)
        await anchor.rewrite(ok)
        await asyncio.sleep(0.2)
        assert recorders.recordings
        assert engine.pid is not None
        os.kill(engine.pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        await engine.wait_running(2.0)
        for _ in range(20):
            if ended:
                break
            await asyncio.sleep(0.05)
        assert ended == [("killed@test", "Media engine restarted")]
        assert not anchor.calls and not recorders.recordings
        assert (tmp_path / "rec" / "index.jsonl").exists()  # the WAV was closed and listed
    finally:
        for leg in (caller, callee):
            leg.close()
        await recorders.close()
        await engine.stop()


async def test_a_cancel_or_bye_never_overtakes_a_message_being_rewritten(tmp_path: Path) -> None:
    engine = RtpEngine(port_min=47000, port_max=47999)
    await engine.start()
    recorders = CallRecorders(engine, tmp_path / "rec")
    anchor = CallAnchor(engine, recorders, recording_policy(["*"]))
    caller, callee = ProbeLeg("127.0.0.1", 700, pcmu_tone(700)), ProbeLeg("127.0.0.1", 1200, pcmu_tone(1200))
    sent: list[str] = []

    async def send(message: SipRequest | SipResponse, name: str) -> None:  # what CoreRunner does
        await anchor.rewrite(message)
        sent.append(name)

    try:
        for leg in (caller, callee):
            await leg.open()
        invite = _invite("order@test", caller.sdp())
        cancel = _bye(invite)  # any in-dialog request of the call: held behind the INVITE
        assert anchor.wants(invite, PHONE) and anchor.wants(cancel, PHONE)
        await asyncio.gather(send(invite, "invite"), send(cancel, "bye"))
        assert sent == ["invite", "bye"]
        await asyncio.sleep(0.2)
        assert not anchor.calls  # the BYE ended it
        invite2 = _invite("order2@test", caller.sdp())
        assert anchor.wants(invite2, PHONE)
        await send(invite2, "invite2")
        ok = _ok(invite2, callee.sdp())
        bye = _bye(invite2)
        assert anchor.wants(ok, PHONE) and anchor.wants(bye, PHONE)
        await asyncio.gather(send(ok, "ok"), send(bye, "bye2"))
        assert sent[-2:] == ["ok", "bye2"]
        await asyncio.sleep(0.3)
        assert not anchor.calls and not recorders.recordings  # a recording started late is stopped too
    finally:
        for leg in (caller, callee):
            leg.close()
        await recorders.close()
        await engine.stop()
