"""End to end: `softphone-server run --demo` routes its IVR hotline through the call center.

A carrier (an RTP/SIP probe on 127.0.0.1, the demo trunk's host) calls 02873001234; the PBX's call-center
UAS answers with rtpengine, plays the greeting, takes DTMF 1 (RFC 4733), puts the caller in the sales queue
with hold music and rings an agent (a real softphone-cli) through the proxy; on answer caller and agent are
bridged in rtpengine and each hears the other's tone.  After hours the caller lands in voicemail (a WAV
that is not silent).  A caller who hangs up while waiting is an ABANDON; an agent in DND is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import sqlite3
import struct
import sys
import time
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from server.media.prompts import CLOSED_HZ, GREETING_HZ, MOH_NOTES_HZ, VOICEMAIL_HZ
from server.media.rtp_probe import ProbeCall, ProbeLeg, SipProbe, pace, pcmu_tone
from server.sip.message import SipRequest, make_response, new_tag
from server.sip.parser import parse_message
from softphone.testing import CliPeer, DemoServer, free_port, read_wav, rms, tone_levels

sys.path.insert(0, str(Path(__file__).parents[1] / "sip"))
from sip_load import LoadClient

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing"),
]

HOTLINE = "02873001234"
CALLER_HZ = 700.0
OWN_GREETING_HZ = 500.0
AGENT_HZ = 1200.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DemoServer]:
    demo = DemoServer(tmp_path / "data")
    demo.start()
    try:
        yield demo
    finally:
        demo.stop()


class Admin:
    def __init__(self, server: DemoServer) -> None:
        self.base = f"{server.url}/api/v1"
        r = httpx.post(f"{self.base}/auth/login", json={"login": "84901000100", "password": "admin1234"})
        assert r.status_code == 200, r.text
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def get(self, path: str) -> Any:
        r = httpx.get(f"{self.base}{path}", headers=self.headers, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def send(self, method: str, path: str, body: dict[str, Any]) -> Any:
        r = httpx.request(method, f"{self.base}{path}", json=body, headers=self.headers, timeout=10)
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    def business_hours(self, override: str) -> None:
        schedule = self.get("/admin/schedules")[0]
        self.send(
            "PUT",
            f"/admin/schedules/{schedule['id']}",
            {
                "name": schedule["name"],
                "config": {**schedule["config"], "override": override},
            },
        )

    def user_id(self, extension: str) -> int:
        users = self.get("/admin/users")
        found = next(u for u in users if extension in u.get("extensions", []))
        return int(found["id"])

    def calls(self) -> list[dict[str, Any]]:
        return list(self.get("/admin/calls"))


@pytest.fixture
async def carrier(server: DemoServer) -> AsyncIterator[SipProbe]:
    probe = SipProbe(("127.0.0.1", server.sip_port))  # from 127.0.0.1: the demo trunk's host
    await probe.open()
    try:
        yield probe
    finally:
        probe.close()


async def dial(carrier: SipProbe) -> tuple[ProbeLeg, ProbeCall, asyncio.Task[None]]:
    leg = ProbeLeg("127.0.0.1", CALLER_HZ, pcmu_tone(CALLER_HZ))
    await leg.open()
    call = await carrier.invite(HOTLINE, leg, timeout=10)
    assert call.status == 200, (call.status, call.reason_header)
    sender = asyncio.create_task(pace([leg], 40.0))
    return leg, call, sender


def rfc4733(leg: ProbeLeg, event: int) -> None:
    """One RFC 4733 digit (its own SSRC; each digit of a leg a new timestamp and later sequence numbers)."""
    assert leg.transport is not None and leg.remote is not None
    n = DIGITS_SENT[id(leg)] = DIGITS_SENT.get(id(leg), 0) + 1
    for i, end in enumerate([0, 0, 0, 0x80, 0x80, 0x80]):
        body = struct.pack("!BBH", event, end | 10, 160 * (i + 1))
        seq, stamp = 7000 + 10 * n + i, 8000 * (77 + n)
        hdr = struct.pack("!BBHII", 0x80, 101 | (0x80 if i == 0 else 0), seq, stamp, 99)
        leg.transport.sendto(hdr + body, leg.remote)


DIGITS_SENT: dict[int, int] = {}


async def hears(leg: ProbeLeg, freqs: tuple[float, ...], timeout: float = 8.0) -> float:
    """Wait until the caller's last second is dominated by one of `freqs`; that frequency."""
    deadline = time.monotonic() + timeout
    heard = 0.0
    while time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        heard = leg.stats.dominant_hz()
        if any(abs(heard - f) < 30 for f in freqs):
            return heard
    raise AssertionError(f"caller heard {heard:.0f} Hz, not one of {freqs}")


