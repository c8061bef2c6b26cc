"""Call cost, sans-IO: the default Vietnamese rate table's prefixes, longest-prefix match on the normalized
number, and the billing increments (6 s + 1 s, 60 s + 60 s)."""

from __future__ import annotations

import pytest

from server.domain.call_cost import (
    DEFAULT_TABLE,
    INTERNATIONAL,
    LANDLINE,
    MOBILE,
    Rate,
    billed_seconds,
    call_cost,
    dial_key,
    table_from_rows,
)

pytestmark = pytest.mark.unit

SEEDED = {
    "Viettel": "086 096 097 098 032 033 034 035 036 037 038 039",
    "Vinaphone": "088 091 094 081 082 083 084 085",
    "MobiFone": "089 090 093 070 076 077 078 079",
    "Vietnamobile": "092 056 058",
    "Gmobile": "099 059",
    "iTel": "087",
    "Reddi": "055",
}


@pytest.mark.parametrize(("carrier", "prefixes"), SEEDED.items())
def test_default_table_seeds_every_vietnamese_mobile_prefix(carrier: str, prefixes: str) -> None:
    for prefix in prefixes.split():
        entry = DEFAULT_TABLE.match(prefix + "1234567")
        assert entry is not None and (entry.label, entry.kind, entry.rate) == (carrier, "mobile", MOBILE)


@pytest.mark.parametrize(
    ("dialled", "key"),
    [
        ("+84 961 234 567", "0961234567"),
        ("84961234567", "0961234567"),
        ("0961.234.567", "0961234567"),
        ("02873001234", "02873001234"),
        ("+442012345678", "00442012345678"),
        ("00442012345678", "00442012345678"),
        ("19001234", "19001234"),
        ("*43", None),
    ],
)
def test_numbers_are_matched_in_their_national_dialled_form(dialled: str, key: str | None) -> None:
    assert dial_key(dialled) == key


def test_landline_international_and_fallback() -> None:
    assert DEFAULT_TABLE.match("028 7300 1234").kind == "landline"  # type: ignore[union-attr]
    assert DEFAULT_TABLE.match("+44 20 1234 5678").kind == "international"  # type: ignore[union-attr]
    assert DEFAULT_TABLE.match("19001234") is None and DEFAULT_TABLE.rate_for("19001234") == LANDLINE


def test_longest_prefix_wins() -> None:
    table = table_from_rows(
        "carrier X",
        [
            ("09", "mobile", "any 09", 1000.0, 6, 1),
            ("096", "mobile", "Viettel 096", 700.0, 6, 1),
            ("0961", "mobile", "promo", 100.0, 60, 60),
            ("00", "international", "International", 5000.0, 60, 60),
            ("0044", "international", "UK", 3000.0, 60, 60),
        ],
        LANDLINE,
    )
    assert table.match("0961234567").label == "promo"  # type: ignore[union-attr]
    assert table.match("0962234567").label == "Viettel 096"  # type: ignore[union-attr]
    assert table.match("0912345678").label == "any 09"  # type: ignore[union-attr]
    assert table.match("+44 20 1234 5678").label == "UK"  # type: ignore[union-attr]
    assert table.match("+33 1 23 45 67 89").label == "International"  # type: ignore[union-attr]


def test_six_plus_one_rounding() -> None:
    rate = Rate(1200.0, 6, 1)
    assert [billed_seconds(s, rate) for s in (0, 0.4, 3, 6, 6.01, 6.5, 7, 61.2)] == [0, 6, 6, 6, 7, 7, 7, 62]
    assert (
        call_cost(
            "outbound", "0961234567", 3, table_from_rows("t", [("096", "mobile", "V", 1200, 6, 1)], LANDLINE)
        )
        == 120
    )
    assert call_cost("outbound", "0961234567", 61.2) == round(62 * 1180 / 60)


def test_per_minute_rounding() -> None:
    assert [billed_seconds(s, INTERNATIONAL) for s in (1, 60, 60.5, 119, 121)] == [60, 60, 120, 120, 180]
    assert call_cost("outbound", "+442012345678", 61) == 9000


def test_free_and_unanswered_calls_cost_nothing() -> None:
    assert call_cost("internal", "102", 600) == 0
    assert call_cost("inbound", "0961234567", 600) == 0
    assert call_cost("outbound", "0961234567", 0) == 0


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ([("09a", "mobile", "x", 1.0, 6, 1)], "row 1: the prefix must be digits"),
        (
            [("09", "mobile", "x", 1.0, 6, 1), ("09", "mobile", "y", 1.0, 6, 1)],
            "row 2: prefix 09 appears twice",
        ),
        ([("09", "mobile", "x", -1.0, 6, 1)], "price >= 0"),
        ([("09", "mobile", "x", 1.0, 6, 0)], "at least 1 s"),
    ],
)
def test_bad_rows_are_refused(rows: list, error: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match=error):
        table_from_rows("t", rows, LANDLINE)
