"""`EchoAlignment`: callback jitter moves the reference without making the canceller start over; a real move
of the echo path (a lasting jump, an xrun) does."""

from __future__ import annotations

import pytest

from softphone.echo_canceller import EchoAlignment

pytestmark = pytest.mark.unit

MS = 32  # bytes per ms at 16 kHz, 16-bit mono
BLOCK = 10 * MS


def test_jitter_of_a_block_or_two_never_resets_and_the_offset_settles_on_the_largest() -> None:
    align = EchoAlignment(MS, window_frames=50)
    offset, reset = align.update(-4 * BLOCK, 0)
    assert (offset, reset) == (-4 * BLOCK, True)  # the first frame: a fresh filter
    # What a bridge measured in a call whose canceller kept starting over: mostly -4 blocks, now and then
    # -3 or -2 (one burst of callbacks arriving before the other).
    pattern = [-4, -4, -3, -4, -4, -4, -2, -4, -3, -4] * 30
    offsets = []
    for blocks in pattern:
        offset, reset = align.update(blocks * BLOCK, 0)
        assert not reset
        offsets.append(offset)
    assert align.resyncs == 0
    # Up at once to what the jitter reached; down never, since it stays within the jitter band.
    assert offsets[-1] == -2 * BLOCK
    assert align.shifts == 2  # -4 -> -3 -> -2 blocks


def test_the_offset_is_never_above_a_measure_seen_in_the_last_window() -> None:
    """A smaller offset than the newest measure would ask for audio the speaker has not had yet."""
    align = EchoAlignment(MS, window_frames=50)
    for measure in [-5 * BLOCK, -3 * BLOCK, -4 * BLOCK, -1 * BLOCK]:
        offset, _ = align.update(measure, 0)
        assert offset >= measure


def test_a_lasting_move_past_the_jitter_band_is_followed_down_without_a_reset() -> None:
    align = EchoAlignment(MS, window_frames=5)
    align.update(-2 * BLOCK, 0)
    for _ in range(10):  # the streams settle 40 ms lower: the old maximum leaves the window
        offset, reset = align.update(-6 * BLOCK, 0)
        assert not reset
    assert offset == -6 * BLOCK and align.resyncs == 0


def test_a_jump_far_beyond_the_jitter_resets_once_it_lasts() -> None:
    align = EchoAlignment(MS, window_frames=50)
    align.update(-4 * BLOCK, 0)
    # One late callback (a measure far off for a frame or two) is not a new echo path, and is not kept.
    assert align.update(20 * BLOCK, 0) == (-4 * BLOCK, False)
    assert align.update(-4 * BLOCK, 0) == (-4 * BLOCK, False)
    assert align.resyncs == align.shifts == 0
    results = [align.update(-40 * BLOCK, 0) for _ in range(3)]
    assert [reset for _, reset in results] == [False, False, True]
    assert results[-1][0] == -40 * BLOCK and align.resyncs == 1


def test_an_xrun_makes_the_canceller_start_over_and_restart_forgets_the_measures() -> None:
    align = EchoAlignment(MS, window_frames=50)
    align.update(-4 * BLOCK, 0)
    assert align.update(-4 * BLOCK, 0) == (-4 * BLOCK, False)
    assert align.update(-4 * BLOCK, 1) == (-4 * BLOCK, True)  # the stream error count moved
    assert align.resyncs == 1
    assert align.update(-4 * BLOCK, 1) == (-4 * BLOCK, False)
    align.update(-2 * BLOCK, 1)
    align.restart()  # new devices
    assert align.update(-9 * BLOCK, 1) == (-9 * BLOCK, True)
