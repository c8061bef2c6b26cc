"""Queue announcements and priority callers with a fake clock: the queue engine says when and what
(position, estimated wait from the recent hold times), the caller's flow plays it and resumes the music."""

from __future__ import annotations

import pytest

from server.callcenter.announce import (
    Said,
    Sentence,
    announcement,
    compose,
    number_words,
    overridable,
    parse_spoken,
    spoken,
)
from server.callcenter.destinations import Destination
from server.callcenter.flow import CallCenter, CallerFlow
from server.callcenter.queue import (
    Announce,
    Member,
    Offer,
    QueueAction,
    QueueConfig,
    QueueEngine,
    queue_from_json,
)
from server.media.logic import Answered, Dial, Play, PromptFinished

pytestmark = pytest.mark.unit

A, B = 101, 102


def _engine(*, logged_in: bool = False, **config: object) -> QueueEngine:
    engine = QueueEngine()
    members = [Member(A, logged_in=logged_in), Member(B, logged_in=logged_in)]
    engine.configure(QueueConfig(1, **config), members, 0.0)  # type: ignore[arg-type]
    return engine


def _announces(actions: list[QueueAction]) -> list[Announce]:
    return [a for a in actions if isinstance(a, Announce)]


def test_no_announcements_unless_a_period_is_set() -> None:
    engine = _engine()
    assert not _announces(engine.enter(1, "c1", 0.0))
    assert engine.next_deadline() is None or engine.next_deadline() == 30.0  # the no-agent grace only


def test_position_on_entry_then_every_period_with_the_position_moving_up() -> None:
    engine = _engine(announce_every=30.0, no_agent_grace=1000.0)
    assert _announces(engine.enter(1, "c1", 0.0)) == [Announce("c1", 1, 1, None, "vi")]
    assert _announces(engine.enter(1, "c2", 5.0)) == [Announce("c2", 1, 2, None, "vi")]
    assert engine.next_deadline() == 30.0
    assert _announces(engine.tick(30.0)) == [Announce("c1", 1, 1, None, "vi")]
    engine.caller_left("c1", 31.0)
    assert engine.next_deadline() == 35.0
    assert _announces(engine.tick(35.0)) == [Announce("c2", 1, 1, None, "vi")]  # moved up
    assert engine.next_deadline() == 65.0


def test_a_caller_offered_at_once_hears_no_announcement_until_the_next_period() -> None:
    engine = _engine(logged_in=True, announce_every=30.0, retry=1000.0)
    actions = engine.enter(1, "c1", 0.0)
    assert [a for a in actions if isinstance(a, Offer)] and not _announces(actions)
    assert not _announces(engine.tick(15.0))  # rang out at A: B rings now
    engine.declined("c1", B, 16.0)  # both missed it: the next round in 1000 s
    assert _announces(engine.tick(30.0)) == [Announce("c1", 1, 1, None, "vi")]


def test_announcements_switched_on_or_off_while_callers_wait() -> None:
    engine = _engine(no_agent_grace=1000.0)
    engine.enter(1, "c1", 0.0)
    members = engine.members(1)
    engine.configure(QueueConfig(1, announce_every=20.0, no_agent_grace=1000.0), members, 10.0)
    assert engine.next_deadline() == 30.0
    assert _announces(engine.tick(30.0)) == [Announce("c1", 1, 1, None, "vi")]
    engine.configure(QueueConfig(1, no_agent_grace=1000.0), members, 40.0)
    assert not _announces(engine.tick(50.0)) and engine.next_deadline() == 1000.0


