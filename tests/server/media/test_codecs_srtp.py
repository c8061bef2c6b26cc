"""Feature calls with the codecs and transports phones use: G.722, G.711 A-law/µ-law, SDES-SRTP (RTP/SAVP
with a=crypto), each offered alone by a real pjsua2 caller to the engine's UAS; the echo test returns
the beep then the caller's own tone, and a conference mixes members on different codecs (rtpengine
transcodes to the mixer's PCMU)."""

from __future__ import annotations

import asyncio
import os

import pytest
from media_audio import amplitude, assert_echo, read_wav

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists("/usr/bin/rtpengine"), reason="rtpengine-daemon missing"),
]


@pytest.mark.parametrize(
    ("codec", "srtp"),
    [("G722/16000", "off"), ("PCMA/8000", "off"), ("PCMU/8000", "mandatory"), ("G722/16000", "mandatory")],
)
async def test_echo_with_each_codec_and_srtp(uas, callers, tmp_path, codec: str, srtp: str) -> None:
    calls, address = uas
    wav = tmp_path / "echo.wav"
    run = await callers.start(f"sip:*43@{address}", tone=700, record=wav, seconds=2.5, codec=codec, srtp=srtp)
    assert await run.connected()
    (call,) = calls.calls.values()
    assert call.leg is not None
    answer = call.leg.sdp  # what the phone got in our 200 OK
    payload_type = {"G722/16000": "9", "PCMA/8000": "8", "PCMU/8000": "0"}[codec]
    media = next(line for line in answer.splitlines() if line.startswith("m=audio"))
    assert media.split()[3] == payload_type, answer
    assert ("RTP/SAVP" in media and "a=crypto:" in answer) == (srtp == "mandatory"), answer
    result = await run.result()
    assert result["connected"] is True, result
    assert_echo(wav, 700)


async def test_room_members_on_g722_and_pcma_hear_each_other(uas, callers, tmp_path) -> None:
    calls, address = uas
    runs = [
        await callers.start(
            f"sip:*806@{address}", tone=hz, record=tmp_path / f"{hz}.wav", seconds=3.0, codec=codec, srtp=srtp
        )
        for hz, codec, srtp in ((700, "G722/16000", "mandatory"), (1200, "PCMA/8000", "off"))
    ]
    for run in runs:
        assert await run.connected()
    assert calls.mixer is not None and len((await calls.mixer.rooms())["*806"]) == 2
    results = await asyncio.gather(*(run.result() for run in runs))
    assert all(r["connected"] for r in results), results
    for heard, own in ((700, 1200), (1200, 700)):
        samples, rate = read_wav(tmp_path / f"{heard}.wav")
        tail = samples[-rate:]  # the last second: both in the room
        assert amplitude(tail, rate, own) > 1000, (heard, amplitude(tail, rate, own))
        assert amplitude(tail, rate, heard) < 300, (heard, amplitude(tail, rate, heard))
