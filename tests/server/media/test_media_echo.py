"""Echo test *43 and unknown numbers against the real media service process."""

from __future__ import annotations

import pytest
from media_audio import BEEP_HZ, assert_echo, echo_uri, windows

pytestmark = [pytest.mark.integration]


async def test_echo_returns_beep_then_callers_own_tone(media, callers, tmp_path):
    wav = tmp_path / "echo.wav"
    result = await callers.call(echo_uri(media), tone=700, record=wav, seconds=2.5)
    assert result["connected"] is True
    assert result["code"] == 200
    assert_echo(wav, 700)


async def test_echo_over_mandatory_srtp(media, callers, tmp_path):
    wav = tmp_path / "srtp.wav"
    result = await callers.call(echo_uri(media), tone=700, record=wav, seconds=2.5, srtp="mandatory")
    assert result["connected"] is True
    assert_echo(wav, 700)


@pytest.mark.slow
async def test_two_concurrent_callers_each_hear_their_own_tone(media, callers, tmp_path):
    low, high = tmp_path / "low.wav", tmp_path / "high.wav"
    first = await callers.start(echo_uri(media), tone=700, record=low, seconds=3.0)
    second = await callers.start(echo_uri(media), tone=1400, record=high, seconds=3.0)
    assert (await first.result())["connected"] is True
    assert (await second.result())["connected"] is True
    assert_echo(low, 700, other_hz=(1400,))
    assert_echo(high, 1400, other_hz=(700,))


async def test_unknown_number_is_404(media, callers):
    result = await callers.call(echo_uri(media, "5999"), seconds=0.5)
    assert result["connected"] is False
    assert result["code"] == 404


async def test_echo_survives_hold_and_resume(media, callers, tmp_path):
    """Two re-INVITEs (sendonly, then sendrecv) must leave the echo connected."""
    wav = tmp_path / "hold.wav"
    result = await callers.call(echo_uri(media), tone=700, record=wav, seconds=3.5, hold_after=1.0)
    assert result["connected"] is True
    resumed = [w for w in windows(wav, (700, BEEP_HZ)) if w.start_s >= 2.0]  # resumed at ~1.5 s
    assert len(resumed) >= 6
    assert sum(w.dominated_by(700) for w in resumed) >= 0.7 * len(resumed)
    assert not any(w.dominated_by(BEEP_HZ) for w in resumed)