def test_estimated_wait_is_the_recent_average_hold_less_the_wait_so_far() -> None:
    engine = _engine(logged_in=True, announce_every=20.0, wrapup=0.0, language="en")
    # two answered calls that waited 100 s and 200 s: the average hold is 150 s
    for i, (start, answer) in enumerate([(0.0, 100.0), (1000.0, 1200.0)]):
        engine.set_presence(A, start, on_call=True)
        engine.set_presence(B, start, on_call=True)
        engine.enter(1, f"old{i}", start)
        engine.set_presence(B, answer, on_call=False)
        engine.answered(f"old{i}", B, answer)
        engine.call_ended(f"old{i}", answer + 1, by_agent=True)
        engine.set_presence(B, answer + 1, on_call=True)
    assert engine.estimated_wait(1, "none", 2000.0) is None
    (first,) = _announces(engine.enter(1, "c", 2000.0))
    assert first == Announce("c", 1, 1, 3, "en")  # 150 s: about 3 minutes (rounded up)
    assert engine.estimated_wait(1, "c", 2100.0) == 50.0
    assert _announces(engine.tick(2100.0)) == [Announce("c", 1, 1, 1, "en")]
    assert _announces(engine.tick(2200.0)) == [Announce("c", 1, 1, 1, "en")]  # never below a minute


def test_position_or_wait_can_be_switched_off_and_a_short_period_is_raised() -> None:
    config = queue_from_json(1, "q", {"announce_every": 5, "announce_position": False})
    assert config.announce_every == 15.0 and not config.announce_position and config.announce_wait
    engine = QueueEngine()
    engine.configure(config, [Member(A)], 0.0)
    assert not _announces(engine.enter(1, "c1", 0.0))  # no position, and no hold history yet


def test_priority_callers_and_hotlines_go_first() -> None:
    config = queue_from_json(
        1,
        "q",
        {"priority_callers": ["+84903000001"], "priority_hotlines": ["19001234"], "priority": 2},
        normalize=lambda n: n.replace("+84", "0"),
    )
    assert config.priority_of("0903000001") == 3
    assert config.priority_of("0903000002", "19001234") == 3
    assert config.priority_of("0903000002", "02873001234") == 2
    engine = QueueEngine()
    engine.configure(config, [Member(A, logged_in=True)], 0.0)
    engine.set_presence(A, 0.0, on_call=True)
    engine.enter(1, "plain", 0.0, priority=config.priority_of("0909"))
    engine.enter(1, "vip", 1.0, priority=config.priority_of("0903000001"))
    assert [c.call_id for c in engine.waiting(1)] == ["vip", "plain"]
    offers = [a for a in engine.set_presence(A, 5.0, on_call=False) if isinstance(a, Offer)]
    assert offers == [Offer("vip", 1, (A,), 15.0)]


def test_the_announcement_text_in_both_languages() -> None:
    assert announcement("vi", 3, 2).text == (
        "Quý khách đang ở vị trí số 3 trong hàng chờ. Thời gian chờ dự kiến khoảng 2 phút."
    )
    assert announcement("en", 1, 1).text == (
        "You are caller number 1 in the queue. Your estimated wait is about 1 minute."
    )
    assert announcement("en", None, 250).text == "Your estimated wait is about more than 99 minutes."
    assert announcement("fr", 2, None).text == "Quý khách đang ở vị trí số 2 trong hàng chờ."  # vi by default
    assert parse_spoken(spoken("en", "Hello: there")) == Said("en", "Hello: there", None, ())
    said = spoken("en", Sentence("Hi: you", ("a", "b?")), 7)
    assert parse_spoken(said) == Said("en", "Hi: you", 7, ("a", "b?"))
    assert parse_spoken("moh") is None and parse_spoken("say:xx:hi") is None
    assert parse_spoken("say:en:x::hi") is None  # a company is a number


