"""Sans-IO feature machines driven by a fake clock: events in, actions out."""

from __future__ import annotations

from server.media.logic import (
    Answered,
    CancelTimer,
    Collected,
    DigitCollector,
    Dtmf,
    Echo,
    EchoTest,
    HangUp,
    HungUp,
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
