"""Sans-IO feature machines driven by a fake clock: events in, actions out."""

from __future__ import annotations

import numpy as np

from server.media.logic import (
    Answered,
    CancelTimer,
    Collected,
    ConferenceMember,
    DigitCollector,
    Dtmf,
    Echo,
    EchoTest,
    HangUp,
    HungUp,
    Join,
    MusicOnHold,
    Play,
    PromptFinished,
    SetTimer,
    Stop,
)


def test_echo_answers_with_echo_and_ends_at_the_limit() -> None:
    m = EchoTest(max_seconds=30)
    assert m.handle(Answered(), now=100.0) == [Play("beep"), SetTimer("limit", 130.0)]
    assert m.handle(PromptFinished(), now=100.5) == [Echo()]
    assert m.due(129.9) == []
    assert m.due(130.0) == [HangUp("echo test time limit")]
    assert m.ended and m.due(200.0) == []


def test_hold_loops_music_and_a_hang_up_clears_timers() -> None:
    m = MusicOnHold(max_seconds=60)
    assert m.handle(Answered(), 0.0) == [Play("moh", loop=True), SetTimer("limit", 60.0)]
    assert m.handle(HungUp(), 5.0) == []
    assert m.next_deadline() is None and m.due(100.0) == []


def test_digits_barge_in_and_hash_ends() -> None:
    m = DigitCollector(max_digits=4)
    assert m.handle(Answered(), 0.0) == [Play("prompt")]
    assert m.handle(Dtmf("1"), 0.4) == [Stop(), SetTimer("digits", 3.4)]
    assert m.handle(Dtmf("2"), 1.0) == [SetTimer("digits", 4.0)]
    assert m.handle(Dtmf("#"), 1.5) == [CancelTimer("digits"), Collected("12")]
    assert m.handle(Dtmf("3"), 2.0) == []


def test_digits_time_out_after_the_prompt() -> None:
    m = DigitCollector(max_digits=2, first_timeout=5.0, inter_timeout=2.0)
    m.handle(Answered(), 0.0)
    assert m.handle(PromptFinished(), 1.0) == [SetTimer("digits", 6.0)]
    assert m.due(5.9) == []
    assert m.due(6.0) == [CancelTimer("digits"), Collected("")]
    m2 = DigitCollector(max_digits=2)
    m2.handle(Answered(), 0.0)
    m2.handle(PromptFinished(), 1.0)
    m2.handle(Dtmf("4"), 2.0)
    assert m2.handle(Dtmf("2"), 2.5) == [CancelTimer("digits"), Collected("42")]


def test_conference_without_pin_joins_at_once() -> None:
    m = ConferenceMember("*801")
    assert m.handle(Answered(), 0.0) == [Join("*801"), Play("beep")]
    assert m.joined and m.handle(Dtmf("1"), 1.0) == []


def test_conference_pin_right_after_barge_in() -> None:
    m = ConferenceMember("*801", "1234", first_timeout=8.0, inter_timeout=4.0)
    assert m.handle(Answered(), 0.0) == [Play("pin")]
    assert m.handle(Dtmf("1"), 0.5) == [Stop(), SetTimer("digits", 4.5)]  # barge-in on the prompt
    m.handle(Dtmf("2"), 1.0)
    m.handle(Dtmf("3"), 1.5)
    assert m.handle(Dtmf("4"), 2.0) == [CancelTimer("digits"), Join("*801"), Play("beep")]
    assert m.joined and m.next_deadline() is None


def test_conference_pin_wrong_retries_then_hangs_up() -> None:
    m = ConferenceMember("*802", "42", attempts=3, first_timeout=5.0)
    m.handle(Answered(), 0.0)
    m.handle(PromptFinished(), 1.0)
    m.handle(Dtmf("1"), 2.0)
    assert m.handle(Dtmf("1"), 2.5) == [CancelTimer("digits"), Play("pin_wrong")]  # 1st failure
    assert m.handle(PromptFinished(), 3.0) == [SetTimer("digits", 8.0)]
    assert m.due(7.9) == []
    assert m.due(8.0) == [CancelTimer("digits"), Play("pin_wrong")]  # 2nd: nothing entered in time
    assert m.handle(Dtmf("9"), 8.2) == [Stop(), SetTimer("digits", 12.2)]  # barge-in on "wrong PIN"
    assert m.handle(Dtmf("#"), 8.4) == [CancelTimer("digits"), HangUp("wrong conference PIN")]
    assert m.ended and not m.joined and m.due(100.0) == []


def test_conference_pin_accepted_on_a_later_attempt_and_hash_ends_early() -> None:
    m = ConferenceMember("*803", "77")
    m.handle(Answered(), 0.0)
    assert m.handle(Dtmf("#"), 0.2) == [Stop(), CancelTimer("digits"), Play("pin_wrong")]
    m.handle(Dtmf("7"), 1.0)
    assert m.handle(Dtmf("7"), 1.2) == [CancelTimer("digits"), Join("*803"), Play("beep")]


def test_room_tones_join_and_leave_reach_the_others_only() -> None:
    from server.media.mixing import JOIN_TONE, JOIN_TONE_HZ, LEAVE_TONE_HZ, RoomMix, decode
    from softphone.tones import goertzel

    def heard(mix: RoomMix, member: str, ticks: int) -> np.ndarray:
        return np.concatenate([decode(mix.mix()[member]) for _ in range(ticks)]).astype(float)

    mix = RoomMix()
    for m in ("a", "b"):
        mix.join(m)
    mix.announce(JOIN_TONE, exclude="b")  # b is the newcomer
    ticks = len(JOIN_TONE)
    first = np.concatenate([decode(out) for out in [mix.mix()["a"] for _ in range(ticks)]]).astype(float)
    half = len(first) // 2
    assert goertzel(first[:half], 8000, JOIN_TONE_HZ[0]) > 10 * goertzel(first[:half], 8000, JOIN_TONE_HZ[1])
    assert goertzel(first[half:], 8000, JOIN_TONE_HZ[1]) > 10 * goertzel(first[half:], 8000, JOIN_TONE_HZ[0])
    assert np.abs(heard(mix, "b", 3)).max() < 10  # the newcomer got nothing; the tone is over for a
    from server.media.mixing import LEAVE_TONE

    mix.leave("b")
    mix.announce(LEAVE_TONE)
    left = heard(mix, "a", len(LEAVE_TONE))
    assert goertzel(left[: len(left) // 2], 8000, LEAVE_TONE_HZ[0]) > 1e5
