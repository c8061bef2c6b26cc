"""Call-center form fields <-> configuration documents, without a browser."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from server.web import callcenter_forms as forms


def _form(*pairs: tuple[str, str]) -> FormData:
    return FormData(list(pairs))


def test_weekly_rows_expand_to_ranges_and_group_back() -> None:
    form = _form(
        ("w0_days", "mon"),
        ("w0_days", "tue"),
        ("w0_start", "08:00"),
        ("w0_end", "17:30"),
        ("w1_start", ""),
        ("w1_end", ""),
        ("w2_days", "sat"),
        ("w2_start", "08:00"),
        ("w2_end", "12:00"),
        ("h0_name", "Tết"),
        ("h0_start", "2027-02-05"),
        ("h0_end", ""),
        ("h1_name", "Giỗ Tổ"),
        ("h1_start", "2027-04-16"),
        ("h1_destination", "prompt_hangup:closed_holiday"),
        ("open", "queue:3"),
        ("closed", "hangup"),
        ("holiday", ""),
        ("override", "closed"),
    )
    config = forms.schedule_config(form)
    assert [r["day"] for r in config["weekly"]] == ["mon", "tue", "sat"]
    assert config["holidays"][0]["end"] == "2027-02-05"  # one day when the last day is left empty
    assert config["holidays"][0]["destination"] is None  # the schedule's holiday destination
    assert config["holidays"][1]["destination"] == {"kind": "prompt_hangup", "prompt": "closed_holiday"}
    assert config["open"] == {"kind": "queue", "id": 3} and config["closed"] == {"kind": "hangup"}
    assert config["holiday"] is None and config["override"] == "closed"
    rows = forms.weekly_rows(config)
    assert rows[0] == {"days": {"mon", "tue"}, "start": "08:00", "end": "17:30"}
    assert len(rows) == 2 + forms.BLANK_ROWS


def test_schedule_errors_name_the_row() -> None:
    form = _form(
        ("w0_start", ""),
        ("w0_end", ""),
        ("w1_days", "fri"),
        ("w1_start", "18:00"),
        ("w1_end", "08:00"),
        ("open", "hangup"),
        ("closed", "hangup"),
    )
    with pytest.raises(forms.FormRefused) as refused:
        forms.schedule_config(form)
    assert refused.value.errors == {"w1": "The end must be after the start."}
    with pytest.raises(forms.FormRefused) as refused:
        forms.schedule_config(_form(("w0_start", "08:00"), ("w0_end", "09:00"), ("open", "hangup")))
    assert refused.value.errors == {"w0": "Tick at least one day."}


def test_ivr_keys_destinations_and_external_numbers() -> None:
    form = _form(
        ("opt_1", "queue:2"),
        ("opt_star", "ivr:1"),
        ("opt_9", "external:02873001234"),
        ("opt_9__number", "0909123456"),
        ("timeout", "5"),
        ("retries", "1"),
        ("parent_id", "1"),
    )
    config = forms.ivr_config(form)
    assert config["options"]["1"] == {"kind": "queue", "id": 2}
    assert config["options"]["*"] == {"kind": "ivr", "id": 1}
    assert config["options"]["9"] == {"kind": "external", "number": "0909123456", "hotline": "02873001234"}
    assert (config["timeout"], config["retries"], config["parent_id"]) == (5.0, 1, 1)
    assert forms.encode_destination(config["options"]["9"]) == "external:02873001234"
    with pytest.raises(forms.FormRefused) as refused:
        forms.ivr_config(_form(("opt_hash", "queue:abc")))
    assert refused.value.errors == {"opt_hash": "Choose a destination from the list."}


def test_queue_members_keep_tier_order_and_refuse_bad_numbers() -> None:
    form = _form(
        ("m_5", "1"), ("tier_5", "2"), ("m_7", "1"), ("tier_7", "0"), ("penalty_7", "3"), ("tier_9", "1")
    )
    assert forms.queue_members(form, [5, 7, 9]) == [
        {"user_id": 7, "tier": 0, "penalty": 3},
        {"user_id": 5, "tier": 2, "penalty": 0},
    ]
    with pytest.raises(forms.FormRefused) as refused:
        forms.queue_members(_form(("m_5", "1"), ("penalty_5", "101")), [5])
    assert refused.value.errors == {"penalty_5": "Too large."}


def test_queue_announcements_and_priority_callers() -> None:
    form = _form(
        ("strategy", "linear"),
        ("announce_every", "45"),
        ("announce_wait", "1"),
        ("language", "en"),
        ("priority_callers", "0903000001, 0903-000-002"),
        ("priority_hotlines", ""),
    )
    with pytest.raises(forms.FormRefused) as refused:  # not a phone number: refused next to its field
        forms.queue_config(form)
    assert set(refused.value.errors) == {"priority_callers"}
    form = _form(
        ("strategy", "linear"),
        ("announce_every", "45"),
        ("announce_wait", "1"),
        ("language", "en"),
        ("priority_callers", "0903000001, +84903000002\n0903000003"),
    )
    config = forms.queue_config(form)
    assert config["announce_every"] == 45 and config["language"] == "en"
    assert config["announce_position"] is False and config["announce_wait"] is True
    assert config["priority_callers"] == ["0903000001", "+84903000002", "0903000003"]
    assert config["priority_hotlines"] == []