async def in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(fn, *args, **kwargs)


def agent(server: DemoServer, extension: str) -> CliPeer:
    return server.agent(extension, "--auto-answer", "2.5", "--tone", str(AGENT_HZ))  # hold music first


async def test_in_hours_ivr_queue_agent_two_way_audio_and_one_cdr_with_the_path(
    server: DemoServer, carrier: SipProbe, tmp_path: Path
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    a101 = await in_thread(agent, server, "101")
    try:
        leg, call, sender = await dial(carrier)
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 1)  # sales
        await hears(leg, MOH_NOTES_HZ)  # waiting in the queue with hold music
        incoming = await in_thread(a101.wait_for, lambda e: e["event"] == "IncomingCall", 15)
        await in_thread(a101.wait_state, "confirmed", incoming["call_id"], 15)
        await hears(leg, (AGENT_HZ,))  # the agent's tone reaches the caller
        levels = await in_thread(
            a101.heard, tmp_path / "agent.wav", [CALLER_HZ, AGENT_HZ], 1.2, {CALLER_HZ: 0.3}
        )
        assert levels[CALLER_HZ] > 0.3, levels  # and the caller's reaches the agent
        carrier.bye(call)
        await in_thread(a101.wait_state, "disconnected", incoming["call_id"], 15)
        sender.cancel()
    finally:
        await in_thread(a101.quit)
    for _ in range(50):
        record = next((c for c in admin.calls() if c["callee"] == HOTLINE), None)
        if record and record["end"] and record.get("path"):
            break
        await asyncio.sleep(0.2)
    assert record is not None and record["direction"] == "inbound", record
    assert record["path"].startswith("schedule") and "ivr" in record["path"], record
    assert "queue" in record["path"] and record["path"].endswith("agent 101"), record
    assert record["callee_user_id"] == admin.user_id("101") and record["disposition"] == "completed", record
    assert len([c for c in admin.calls() if c["callee"] == HOTLINE]) == 1  # one record for the whole call
    assert "ENTERQUEUE" in server_text(server) and "CONNECT" in server_text(server)


def server_text(server: DemoServer) -> str:
    return "".join(server.output)


class Phone(LoadClient):
    """A bare SIP device that registers and keeps the NOTIFYs it gets."""

    def __init__(self, pbx: tuple[str, int], domain: str) -> None:
        super().__init__(pbx, domain)
        self.notifies: list[str] = []

    def _received(self, data: bytes) -> None:
        if data.startswith(b"NOTIFY "):
            self.notifies.append(data.decode(errors="replace"))
        super()._received(data)


async def test_after_hours_closed_prompt_then_voicemail_recorded_and_message_waiting_sent(
    server: DemoServer, carrier: SipProbe, tmp_path: Path
) -> None:
    Admin(server).business_hours("closed")
    phone = await Phone.open(server.sip_port, "demo.local")  # 102's desk phone (sales: owns the box)
    resp = await phone.register("102", "demo102", call_id="mwi-102", cseq=1)
    assert resp.status == 200
    leg, call, sender = await dial(carrier)
    await hears(leg, (CLOSED_HZ,))
    await asyncio.sleep(6.0)  # the rest of the prompt, the beep, then the 700 Hz (slow under load)
    carrier.bye(call)
    sender.cancel()
    folder = server.data_dir / "voicemail"
    for _ in range(50):
        wavs = list(folder.glob("*/*.wav"))
        if wavs and (folder / wavs[0].parent.name / "index.jsonl").exists():
            break
        await asyncio.sleep(0.1)
    assert len(wavs) == 1, wavs
    samples, rate = read_wav(wavs[0])
    assert len(samples) / rate > 0.5
    assert rms(wavs[0]) > 0.05  # the caller spoke (a 0.24 full-scale tone: rms 0.17)
    assert tone_levels(wavs[0], [CALLER_HZ], skip_s=0.3)[CALLER_HZ] > 0.3
    for _ in range(30):
        if phone.notifies:
            break
        await asyncio.sleep(0.1)
    assert len(phone.notifies) == 1, phone.notifies
    notify = phone.notifies[0]
    assert "Event: message-summary" in notify and "Messages-Waiting: yes" in notify, notify
    assert "Voice-Message: 1/0" in notify and "sip:102@demo.local" in notify, notify
    await _voicemail_through_the_api(server, phone, wavs[0])


