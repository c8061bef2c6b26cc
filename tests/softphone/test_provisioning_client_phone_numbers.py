"""normalize_vn_phone: the three accepted spellings of a Vietnamese mobile number, and what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from softphone.phone_numbers import (
    VN_MOBILE_PREFIXES,
    InvalidPhoneNumber,
    display_vn_phone,
    is_vn_mobile,
    normalize_vn_phone,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "spelling",
    [
        "0912345678",
        "+84912345678",
        "84912345678",
        "0912 345 678",
        "091.234.5678",
        "+84 91-234-5678",
        "0084912345678",
    ],
)
def test_accepted_spellings(spelling: str) -> None:
    assert normalize_vn_phone(spelling) == "84912345678"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "912345678",  # no trunk prefix
        "091234567",  # too short
        "09123456789",  # too long
        "0112345678",  # no such mobile network
        "0952345678",  # 095 is not allocated
        "+14155550123",  # foreign
        "0912a45678",
        "０９１２３４５６７８",  # full-width digits
        "02873001234",  # landline, refused unless allowed
        "*43",
    ],
)
def test_refused(bad: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalize_vn_phone(bad)
    assert not is_vn_mobile(bad)


def test_landline_when_allowed() -> None:
    assert normalize_vn_phone("028 7300 1234", allow_landline=True) == "842873001234"
    assert normalize_vn_phone("+842873001234", allow_landline=True) == "842873001234"
    assert display_vn_phone("842873001234") == "028 7300 1234"


def test_display_form() -> None:
    assert display_vn_phone("84912345678") == "0912 345 678"
    assert display_vn_phone("12345") == "12345"


@given(prefix=st.sampled_from(sorted(VN_MOBILE_PREFIXES)), rest=st.text("0123456789", min_size=7, max_size=7))
def test_every_spelling_of_every_mobile_normalizes_the_same(prefix: str, rest: str) -> None:
    national = prefix + rest
    expected = "84" + national
    for spelling in ("0" + national, "+84" + national, "84" + national):
        assert normalize_vn_phone(spelling) == expected
    assert normalize_vn_phone(display_vn_phone(expected)) == expected
