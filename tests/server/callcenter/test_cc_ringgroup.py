"""Ring groups: simultaneous (one step) or ordered (one member per step), then the no-answer destination."""

from __future__ import annotations

import pytest

from server.callcenter.destinations import HANGUP, Destination, destination_from_json
from server.callcenter.ringgroup import RingPlan, RingStep, ring_plan

pytestmark = pytest.mark.unit


def test_simultaneous_is_one_step() -> None:
    plan = ring_plan({"extensions": ["101", "102", 103], "ring_timeout": 25})
    assert plan == RingPlan((RingStep(("101", "102", "103"), 25.0),), HANGUP)


def test_ordered_is_one_member_per_step_then_no_answer() -> None:
    plan = ring_plan(
        {"mode": "ordered", "extensions": ["102", "101"], "no_answer": {"kind": "voicemail", "id": 4}}
    )
    assert plan.steps == (RingStep(("102",), 20.0), RingStep(("101",), 20.0))
    assert plan.no_answer == Destination("voicemail", id=4)


def test_destinations_from_json() -> None:
    assert destination_from_json(None) == HANGUP
    assert destination_from_json({"kind": "external", "number": "0901", "hotline": "028"}).number == "0901"
    assert destination_from_json({"kind": "ivr", "id": "3"}) == Destination("ivr", id=3)
    assert Destination("ivr", id=3).needs_media and not Destination("queue", id=1).needs_media
    with pytest.raises(ValueError):
        destination_from_json({"kind": "fax"})