def _login(server: DemoServer, phone: str, password: str) -> dict[str, str]:
    r = httpx.post(f"{server.url}/api/v1/auth/login", json={"login": phone, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _voicemail_through_the_api(server: DemoServer, phone: Phone, wav: Path) -> None:
    """The recorded message as 102 (a member of the sales queue that owns the box) sees it: listed,
    listened to, heard (a new message summary goes to the phone), deleted (file and line gone); 103, who
    serves no sales queue, sees none of it."""
    base = f"{server.url}/api/v1/me/voicemail"
    me = _login(server, "84901000102", "agent102")
    other = _login(server, "84901000103", "agent103")
    listed = httpx.get(base, headers=me).json()
    assert len(listed) == 1, listed
    msg = listed[0]
    assert msg["caller"] == "probe" and msg["heard"] is False and msg["duration"] > 0.5, msg
    assert msg["box_name"] and abs(msg["at"] - time.time()) < 60, msg
    assert httpx.get(base, headers=other).json() == []
    r = httpx.get(f"{base}/{msg['id']}/audio", headers=me)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content == wav.read_bytes()
    assert httpx.get(f"{base}/{msg['id']}/audio", headers=other).status_code == 404
    assert httpx.get(f"{base}/1-..%2F..%2Fdemo.db/audio", headers=me).status_code == 404
    assert httpx.post(f"{base}/{msg['id']}/heard", headers=me).status_code == 204
    assert httpx.get(base, headers=me).json()[0]["heard"] is True
    for _ in range(30):
        if len(phone.notifies) > 1:
            break
        await asyncio.sleep(0.1)
    phone.close()
    assert len(phone.notifies) == 2 and "Messages-Waiting: no" in phone.notifies[-1], phone.notifies
    assert "Voice-Message: 0/1" in phone.notifies[-1], phone.notifies
    assert httpx.delete(f"{base}/{msg['id']}", headers=other).status_code == 404
    assert httpx.delete(f"{base}/{msg['id']}", headers=me).status_code == 204
    assert not wav.exists() and httpx.get(base, headers=me).json() == []
    assert httpx.delete(f"{base}/{msg['id']}", headers=me).status_code == 404


async def test_a_wideband_caller_leaves_a_voicemail_that_holds_their_voice(server: DemoServer) -> None:
    """A real pjsua2 caller speaking G.722 (desk phones and softphones prefer it): rtpengine transcodes to
    the voicemail recorder's G.711 (it forwarded G.722 as it was, and the WAV stayed empty)."""
    Admin(server).business_hours("closed")
    caller = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "softphone.cli", "--listen-port", str(free_port()), "--user", "0912345678",
        "--codec", "G722/16000", "--call", f"sip:{HOTLINE}@127.0.0.1:{server.sip_port}",
        "--tone", str(CALLER_HZ), "--hangup-after", "9",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await asyncio.wait_for(caller.wait(), 40) == 0
    folder = server.data_dir / "voicemail"
    for _ in range(50):
        wavs = list(folder.glob("*/*.wav"))
        if wavs and (wavs[0].parent / "index.jsonl").exists():
            break
        await asyncio.sleep(0.1)
    assert len(wavs) == 1, wavs
    samples, rate = read_wav(wavs[0])
    assert len(samples) / rate > 3.0
    assert tone_levels(wavs[0], [CALLER_HZ], skip_s=0.5)[CALLER_HZ] > 0.3


async def test_caller_hangs_up_while_waiting_is_an_abandon_and_an_agent_in_dnd_is_skipped(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    admin.send("PATCH", f"/admin/users/{admin.user_id('103')}", {"dnd": True})  # support's only agent
    a103 = await in_thread(agent, server, "103")
    try:
        leg, call, sender = await dial(carrier)
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 2)  # support
        await hears(leg, MOH_NOTES_HZ)
        await asyncio.sleep(2.0)  # registered, but in DND: never rung
        assert a103.find(lambda e: e["event"] == "IncomingCall") is None
        carrier.bye(call)
        sender.cancel()
        for _ in range(50):
            if "ABANDON" in server_text(server):
                break
            await asyncio.sleep(0.1)
        assert "ABANDON" in server_text(server), server_text(server)[-3000:]
        line = next(x for x in server_text(server).splitlines() if "ABANDON" in x)
        assert "'wait'" in line and "'position': 1" in line
    finally:
        await in_thread(a103.quit)


def queue_log(server: DemoServer, event: str) -> list[str]:
    return [x for x in server_text(server).splitlines() if "queue_log" in x and f" {event} " in x]


async def test_agent_who_does_not_answer_is_ringnoanswer_the_next_answers_and_wrapup_is_respected(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    sales = next(q for q in admin.get("/admin/queues") if q["name"] == "Sales")
    config = {**sales["config"], "ring_timeout": 3, "wrapup": 6}
    admin.send("PUT", f"/admin/queues/{sales['id']}", {"name": "Sales", "config": config})
    id101, id102 = admin.user_id("101"), admin.user_id("102")
    silent = await in_thread(server.agent, "101")  # rings, never answers
    a102 = await in_thread(agent, server, "102")
    try:
        leg, call, sender = await dial(carrier)
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 1)
        # longest idle with both idle: the first member, 101
        await in_thread(silent.wait_for, lambda e: e["event"] == "IncomingCall", 10)
        incoming = await in_thread(a102.wait_for, lambda e: e["event"] == "IncomingCall", 15)
        await in_thread(a102.wait_state, "confirmed", incoming["call_id"], 15)
        await hears(leg, (AGENT_HZ,))
        assert any(f"agent={id101} " in x for x in queue_log(server, "RINGNOANSWER")), queue_log(server, "")
        assert any(f"agent={id102} " in x for x in queue_log(server, "CONNECT"))
        carrier.bye(call)
        sender.cancel()
        await in_thread(a102.wait_state, "disconnected", incoming["call_id"], 15)
        # a second caller while 102 wraps up (6 s): only 101 is offered it, 102 once the wrap-up is over
        mark = a102.mark()
        rung_101 = len([e for e in silent.events if e["event"] == "IncomingCall"])
        leg2, call2, sender2 = await dial(carrier)
        await hears(leg2, (GREETING_HZ,))
        rfc4733(leg2, 1)
        started = time.monotonic()
        second = await in_thread(a102.wait_for, lambda e: e["event"] == "IncomingCall", 20, mark)
        waited = time.monotonic() - started
        assert waited > 3.0, waited  # not before its wrap-up ended
        assert len([e for e in silent.events if e["event"] == "IncomingCall"]) > rung_101
        await in_thread(a102.wait_state, "confirmed", second["call_id"], 15)
        assert any(f"agent={id102} " in x for x in queue_log(server, "WRAPUP"))
        carrier.bye(call2)
        sender2.cancel()
    finally:
        await in_thread(a102.quit)
        await in_thread(silent.quit)


async def test_the_companys_own_greeting_then_zero_reaches_the_operator_extension(
    server: DemoServer, carrier: SipProbe, tmp_path: Path
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    own = server.data_dir / "prompts" / "1" / "greeting.wav"  # as the console stores an upload (company 1)
    own.parent.mkdir(parents=True, exist_ok=True)
    tone = (6000 * np.sin(2 * np.pi * OWN_GREETING_HZ * np.arange(48000 * 2) / 48000)).astype("<i2")
    with wave.open(str(own), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(48000)
        wav.writeframes(tone.tobytes())
    a101 = await in_thread(agent, server, "101")
    try:
        leg, call, sender = await dial(carrier)
        await hears(leg, (OWN_GREETING_HZ,))
        rfc4733(leg, 0)
        incoming = await in_thread(a101.wait_for, lambda e: e["event"] == "IncomingCall", 15)
        await in_thread(a101.wait_state, "confirmed", incoming["call_id"], 15)
        await hears(leg, (AGENT_HZ,))
        levels = await in_thread(
            a101.heard, tmp_path / "operator.wav", [CALLER_HZ, AGENT_HZ], 1.2, {CALLER_HZ: 0.3}
        )
        assert levels[CALLER_HZ] > 0.3, levels
        await in_thread(a101.command, "hangup", call_id=incoming["call_id"])  # the agent ends it
        for _ in range(50):
            if call.got_bye:
                break
            await asyncio.sleep(0.1)
        assert call.got_bye and "Agent hung up" in call.reason_header, call.reason_header
        sender.cancel()
    finally:
        await in_thread(a101.quit)
    for _ in range(50):
        record = next((c for c in admin.calls() if c["callee"] == HOTLINE), None)
        if record and record["end"]:
            break
        await asyncio.sleep(0.2)
    assert record is not None and record["path"].endswith("ivr 1 > extension 101 > agent 101"), record


async def test_agent_feature_codes_log_out_and_back_in_and_a_waiting_caller_is_offered_at_login(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    sales = next(q for q in admin.get("/admin/queues") if q["name"] == "Sales")
    id102 = admin.user_id("102")
    a102 = await in_thread(agent, server, "102")

    async def code(number: str) -> None:
        call_id = await in_thread(a102.command, "make_call", account_id="main", target=number)
        await in_thread(a102.wait_state, "confirmed", call_id, 10)
        await in_thread(a102.wait_state, "disconnected", call_id, 10)  # a beep, then the PBX hangs up

    try:
        await code("*62")
        assert any(f"agent={id102} " in x for x in queue_log(server, "AGENTLOGOFF"))
        states = admin.get(f"/admin/queues/{sales['id']}/agents")
        assert next(s for s in states if s["user_id"] == id102)["logged_in"] is False
        mark = a102.mark()
        leg, call, sender = await dial(carrier)
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 1)
        await hears(leg, MOH_NOTES_HZ)
        await asyncio.sleep(1.5)
        assert a102.find(lambda e: e["event"] == "IncomingCall", mark) is None  # logged out: not rung
        await code("*61")  # the waiting caller is offered at once (the offer may come before the code's BYE)
        assert any(f"agent={id102} " in x for x in queue_log(server, "AGENTLOGIN"))
        incoming = await in_thread(a102.wait_for, lambda e: e["event"] == "IncomingCall", 15, mark)
        assert incoming["headers"]["x-queue"] == str(sales["id"]), incoming
        assert incoming["headers"]["x-call-path"].endswith("queue 1"), incoming
        await in_thread(a102.wait_state, "confirmed", incoming["call_id"], 15)
        await hears(leg, (AGENT_HZ,))
        carrier.bye(call)
        sender.cancel()
    finally:
        await in_thread(a102.quit)


async def test_hash_while_waiting_leaves_the_queue_for_its_voicemail(
    server: DemoServer, carrier: SipProbe
) -> None:
    Admin(server).business_hours("open")  # nobody of support (103) registered: the caller waits
    leg, call, sender = await dial(carrier)
    await hears(leg, (GREETING_HZ,))
    rfc4733(leg, 2)
    await hears(leg, MOH_NOTES_HZ)
    rfc4733(leg, 11)  # '#'
    await hears(leg, (VOICEMAIL_HZ,))
    await asyncio.sleep(2.5)
    carrier.bye(call)
    sender.cancel()
    for _ in range(50):
        if list((server.data_dir / "voicemail").glob("*/index.jsonl")):
            break
        await asyncio.sleep(0.1)
    assert queue_log(server, "EXITWITHKEY"), server_text(server)[-2000:]
    assert len(list((server.data_dir / "voicemail").glob("*/*.wav"))) == 1


async def test_an_ivr_option_forwards_the_caller_out_through_another_hotline(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    port = free_port()
    outside = await in_thread(
        CliPeer, ["--listen-port", str(port), "--auto-answer", "--tone", str(AGENT_HZ)], "outside"
    )
    try:
        admin.send(
            "POST",
            "/admin/hotlines",
            {
                "number": "02873009999",
                "carrier": "",
                "trunk_host": "127.0.0.1",
                "trunk_port": port,
            },
        )
        menu = admin.get("/admin/ivr_menus")[0]
        options = {
            **menu["config"]["options"],
            "9": {
                "kind": "external",
                "number": "0903123456",
                "hotline": "02873009999",
            },
        }
        admin.send(
            "PUT",
            f"/admin/ivr_menus/{menu['id']}",
            {
                "name": menu["name"],
                "config": {**menu["config"], "options": options},
            },
        )
        leg, call, sender = await dial(carrier)
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 9)
        incoming = await in_thread(outside.wait_for, lambda e: e["event"] == "IncomingCall", 15)
        assert "02873009999" in incoming["remote_uri"], incoming  # the hotline is the caller ID
        await hears(leg, (AGENT_HZ,))
        carrier.bye(call)
        sender.cancel()
        await in_thread(outside.wait_state, "disconnected", incoming["call_id"], 15)
    finally:
        await in_thread(outside.quit)


async def test_callers_are_served_in_arrival_order_and_none_is_lost(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    sales = next(q for q in admin.get("/admin/queues") if q["name"] == "Sales")
    config = {**sales["config"], "wrapup": 0, "ring_timeout": 10}
    admin.send("PUT", f"/admin/queues/{sales['id']}", {"name": "Sales", "config": config})
    hotline = next(h for h in admin.get("/admin/hotlines") if h["number"] == HOTLINE)
    admin.send(
        "PUT", f"/admin/hotlines/{hotline['id']}/route", {"destination": {"kind": "queue", "id": sales["id"]}}
    )
    a101 = await in_thread(
        server.agent, "101", "--auto-answer", "0.3", "--hangup-after", "1", "--tone", "1200"
    )
    try:
        calls = []
        for _ in range(5):
            leg, call, sender = await dial(carrier)
            calls.append((leg, call, sender))
            await asyncio.sleep(0.2)
        for _ in range(150):
            if len(queue_log(server, "CONNECT")) == 5 and all(c.got_bye for _l, c, _s in calls):
                break
            await asyncio.sleep(0.1)
        entered = [x.split(" call=")[1].split()[0] for x in queue_log(server, "ENTERQUEUE")]
        connected = [x.split(" call=")[1].split()[0] for x in queue_log(server, "CONNECT")]
        assert entered == [c.call_id for _l, c, _s in calls]
        assert connected == entered, (entered, connected)
        assert all(c.got_bye and "Agent hung up" in c.reason_header for _l, c, _s in calls)
        assert not queue_log(server, "ABANDON") and len(queue_log(server, "COMPLETEAGENT")) == 5
        for _ in range(50):  # and the persisted queue log has them (written behind, in groups)
            with contextlib.closing(sqlite3.connect(server.data_dir / "softphone.db", timeout=10)) as db:
                stored = [
                    r[0] for r in db.execute("select call_id from cc_queue_events where event = 'CONNECT'")
                ]
            if len(stored) == 5:
                break
            await asyncio.sleep(0.1)
        assert stored == connected
        for _leg, _call, sender in calls:
            sender.cancel()
    finally:
        await in_thread(a101.quit)


class SilentAgent(Phone):
    """A raw UDP agent phone that ignores the first `ignore` INVITEs of a call, then rings (180)."""

    def __init__(self, pbx: tuple[str, int], domain: str, ignore: int = 4) -> None:
        super().__init__(pbx, domain)
        self.answer_invites = False
        self.ignore = ignore
        self.invites: list[float] = []

    def _received(self, data: bytes) -> None:
        if data.startswith(b"INVITE "):
            self.invites.append(time.monotonic())
            if len(self.invites) > self.ignore:
                invite = parse_message(data)
                assert isinstance(invite, SipRequest)
                self._send(make_response(invite, 180, to_tag=new_tag()))
            return
        super()._received(data)


async def test_an_agent_invite_is_retransmitted_with_doubling_intervals_past_six_seconds(
    server: DemoServer, carrier: SipProbe
) -> None:
    """RFC 3261 17.1.1.2 on the way to the agent: Timer A doubles (0.5, 1, 2, 4 s) with no T2 cap until a
    provisional answer, so an agent whose first INVITEs are lost still rings within the ring timeout."""
    Admin(server).business_hours("open")
    phone = await SilentAgent.open(server.sip_port, "demo.local")
    assert isinstance(phone, SilentAgent)
    try:
        assert (await phone.register("103", "demo103", call_id="silent-103", cseq=1)).status == 200
        leg, call, sender = await dial(carrier)
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 2)  # support: 103 only
        for _ in range(200):
            if len(phone.invites) >= 5:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # the 180 stops them: no sixth
        carrier.bye(call)
        sender.cancel()
    finally:
        phone.close()
    t = phone.invites
    assert len(t) == 5, t
    gaps = [b - a for a, b in itertools.pairwise(t)]
    for gap, expected in zip(gaps, (0.5, 1.0, 2.0, 4.0), strict=True):
        assert expected * 0.8 <= gap <= expected + 1.0, gaps
    assert t[-1] - t[0] > 6.0, gaps