def test_numbers_as_recorded_words_in_each_languages_order() -> None:
    en = {n: number_words("en", n) for n in (0, 7, 13, 20, 21, 45, 99, 120)}
    assert en == {
        0: ("num_0",),
        7: ("num_7",),
        13: ("num_13",),
        20: ("num_20",),
        21: ("num_20", "num_1"),
        45: ("num_40", "num_5"),
        99: ("num_90", "num_9"),
        120: ("more_than", "num_90", "num_9"),
    }
    vi = {n: number_words("vi", n) for n in (0, 10, 11, 14, 15, 20, 21, 24, 25, 31, 55, 70, 150)}
    assert vi == {
        0: ("num_0",),
        10: ("num_10",),  # mười
        11: ("num_10", "num_1"),  # mười một
        14: ("num_10", "num_4"),  # mười bốn
        15: ("num_10", "num_lam"),  # mười lăm
        20: ("num_2", "num_muoi"),  # hai mươi
        21: ("num_2", "num_muoi", "num_mot"),  # hai mươi mốt
        24: ("num_2", "num_muoi", "num_4"),  # hai mươi bốn
        25: ("num_2", "num_muoi", "num_lam"),  # hai mươi lăm
        31: ("num_3", "num_muoi", "num_mot"),
        55: ("num_5", "num_muoi", "num_lam"),
        70: ("num_7", "num_muoi"),
        150: ("more_than", "num_9", "num_muoi", "num_9"),
    }
    with pytest.raises(ValueError):
        number_words("vi", -1)


def test_the_announcement_composes_from_recordings_in_order_or_not_at_all() -> None:
    vi = announcement("vi", 21, 3).parts
    assert vi == (
        "queue_position_before",
        "num_2",
        "num_muoi",
        "num_mot",
        "queue_position_after?",
        "queue_wait_before",
        "num_3",
        "minutes",
        "queue_wait_after?",
    )
    assert announcement("en", 1, 1).parts[-3:] == ("num_1", "minute", "queue_wait_after?")
    assert announcement("en", None, 2).parts == ("queue_wait_before", "num_2", "minutes", "queue_wait_after?")
    recorded = {
        "queue_position_before",
        "num_2",
        "num_muoi",
        "num_mot",
        "queue_wait_before",
        "num_3",
        "minutes",
    }
    assert compose(vi, recorded.__contains__) == tuple(p for p in vi if not p.endswith("?"))
    after = recorded | {"queue_position_after"}
    assert compose(vi, after.__contains__) == (*vi[:4], "queue_position_after", *vi[5:8])
    assert compose(vi, (recorded - {"num_mot"}).__contains__) is None  # one word missing: espeak says it all
    assert compose((), recorded.__contains__) is None
    assert compose(("x?",), recorded.__contains__) is None  # nothing recorded at all


def test_every_name_a_company_may_record_is_listed_in_both_languages() -> None:
    vi = {name for name, _text, _optional in overridable("vi")}
    en = {name for name, _text, _optional in overridable("en")}
    for language, names in (("vi", vi), ("en", en)):
        for n in range(100):
            assert set(number_words(language, n)) <= names
        for sentence in (announcement(language, 150, 1), announcement(language, 2, 33)):
            assert {p.rstrip("?") for p in sentence.parts} <= names
    from server.callcenter.announce import (
        agent_confirmation,
        agent_no_queue,
        forwarding_confirmation,
        override_confirmation,
        voicemail_greeting,
    )

    fixed = {
        *override_confirmation("vi", "open").parts,
        *override_confirmation("vi", "closed").parts,
        *override_confirmation("vi", None).parts,
        *voicemail_greeting("en").parts,
    }
    for action in ("login", "logout", "pause", "unpause"):
        fixed |= set(agent_confirmation("en", action).parts)
    fixed |= set(agent_no_queue("vi").parts)
    for condition in ("always", "busy", "no_answer"):
        fixed |= set(forwarding_confirmation("en", condition, "+84912").parts)
        fixed |= set(forwarding_confirmation("vi", condition, None).parts)
    assert fixed <= vi and fixed <= en
    assert {n: t for n, t, _o in overridable("en")}["num_40"] == "forty"
    assert {n: t for n, t, _o in overridable("vi")}["num_lam"] == "lăm"


