"""End to end on `softphone-server run --demo`: the built-in sentences in the company's language and in the
company's own recorded voice.

A company whose language is English hears its feature-code confirmations (``*72103``, ``*73``) and a
queue whose language is English says the caller's position in English: the WAVs played are the English
sentences synthesized by espeak-ng (``prompts/spoken/en/``, not the Vietnamese ones), and the caller hears
speech.  A company that recorded ``queue_position_before`` and ``num_1`` (tones here, as a recording) has
its waiting caller hear those recordings, not espeak-ng.  An agent's ``*62`` is confirmed in words, and
``*61`` in the company's own recording of ``agent_logged_in``.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from test_callcenter_calls import Admin, carrier, dial, hears, in_thread, rfc4733, server
from test_queue_caller_experience import PERIOD, speech_at, timeline

from server.callcenter.announce import agent_confirmation, announcement, forwarding_confirmation
from server.domain.prompts import spoken_path
from server.media.prompts import GREETING_HZ, RATE
from server.media.rtp_probe import SipProbe
from softphone.testing import DemoServer, read_wav, speech_pitches, tone_levels

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["carrier", "server"]  # fixtures

BEFORE_HZ = 1500.0  # the company's "you are caller number" (a tone standing in for a voice)
ONE_HZ = 1800.0  # the company's "one"
LOGGED_IN_HZ = 1300.0  # the company's "you are logged in"


def _record(path: Path, hz: float, seconds: float) -> None:
    """A tone WAV where the console stores a company's upload (48 kHz mono)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tone = (6000 * np.sin(2 * np.pi * hz * np.arange(int(RATE * seconds)) / RATE)).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(tone.tobytes())


def _seconds(path: Path) -> float:
    samples, rate = read_wav(path)
    return len(samples) / rate


def _announce_in_support(admin: Admin, **more: object) -> None:
    support = next(q for q in admin.get("/admin/queues") if q["name"] == "Support")
    config = {**support["config"], "announce_every": PERIOD, "no_agent_grace": 600, **more}  # 103 is away
    admin.send("PUT", f"/admin/queues/{support['id']}", {"name": "Support", "config": config})


async def test_an_english_company_hears_english_confirmations_and_an_english_queue_announcement(
    server: DemoServer, carrier: SipProbe, tmp_path: Path
) -> None:
    admin = Admin(server)
    admin.send("PATCH", "/admin/company", {"console_language": "en"})
    admin.business_hours("open")
    _announce_in_support(admin, language="en")
    prompts = server.data_dir / "prompts"
    a102 = await in_thread(server.agent, "102", "--auto-answer=0")
    try:
        await in_thread(a102.record_call, "*72103", tmp_path / "set.wav")
        await in_thread(a102.record_call, "*73", tmp_path / "clear.wav")
    finally:
        await in_thread(a102.quit)
    for name, sentence in (
        ("set", forwarding_confirmation("en", "always", "103")),
        ("clear", forwarding_confirmation("en", "always", None)),
    ):
        english = spoken_path(prompts, "en", sentence.text)
        vietnamese = spoken_path(prompts, "vi", forwarding_confirmation("vi", "always", "103").text)
        assert english.is_file() and not vietnamese.exists(), name  # the English sentence was played
        heard = tmp_path / f"{name}.wav"
        assert len(speech_pitches(heard)) >= 3, name  # speech at the caller, not a chime
        # what the phone heard lasts as long as the English sentence (+ call set-up and tear-down)
        assert _seconds(english) - 0.5 < _seconds(heard) < _seconds(english) + 3.0, name
    assert not (prompts / "spoken" / "vi").exists()  # nothing was said in Vietnamese

    leg, call, sender = await dial(carrier)
    try:
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 2)  # support
        samples = await timeline(leg, 6.0)
        assert speech_at(samples, 0.0, 5.0), samples
    finally:
        carrier.bye(call)
        sender.cancel()
    said = spoken_path(prompts, "en", announcement("en", 1, None).text)
    assert said.is_file(), list((prompts / "spoken").rglob("*.wav"))
    assert not (prompts / "spoken" / "vi").exists()


async def test_a_company_recording_of_the_position_words_is_what_the_waiting_caller_hears(
    server: DemoServer, carrier: SipProbe
) -> None:
    admin = Admin(server)
    admin.business_hours("open")
    _announce_in_support(admin)
    own = server.data_dir / "prompts" / "1"  # company 1's prompts, as uploads are stored
    _record(own / "queue_position_before.wav", BEFORE_HZ, 1.5)
    _record(own / "num_1.wav", ONE_HZ, 1.5)
    leg, call, sender = await dial(carrier)
    try:
        await hears(leg, (GREETING_HZ,))
        rfc4733(leg, 2)  # support: position 1, no wait known yet
        await hears(leg, (BEFORE_HZ,))
        await hears(leg, (ONE_HZ,), timeout=4.0)
    finally:
        carrier.bye(call)
        sender.cancel()
    assert any("saying queue_position_before + num_1 in company 1's recordings" in x for x in server.output)
    assert not (server.data_dir / "prompts" / "spoken" / "vi").exists()  # espeak-ng was not needed


async def test_agent_codes_are_confirmed_in_words_or_in_the_company_recording(
    server: DemoServer, tmp_path: Path
) -> None:
    admin = Admin(server)
    admin.send("PATCH", "/admin/company", {"console_language": "en"})
    _record(server.data_dir / "prompts" / "1" / "agent_logged_in.wav", LOGGED_IN_HZ, 2.0)
    a102 = await in_thread(server.agent, "102", "--auto-answer=0")  # serves Sales
    try:
        await in_thread(a102.record_call, "*62", tmp_path / "out.wav")
        await in_thread(a102.record_call, "*61", tmp_path / "in.wav")
    finally:
        await in_thread(a102.quit)
    english = spoken_path(server.data_dir / "prompts", "en", agent_confirmation("en", "logout").text)
    assert english.is_file()
    assert len(speech_pitches(tmp_path / "out.wav")) >= 3  # speech, not the old beep
    levels = tone_levels(tmp_path / "in.wav", (LOGGED_IN_HZ, 1000.0), skip_s=0.2, max_s=1.5)
    assert levels[LOGGED_IN_HZ] > 0.5, levels  # the company's recording
    assert not spoken_path(server.data_dir / "prompts", "en", agent_confirmation("en", "login").text).exists()
