import pytest

from server.sip.carriers import MOBILE_PREFIXES, Carrier, carrier_of, is_vn_mobile, normalize_number

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("dialed", "expected"),
    [
        ("0961234567", "84961234567"),
        ("0961 234 567", "84961234567"),
        ("096.123.4567", "84961234567"),
        ("+84961234567", "84961234567"),
        ("84961234567", "84961234567"),
        ("0084961234567", "84961234567"),
        ("02873001234", "842873001234"),
        ("842873001234", "842873001234"),
        ("19001234", "19001234"),
        ("*43", None),
        ("alice", None),
        ("", None),
    ],
)
def test_normalize_number(dialed: str, expected: str | None) -> None:
    assert normalize_number(dialed) == expected


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("0961234567", Carrier.VIETTEL),
        ("0861234567", Carrier.VIETTEL),
        ("0321234567", Carrier.VIETTEL),
        ("0391234567", Carrier.VIETTEL),
        ("0881234567", Carrier.VINAPHONE),
        ("0911234567", Carrier.VINAPHONE),
        ("0941234567", Carrier.VINAPHONE),
        ("0811234567", Carrier.VINAPHONE),
        ("0851234567", Carrier.VINAPHONE),
        ("0891234567", Carrier.MOBIFONE),
        ("0901234567", Carrier.MOBIFONE),
        ("0931234567", Carrier.MOBIFONE),
        ("0701234567", Carrier.MOBIFONE),
        ("0761234567", Carrier.MOBIFONE),
        ("0791234567", Carrier.MOBIFONE),
        ("0921234567", Carrier.VIETNAMOBILE),
        ("0561234567", Carrier.VIETNAMOBILE),
        ("0581234567", Carrier.VIETNAMOBILE),
        ("0991234567", Carrier.GMOBILE),
        ("0591234567", Carrier.GMOBILE),
        ("0871234567", Carrier.ITEL),
        ("+84 87 123 4567", Carrier.ITEL),
    ],
)
def test_carrier_of_mobile(number: str, carrier: Carrier) -> None:
    assert carrier_of(number) is carrier
    assert is_vn_mobile(number)


@pytest.mark.parametrize("number", ["02873001234", "0241234567", "19001234", "+14155550100", "101"])
def test_fixed_lines_and_foreign_have_no_carrier(number: str) -> None:
    assert carrier_of(number) is None


def test_prefix_table_has_no_overlap_with_fixed_line_area_codes() -> None:
    assert not any(p.startswith("2") for p in MOBILE_PREFIXES)
