"""Rate table entries: what the domain accepts and how a stored table prices calls (no database)."""

from __future__ import annotations

import pytest

from server.domain import call_cost as cc
from server.domain.errors import InvalidInput
from server.domain.models import Hotline, RateTable
from server.domain.rate_tables import check_entries, company_rates, default_entries, table_of

ROW = {
    "prefix": "086",
    "kind": "mobile",
    "label": "Viettel",
    "per_minute": "1,000",
    "first_block": "6",
    "then_every": "1",
}


def test_entries_are_normalized() -> None:
    assert check_entries([ROW]) == [
        {
            "prefix": "086",
            "kind": "mobile",
            "label": "Viettel",
            "per_minute": 1000.0,
            "first_block": 6,
            "then_every": 1,
        }
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"prefix": "08a"}, "prefix_1", "a prefix is digits only (e.g. 086, 02, 00)"),
        ({"prefix": ""}, "prefix_1", "a prefix is digits only (e.g. 086, 02, 00)"),
        ({"prefix": "086"}, "prefix_1", "this prefix is already in the table"),
        ({"kind": "satellite"}, "kind_1", "kind: mobile, landline, international or internal"),
        ({"per_minute": "-1"}, "per_minute_1", "the price per minute is a number of VND, 0 or more"),
        ({"per_minute": "nan"}, "per_minute_1", "the price per minute is a number of VND, 0 or more"),
        ({"first_block": "0"}, "first_block_1", "billing blocks are whole seconds from 1 to 3600"),
        ({"then_every": "1.5"}, "then_every_1", "billing blocks are whole seconds from 1 to 3600"),
    ],
)
def test_bad_entries_name_the_row_and_field(change: dict[str, str], field: str, message: str) -> None:
    second = {**ROW, "prefix": "02", **change}
    with pytest.raises(InvalidInput) as err:
        check_entries([ROW, second])
    assert err.value.fields == {field: message} and err.value.message == message


def test_default_entries_round_trip_to_the_builtin_table() -> None:
    stored = RateTable(id=1, company_id=1, name="default", is_default=False, entries=default_entries())
    assert table_of(stored).entries == cc.DEFAULT_TABLE.entries


def test_company_rates_pick_the_hotline_table_then_the_default() -> None:
    cheap = RateTable(
        id=1,
        company_id=1,
        name="cheap",
        is_default=False,
        entries=[{**check_entries([ROW])[0], "per_minute": 600.0, "first_block": 60, "then_every": 60}],
    )
    house = RateTable(
        id=2,
        company_id=1,
        name="house",
        is_default=True,
        entries=check_entries([{**ROW, "per_minute": "900"}]),
    )
    rates = company_rates(
        [cheap, house],
        [Hotline(number="02873001234", rate_table_id=1), Hotline(number="02873005678", rate_table_id=None)],
    )
    # 61 s: 60 s + 60 s blocks -> 120 s at 600/min = 1200; the default table 6 s + 1 s -> 61 s at 900 = 915
    assert cc.call_cost("outbound", "0861234567", 61, rates.table_for("02873001234")) == 1200
    assert cc.call_cost("outbound", "0861234567", 61, rates.table_for("02873005678")) == 915
    assert company_rates([cheap], []).table_for(None) is cc.DEFAULT_TABLE
