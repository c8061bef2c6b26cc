"""Conference rooms (*8NN) and server-side recording, checked by tone content."""

from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path

import pytest
from media_audio import BEEP_HZ, assert_echo, echo_uri, windows

from server.media.supervisor import MediaSupervisor

pytestmark = [pytest.mark.integration]


async def finished_wavs(directory: Path, count: int, timeout: float = 10.0) -> list[Path]:
    """The WAV files in ``directory`` once ``count`` of them are closed (header filled in)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = []
        for path in sorted(directory.glob("*.wav")) if directory.exists() else []:
            try:
                with wave.open(str(path)) as wav:
                    if wav.getnframes() > 0:
                        done.append(path)
            except (wave.Error, EOFError):
                pass
        if len(done) >= count:
            return done
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} finished recordings not found in {directory}")


def windows_with(path: Path, freqs: tuple[int, ...], present: tuple[int, ...], share: float = 0.35) -> int:
    """How many 50 ms windows hold every tone in ``present`` at ``share`` of the energy or more."""
    return sum(w.rms >= 300 and all(w.share(f) >= share for f in present) for w in windows(path, freqs))


@pytest.mark.slow
async def test_room_members_hear_each_other_but_not_themselves(recording_media, callers, tmp_path):
    tones = (700, 1300, 1900)
    wavs = [tmp_path / f"member-{hz}.wav" for hz in tones]
    room = echo_uri(recording_media, "*801")
    members = [
        await callers.start(room, tone=hz, record=wav, seconds=3.5)
        for hz, wav in zip(tones, wavs, strict=True)
    ]
    alone = await callers.start(echo_uri(recording_media, "*802"), tone=1000, record=tmp_path / "alone.wav")
    for member in members:
        assert (await member.result())["connected"] is True
    assert (await alone.result())["connected"] is True

    for own, wav in zip(tones, wavs, strict=True):
        others = tuple(hz for hz in tones if hz != own)
        # 0.3 s of all three together is plenty, even if the callers joined staggered and a
        # loaded machine made the media clock skip.
        assert windows_with(wav, tones, others) >= 6, f"member {own} Hz does not hear {others}"
        assert all(w.share(own) < 0.15 for w in windows(wav, tones)), f"member {own} Hz hears itself"
    # Another room is another room: the lone caller hears nothing at all.
    assert all(w.rms < 300 for w in windows(tmp_path / "alone.wav", tones))

    # Server side, each member's recording holds both directions: their own tone and the others.
    recorded = await finished_wavs(tmp_path / "recordings", 4)
    mixes = [p for p in recorded if "star801" in p.name]
    assert len(mixes) == 3
    for path in mixes:
        assert windows_with(path, tones, tones, share=0.25) >= 6, f"{path.name} is not the room mix"


async def test_echo_call_recording_holds_beep_and_caller(recording_media, callers, tmp_path):
    result = await callers.call(echo_uri(recording_media), tone=700, seconds=2.0)
    assert result["connected"] is True
    (path,) = await finished_wavs(tmp_path / "recordings", 1)
    assert "star43" in path.name
    freqs = (BEEP_HZ, 700)
    assert windows_with(path, freqs, (BEEP_HZ,), share=0.25) >= 2, "the beep the caller heard is not recorded"
    assert windows_with(path, freqs, (700,)) >= 5, "what the caller said is not recorded"


async def test_unrecorded_numbers_leave_no_file(media, callers, tmp_path):
    result = await callers.call(echo_uri(media), tone=700, seconds=1.0)
    assert result["connected"] is True
    assert not list(tmp_path.rglob("*.wav"))


async def test_a_recording_that_cannot_be_written_does_not_break_the_call(callers, tmp_path):
    not_a_dir = tmp_path / "recordings"
    not_a_dir.write_text("a file where the directory should be")
    media = MediaSupervisor(recordings_dir=not_a_dir, record=("*43",))
    await media.start()
    try:
        wav = tmp_path / "heard.wav"
        result = await callers.call(echo_uri(media), tone=700, record=wav, seconds=2.0)
        assert result["connected"] is True
        assert_echo(wav, 700)
        assert media.crashes == 0
    finally:
        await media.stop()
