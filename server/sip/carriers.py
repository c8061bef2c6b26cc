"""Vietnamese phone numbers: normalisation and the mobile prefix -> carrier table.

Numbers are normalised to the international form without '+' ("84" + national number), which is
what carrier trunks expect.  The prefix table is the post-2018 11->10 digit plan (the old 01xx
prefixes were moved to 03x/05x/07x/08x), including the later 052 (Vietnamobile), 055 (Reddi),
087 (iTel) allocations.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Carrier(StrEnum):
    VIETTEL = "viettel"
    VINAPHONE = "vinaphone"
    MOBIFONE = "mobifone"
    VIETNAMOBILE = "vietnamobile"
    GMOBILE = "gmobile"
    ITEL = "itel"
    REDDI = "reddi"


# Mobile network codes as dialled nationally (without the leading 0).
MOBILE_PREFIXES: dict[str, Carrier] = {
    **dict.fromkeys(("86", "96", "97", "98", *(f"3{d}" for d in "23456789")), Carrier.VIETTEL),
    **dict.fromkeys(("88", "91", "94", "81", "82", "83", "84", "85"), Carrier.VINAPHONE),
    **dict.fromkeys(("89", "90", "93", "70", "76", "77", "78", "79"), Carrier.MOBIFONE),
    **dict.fromkeys(("92", "52", "56", "58"), Carrier.VIETNAMOBILE),
    **dict.fromkeys(("99", "59"), Carrier.GMOBILE),
    **dict.fromkeys(("87",), Carrier.ITEL),
    **dict.fromkeys(("55",), Carrier.REDDI),
}

_SEPARATORS = re.compile(r"[\s.\-()/]")
_DIGITS = re.compile(r"\+?[0-9]+")


def normalize_number(dialed: str) -> str | None:
    """'0961 234 567', '+84961234567', '84961234567' -> '84961234567'.

    Service numbers (1800/1900xxxx) and other short numbers stay as dialled.  Returns None for
    anything that is not a phone number (letters, feature codes such as '*43').
    """
    s = _SEPARATORS.sub("", dialed)
    if not s or not _DIGITS.fullmatch(s):
        return None
    if s.startswith("+"):
        s = s[1:]
        return s if len(s) >= 8 else None
    if s.startswith("00"):  # international prefix
        return s[2:] if len(s) > 10 else None
    if s.startswith("84") and len(s) in (11, 12):  # 84 + 9 (mobile) or 10 (fixed line) digits
        return s
    if s.startswith("0") and len(s) in (10, 11):
        return "84" + s[1:]
    return s


def is_vn_mobile(number: str) -> bool:
    n = normalize_number(number)
    return n is not None and len(n) == 11 and n.startswith("84") and n[2:4] in MOBILE_PREFIXES


def carrier_of(number: str) -> Carrier | None:
    """The mobile carrier of a number by its prefix, or None (fixed line, foreign, unknown)."""
    n = normalize_number(number)
    if n is None or len(n) != 11 or not n.startswith("84"):
        return None
    return MOBILE_PREFIXES.get(n[2:4])
