"""Dialable-number clean-up and Vietnamese display formats (Qt-free)."""

from __future__ import annotations

import re

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
