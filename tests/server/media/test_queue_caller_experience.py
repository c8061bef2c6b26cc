"""End to end on `softphone-server run --demo`: what a caller waiting in a queue hears and in which order
they are served.

A carrier (an RTP/SIP probe from 127.0.0.1, the demo trunk's host) calls the IVR hotline and waits in a
queue nobody answers: right after entering, the caller hears their position spoken (espeak-ng: speech, not
the hold melody's notes), the hold music comes back, and the announcement comes again one period later.
A priority caller who arrives second is served before the caller who came first.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from test_callcenter_calls import (  # the demo server, its admin API and the carrier probe
    CALLER_HZ,
    HOTLINE,
    Admin,
    carrier,
    dial,
    hears,
    in_thread,
    queue_log,
    rfc4733,
    server,
)

from server.media.prompts import CLOSED_HZ, GREETING_HZ, MOH_NOTES_HZ, PROMPT_HZ
from server.media.rtp_probe import ProbeLeg, SipProbe, pace, pcmu_tone
from softphone.testing import CliPeer, DemoServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["carrier", "server"]  # fixtures

PERIOD = 15  # the shortest announcement period


def _is_music(hz: float) -> bool:
    return any(abs(hz - note) < 30 for note in MOH_NOTES_HZ)


async def timeline(leg: ProbeLeg, seconds: float) -> list[tuple[float, float, float]]:
    """(time, dominant frequency, level) of what the caller heard in the last 0.5 s, every 0.25 s."""
    leg.stats.keep_audio = 4000
    started, samples = time.monotonic(), []
    while (t := time.monotonic() - started) < seconds:
        await asyncio.sleep(0.25)
        samples.append((t, leg.stats.dominant_hz(), leg.stats.rms()))
    return samples


def speech_at(samples: list[tuple[float, float, float]], start: float, end: float) -> bool:
    """Between `start` and `end` seconds: something loud that is neither the hold melody nor one of the
    built-in tones, and whose pitch moves (speech)."""
    heard = [
        round(hz)
        for t, hz, level in samples
        if start <= t <= end and level > 500 and not _is_music(hz) and abs(hz - PROMPT_HZ) > 30
    ]
    return len(set(heard)) >= 3


def music_at(samples: list[tuple[float, float, float]], start: float, end: float) -> bool:
    return any(start <= t <= end and _is_music(hz) for t, hz, _level in samples)


async def test_a_waiting_caller_hears_the_position_then_music_then_the_position_again(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    support = next(q for q in admin.get("/admin/queues") if q["name"] == "Support")
    config = {**support["config"], "announce_every": PERIOD, "no_agent_grace": 600}  # 103 never registers
    admin.send("PUT", f"/admin/queues/{support['id']}", {"name": "Support", "config": config})
    leg, call, sender = await dial(carrier)
    try:
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 2)  # support
        samples = await timeline(leg, PERIOD + 9)
        heard = [(round(t, 1), round(hz), round(level)) for t, hz, level in samples]
        artifacts = Path("test-artifacts")
        artifacts.mkdir(exist_ok=True)
        (artifacts / "queue-announcement-timeline.txt").write_text("\n".join(map(str, heard)))
        assert speech_at(samples, 0.0, 4.0), heard  # the position, at once
        assert music_at(samples, 3.0, PERIOD - 1), heard  # then the hold music again
        assert not speech_at(samples, 8.0, PERIOD - 1), heard  # nothing but music until the next period
        assert speech_at(samples, PERIOD - 1, PERIOD + 5), heard  # the position again
        assert music_at(samples, PERIOD + 4, PERIOD + 9), heard  # and the music after it
        said = [x for x in server.output if "announcing to" in x]
        assert len(said) == 2 and all("position 1" in x for x in said), said
        assert (server.data_dir / "prompts" / "spoken" / "vi").is_dir()  # synthesized once, kept
        assert len(list((server.data_dir / "prompts" / "spoken" / "vi").glob("*.wav"))) == 1
    finally:
        carrier.bye(call)
        sender.cancel()


async def test_a_priority_caller_who_arrives_second_is_served_first(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    sales = next(q for q in admin.get("/admin/queues") if q["name"] == "Sales")
    vip = "0903000001"
    config = {**sales["config"], "wrapup": 0, "priority_callers": [vip]}
    admin.send("PUT", f"/admin/queues/{sales['id']}", {"name": "Sales", "config": config})
    hotline = next(h for h in admin.get("/admin/hotlines") if h["number"] == HOTLINE)
    admin.send(
        "PUT", f"/admin/hotlines/{hotline['id']}/route", {"destination": {"kind": "queue", "id": sales["id"]}}
    )
    id101 = admin.user_id("101")
    admin.send("PATCH", f"/admin/users/{id101}", {"dnd": True})  # busy while both callers arrive
    a101 = await in_thread(
        server.agent, "101", "--auto-answer", "0.3", "--hangup-after", "1", "--tone", "1200"
    )
    legs = []
    try:
        first = await dial(carrier)  # "probe": an ordinary caller
        legs.append(first)
        await asyncio.sleep(0.5)
        leg = ProbeLeg("127.0.0.1", CALLER_HZ, pcmu_tone(CALLER_HZ))
        await leg.open()
        second = await carrier.invite(HOTLINE, leg, timeout=10, caller=vip)
        assert second.status == 200
        legs.append((leg, second, asyncio.create_task(pace([leg], 40.0))))
        for _ in range(30):
            if len(queue_log(server, "ENTERQUEUE")) == 2:
                break
            await asyncio.sleep(0.1)
        entered = queue_log(server, "ENTERQUEUE")
        assert [x.split(" call=")[1].split()[0] for x in entered] == [first[1].call_id, second.call_id]
        assert "'priority': 1" in entered[1] and "'position': 1" in entered[1], entered
        admin.send("PATCH", f"/admin/users/{id101}", {"dnd": False})
        for _ in range(150):
            if len(queue_log(server, "CONNECT")) == 2:
                break
            await asyncio.sleep(0.1)
        connected = [x.split(" call=")[1].split()[0] for x in queue_log(server, "CONNECT")]
        assert connected == [second.call_id, first[1].call_id], connected
    finally:
        for _leg, call, sender in legs:
            if not call.got_bye:
                carrier.bye(call)
            sender.cancel()
        await in_thread(a101.quit)


async def test_a_supervisors_star_65_changes_the_hotlines_routing_at_once_and_an_agents_is_refused(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    admin.business_hours("closed")
    admin.send("PATCH", f"/admin/users/{admin.user_id('102')}", {"role": "supervisor"})
    a101 = await in_thread(server.agent, "101")  # an agent: may not
    a102 = await in_thread(server.agent, "102")  # a supervisor

    async def code(peer: CliPeer, number: str) -> tuple[str, float]:
        """Dial the code: its call id and when the override was changed (the server's log line)."""
        mark = len(server.output)
        call_id = await in_thread(peer.command, "make_call", account_id="main", target=number)
        for _ in range(500):
            if any("schedule override by user" in x for x in server.output[mark:]):
                return call_id, time.monotonic()
            await asyncio.sleep(0.01)
        raise AssertionError(f"{number}: no override change logged")

    def override() -> str | None:
        return admin.get("/admin/schedules")[0]["config"].get("override")

    async def caller_hears(freq: float, changed: float) -> None:
        """A carrier call 0.5 s after the change (sent within 1 s of it) hears `freq` first."""
        leg = ProbeLeg("127.0.0.1", CALLER_HZ, pcmu_tone(CALLER_HZ))
        await leg.open()
        await asyncio.sleep(max(0.0, changed + 0.5 - time.monotonic()))
        assert time.monotonic() - changed < 1.0
        call = await carrier.invite(HOTLINE, leg, timeout=10)
        sender = asyncio.create_task(pace([leg], 20.0))
        try:
            await hears(leg, (freq,))
        finally:
            carrier.bye(call)
            sender.cancel()

    try:
        call_id, _ = await code(a101, "*651")
        await in_thread(a101.wait_state, "disconnected", call_id, 15)  # the invalid-option prompt, then BYE
        assert override() == "closed"
        assert any("(False)" in x for x in server.output if "schedule override by user" in x)
        call_id, changed = await code(a102, "*651")  # open now
        await caller_hears(GREETING_HZ, changed)  # the IVR's greeting: routed as open
        await in_thread(a102.wait_state, "disconnected", call_id, 15)  # after the spoken confirmation
        assert override() == "open"
        call_id, changed = await code(a102, "*65")  # cycles: open -> closed
        await caller_hears(CLOSED_HZ, changed)
        await in_thread(a102.wait_state, "disconnected", call_id, 15)
        assert override() == "closed"
        call_id, _ = await code(a102, "*65")  # closed -> automatic (the weekly hours)
        await in_thread(a102.wait_state, "disconnected", call_id, 15)
        assert override() is None
    finally:
        await in_thread(a101.quit)
        await in_thread(a102.quit)
