"""IVR menus driven with a fake clock: options, direct dialling, timeouts, retries, submenus."""

from __future__ import annotations

import pytest

from server.callcenter.destinations import HANGUP, Destination
from server.callcenter.ivr import HangUp, IvrSession, Route, ivr_from_json
from server.callcenter.media import Play, StopPlay

pytestmark = pytest.mark.unit

SALES = {"kind": "queue", "id": 1}
OPERATOR = {"kind": "extension", "extension": "101"}
VOICEMAIL = {"kind": "voicemail", "id": 9}


def _menus(**main: object) -> dict:
    top = ivr_from_json(
        1,
        {
            "greeting": "welcome",
            "options": {"1": SALES, "0": OPERATOR, "2": {"kind": "ivr", "id": 2}},
            "timeout": 5,
            "inter_digit_timeout": 2,
            "retries": 2,
            "timeout_prompt": "no_input",
            "invalid_destination": VOICEMAIL,
            "timeout_destination": OPERATOR,
            **main,
        },
    )
    sub = ivr_from_json(
        2, {"greeting": "support", "options": {"1": {"kind": "queue", "id": 2}}, "parent_id": 1}
    )
    return {1: top, 2: sub}


def _session(**main: object) -> IvrSession:
    return IvrSession(_menus(**main), 1, extensions=frozenset({"101", "102", "1234", "20"}))


def test_greeting_then_option() -> None:
    s = _session()
    assert s.answered(0.0) == [Play("welcome")]
    assert s.deadline is None  # the timeout runs from the end of the prompt
    assert s.prompt_finished(4.0) == []
    assert s.deadline == 9.0
    assert s.digit("1", 6.0) == [Route(Destination("queue", id=1))]
    assert s.done and s.path == [1]
    assert s.digit("0", 7.0) == [] and s.tick(100.0) == []


def test_digit_barges_in_on_the_prompt() -> None:
    s = _session()
    s.answered(0.0)
    assert s.digit("0", 1.0) == [StopPlay(), Route(Destination("extension", extension="101"))]


def test_direct_dialling() -> None:
    s = _session(direct_dial=True)
    s.answered(0.0)
    s.prompt_finished(3.0)
    # "1" is an option and the start of 101/102/1234: wait for more
    assert s.digit("1", 4.0) == []
    assert s.deadline == 6.0
    assert s.digit("0", 5.0) == []
    # "101" is complete and no longer extension begins with it: routed at once
    assert s.digit("1", 5.5) == [Route(Destination("extension", extension="101"))]

    s = _session(direct_dial=True)
    s.answered(0.0)
    s.prompt_finished(3.0)
    s.digit("1", 4.0)
    s.digit("2", 4.5)  # "12": the start of 1234
    s.digit("3", 5.0)
    assert s.digit("4", 5.5) == [Route(Destination("extension", extension="1234"))]

    # "1" alone, then the inter-digit timeout: the menu option
    s = _session(direct_dial=True)
    s.answered(0.0)
    s.prompt_finished(3.0)
    s.digit("1", 4.0)
    assert s.tick(5.9) == []
    assert s.tick(6.0) == [Route(Destination("queue", id=1))]

    # "2" could begin extension 20 (and is the submenu's option): '#' ends it as dialled
    s = _session(direct_dial=True)
    s.answered(0.0)
    s.digit("2", 1.0)
    assert s.digit("#", 1.5) == [Play("support")]  # "2" alone: the submenu
    s = _session(direct_dial=True)
    s.answered(0.0)
    s.digit("2", 1.0)
    assert s.digit("0", 1.5) == [Route(Destination("extension", extension="20"))]

    # without direct dialling, extensions are not reachable: "1" is taken at once
    s = _session()
    s.answered(0.0)
    assert s.digit("1", 1.0)[-1] == Route(Destination("queue", id=1))


def test_unknown_extension_counts_as_invalid() -> None:
    s = _session(direct_dial=True)
    s.answered(0.0)
    s.prompt_finished(1.0)
    s.digit("1", 2.0)
    s.digit("2", 2.5)
    assert s.tick(4.5) == [Play("invalid_option")]  # "12" is neither option nor extension
    assert s.invalid == 1


def test_invalid_input_retries_then_destination() -> None:
    s = _session()
    s.answered(0.0)
    s.prompt_finished(2.0)
    assert s.digit("7", 3.0) == [Play("invalid_option")]
    assert s.prompt_finished(4.0) == [Play("welcome")]  # then the menu again
    assert s.prompt_finished(6.0) == [] and s.deadline == 11.0
    assert s.digit("8", 7.0) == [Play("invalid_option")]
    # a digit during the invalid prompt drops the queued greeting
    assert s.digit("9", 7.5) == [StopPlay(), Route(Destination("voicemail", id=9))]
    assert s.done


def test_silence_retries_then_timeout_destination() -> None:
    s = _session()
    s.answered(0.0)
    s.prompt_finished(2.0)
    assert s.deadline == 7.0
    assert s.tick(6.9) == []
    assert s.tick(7.0) == [Play("no_input")]
    assert s.prompt_finished(8.0) == [Play("welcome")]
    s.prompt_finished(10.0)
    assert s.tick(15.0) == [Play("no_input")]
    s.prompt_finished(16.0)
    s.prompt_finished(18.0)
    assert s.tick(23.0) == [Route(Destination("extension", extension="101"))]
    assert s.silent == 3


def test_final_destination_hang_up() -> None:
    s = _session(retries=0, timeout_destination=None)
    s.answered(0.0)
    s.prompt_finished(1.0)
    assert s.tick(6.0) == [HangUp()]
    assert _menus()[2].timeout_destination == HANGUP


def test_submenu_and_back_to_parent() -> None:
    s = _session()
    s.answered(0.0)
    assert s.digit("2", 1.0) == [StopPlay(), Play("support")]
    assert s.menu_id == 2
    s.prompt_finished(3.0)
    assert s.digit("*", 4.0) == [Play("welcome")]
    assert s.menu_id == 1 and s.path == [1, 2, 1]
    s.digit("2", 5.0)
    assert s.digit("1", 6.0) == [StopPlay(), Route(Destination("queue", id=2))]
    assert s.path == [1, 2, 1, 2]
    # '*' in the top menu (no parent) is invalid input
    s = _session()
    s.answered(0.0)
    assert s.digit("*", 1.0) == [StopPlay(), Play("invalid_option")]


def test_hang_up_stops_everything() -> None:
    s = _session()
    s.answered(0.0)
    assert s.hang_up() == []
    assert s.deadline is None
    assert s.prompt_finished(1.0) == [] and s.digit("1", 2.0) == [] and s.tick(99.0) == []