def test_the_flow_plays_the_announcement_then_resumes_its_hold_music() -> None:
    center = CallCenter(1, queue_moh={4: "jazz"})
    flow = CallerFlow(center, Destination("queue", id=4), wall_offset=0.0)
    assert flow.handle(Answered(), 0.0) == [Play("jazz", loop=True), Dial("queue:4")]
    say = spoken("vi", announcement("vi", 2, None), 1)
    assert say.startswith("say:vi:1:queue_position_before num_2 queue_position_after?:Quý khách")
    assert flow.announce("vi", 2, None) == [Play(say)]
    assert flow.handle(PromptFinished(), 4.0) == [Play("jazz", loop=True)]
    assert flow.handle(PromptFinished(), 5.0) == []  # the music's own end (it loops): nothing
    flow.stage = "connected"  # an agent answered: announcements due later are dropped
    assert flow.announce("vi", 1, None) == []


def test_a_schedule_code_confirms_in_words_or_refuses() -> None:
    from server.callcenter.announce import override_confirmation
    from server.callcenter.flow import AgentCodeCall
    from server.media.logic import HangUp

    said = spoken("vi", override_confirmation("vi", "open"), 3)
    assert said == "say:vi:3:override_open:Đã chuyển sang mở cửa."
    assert override_confirmation("en", None) == Sentence("Back to the business hours.", ("override_auto",))
    call = AgentCodeCall()
    assert call.done(True, said) == []  # not answered yet: said once it is
    assert call.handle(Answered(), 0.0) == [Play(said)]
    assert call.handle(PromptFinished(), 2.0) == [HangUp("agent code done")]
    refused = AgentCodeCall()
    refused.handle(Answered(), 0.0)
    assert refused.done(False, said) == [Play("invalid_option")]


def test_a_forwarding_code_confirms_the_target_digit_by_digit_or_says_why_not() -> None:
    from server.callcenter.announce import forwarding_confirmation, forwarding_refused
    from server.callcenter.flow import AgentCodeCall

    assert forwarding_confirmation("vi", "always", "103") == Sentence(
        "Chuyển tiếp mọi cuộc gọi tới số 1 0 3 đã được bật.",
        ("forwarding_always_to", "num_1", "num_0", "num_3", "forwarding_on"),
    )
    assert forwarding_confirmation("en", "busy", None) == Sentence(
        "Forwarding when busy is off.", ("forwarding_busy_off",)
    )
    assert (
        forwarding_confirmation("fr", "no_answer", None).text == "Chuyển tiếp khi không trả lời đã được tắt."
    )
    refused = spoken("en", forwarding_refused("en"))
    call = AgentCodeCall()
    call.handle(Answered(), 0.0)
    assert call.done(False, "say:en:ok", refused) == [Play(refused)]  # a spoken error, not the beep


def test_a_code_followed_by_a_number_is_recognised_only_for_the_forwarding_codes() -> None:
    from server.sip.routing import feature_prefix

    assert feature_prefix("*72103") == "*72"
    assert feature_prefix("*900912345678") == "*90"
    assert feature_prefix("*52+84912345678") == "*52"
    assert feature_prefix("*72") is None  # no number: not a setting code
    assert feature_prefix("*73") is None
    assert feature_prefix("*7210a") is None
    assert feature_prefix("*6199") is None


def test_an_agent_code_is_confirmed_in_the_company_language_and_a_non_agent_is_told_why() -> None:
    from server.callcenter.announce import agent_confirmation, agent_no_queue
    from server.callcenter.flow import AgentCodeCall

    assert agent_confirmation("vi", "login") == Sentence(
        "Bạn đã đăng nhập vào hàng chờ.", ("agent_logged_in",)
    )
    assert agent_confirmation("en", "pause") == Sentence("You are paused.", ("agent_paused",))
    assert agent_confirmation("xx", "unpause").parts == ("agent_unpaused",)  # unknown language: Vietnamese
    said = spoken("en", agent_confirmation("en", "logout"), 7)
    assert said == "say:en:7:agent_logged_out:You are logged out of your queues."
    refused = spoken("vi", agent_no_queue("vi"), 7)
    call = AgentCodeCall()
    call.handle(Answered(), 0.0)
    assert call.done(False, said, refused) == [Play(refused)]
