"""Phone numbers: the one module for every number rule of the desktop (Qt-free).

* What the provisioning API stores: "84" + national number, no "+" (``normalize_vn_phone``). The desktop
  validates locally (instant feedback in the sign-up form) with the same mobile prefixes the server accepts
  (post-2018 10-digit plan); the server stays the authority.
* What an agent dials: pasted text cleaned up (``normalize_dial_string``), shown grouped the Vietnamese way
  (``format_vn_number``), and whether it leaves the company (``is_internal``).
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
    if normalized.startswith("84") and len(normalized) in (11, 12):
        return format_vn_number("0" + normalized[2:])
    return normalized


_DIALABLE = re.compile(r"[^0-9*#+]")
_URI_SCHEMES = ("tel:", "sip:", "sips:", "callto:", "callto://")


def strip_scheme(text: str) -> str:
    """Remove a ``tel:``/``sip:``/``callto:`` prefix and URI parameters after ``;``."""
    text = text.strip()
    lowered = text.lower()
    for scheme in sorted(_URI_SCHEMES, key=len, reverse=True):
        if lowered.startswith(scheme):
            text = text[len(scheme) :]
            break
    return text.split(";", 1)[0].split("?", 1)[0].strip()


def normalize_dial_string(text: str) -> str:
    """Turn pasted text such as ``+84 912-345-678`` or ``tel:0912.345.678`` into ``0912345678``.

    A SIP address with a host (``bob@example.com``) is returned unchanged so it can be dialled as a URI.
    Vietnamese international forms (+84 / 84 followed by 9 digits) become the domestic 0-prefixed form,
    which is what the PBX and the carriers expect from agents.
    """
    text = strip_scheme(text)
    if "@" in text:
        user, _, host = text.partition("@")
        digits = _DIALABLE.sub("", user)
        if digits and digits == user.replace(" ", ""):
            return digits if _looks_local(host) else f"{digits}@{host}"
        return text
    digits = _DIALABLE.sub("", text)
    # Only a leading + means "international"; stray ones come from copy-paste noise.
    digits = ("+" if digits.startswith("+") else "") + digits.replace("+", "")
    if digits.startswith("+84") and len(digits) == 12:
        return "0" + digits[3:]
    if digits.startswith("0084") and len(digits) == 13:
        return "0" + digits[4:]
    if digits.startswith("84") and len(digits) == 11:
        return "0" + digits[2:]
    return digits


def _looks_local(host: str) -> bool:
    # Links from our own directory carry the company's domain; the account's domain is implied.
    return host.endswith(".local") or host.startswith("127.") or host == "localhost"


def format_vn_number(number: str) -> str:
    """Group a Vietnamese number for display: ``0912 345 678``, ``028 7300 1234``, ``1900 1234``.

    Extensions, feature codes (``*43``) and anything not recognised are returned unchanged.
    """
    n = number.strip()
    intl = False
    if n.startswith("+84"):
        intl, n = True, "0" + n[3:]
    elif n.startswith("84") and len(n) == 11:
        intl, n = True, "0" + n[2:]
    if not n.isdigit():
        return number
    if n.startswith(("1800", "1900")):
        rest = n[4:]
        groups = [n[:4], rest] if len(rest) <= 4 else [n[:4], rest[:3], rest[3:]]
    elif n.startswith("02") and len(n) == 11:
        groups = [n[:3], n[3:7], n[7:]]
    elif n.startswith("0") and len(n) == 10:
        groups = [n[:4], n[4:7], n[7:]]
    else:
        return number
    if intl:
        groups[0] = "+84 " + groups[0][1:]
    return " ".join(g for g in groups if g)


def to_e164_digits(number: str) -> str:
    """``0912345678`` -> ``84912345678`` (the server's storage form); other input unchanged."""
    n = normalize_dial_string(number)
    if n.startswith("0") and len(n) in (10, 11) and n.isdigit():
        return "84" + n[1:]
    return n.lstrip("+")


def user_part(uri: str) -> str:
    """``"Bob" <sip:102@demo.local>`` -> ``102``."""
    text = uri.strip()
    if "<" in text and ">" in text:
        text = text[text.index("<") + 1 : text.index(">")]
    text = strip_scheme(text)
    return text.split("@", 1)[0]


# Extensions and feature codes (*43) are at most this long; anything longer leaves the company.
MAX_INTERNAL_DIGITS = 6


def is_internal(number: str) -> bool:
    """An extension or a feature code (``102``, ``*43``): dialled inside the company, no caller ID."""
    n = number.strip()
    return bool(n) and "@" not in n and len(n) <= MAX_INTERNAL_DIGITS
