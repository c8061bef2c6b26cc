"""Vietnamese phone numbers as the provisioning API stores them: "84" + national number, no "+".

The desktop validates locally (instant feedback in the sign-up form) with the same mobile prefixes the server
accepts (post-2018 10-digit plan); the server stays the authority.
"""

from __future__ import annotations

import re

# Mobile network codes as dialled nationally without the leading 0.
VN_MOBILE_PREFIXES = frozenset(
    {
        *(f"3{d}" for d in "23456789"),
        "52", "55", "56", "58", "59",
        "70", "76", "77", "78", "79",
        *(f"8{d}" for d in "123456789"),
        "90", "91", "92", "93", "94", "96", "97", "98", "99",
    }
)  # fmt: skip

_SEPARATORS = re.compile(r"[\s.\-()/]")


class InvalidPhoneNumber(ValueError):
    """Not a Vietnamese phone number of the accepted kind."""


def normalize_vn_phone(value: str, *, allow_landline: bool = False) -> str:
    """'0912 345 678', '+84912345678', '84912345678' -> '84912345678'; raises InvalidPhoneNumber otherwise.

    Mobile numbers only, unless ``allow_landline`` (fixed lines: 02x area code, 10 national digits).
    """
    s = _SEPARATORS.sub("", value.strip())
    if s.startswith("+84"):
        national = s[3:]
    elif s.startswith("0084"):
        national = s[4:]
    elif s.startswith("84") and len(s) in (11, 12):
        national = s[2:]
    elif s.startswith("0"):
        national = s[1:]
    else:
        raise InvalidPhoneNumber(f"{value!r}: expected 0912345678, +84912345678 or 84912345678")
    if not national.isdigit() or not national.isascii():
        raise InvalidPhoneNumber(f"{value!r}: only digits, spaces, dots and dashes are allowed")
    if len(national) == 9 and national[:2] in VN_MOBILE_PREFIXES:
        return "84" + national
    if allow_landline and len(national) == 10 and national.startswith("2"):
        return "84" + national
    raise InvalidPhoneNumber(f"{value!r}: not a Vietnamese {'phone' if allow_landline else 'mobile'} number")


def is_vn_mobile(value: str) -> bool:
    try:
        normalize_vn_phone(value)
    except InvalidPhoneNumber:
        return False
    return True


def display_vn_phone(normalized: str) -> str:
    """'84912345678' -> '0912 345 678' (how Vietnamese users write it)."""
    if normalized.startswith("84") and len(normalized) == 11:
        n = "0" + normalized[2:]
        return f"{n[:4]} {n[4:7]} {n[7:]}"
    if normalized.startswith("84") and len(normalized) == 12:
        n = "0" + normalized[2:]
        return f"{n[:3]} {n[3:7]} {n[7:]}"
    return normalized
