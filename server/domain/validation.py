"""Input rules shared by every service: phone numbers, extensions, e-mail, SIP usernames."""

from __future__ import annotations

import re

from server.domain.errors import InvalidInput
from server.sip.carriers import is_vn_mobile, normalize_number

_EXTENSION = re.compile(r"[0-9]{2,4}")
_SIP_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")
_HOTLINE = re.compile(r"\+?[0-9]{3,15}")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~\-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")
_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,252}")


def normalize_phone(value: str, *, field: str = "phone") -> str:
    """A Vietnamese mobile number in 0xx / +84xx / 84xx form -> "84xxxxxxxxx"."""
    normalized = normalize_number(value) if len(value) <= 32 else None
    if normalized is None or not is_vn_mobile(normalized):
        raise InvalidInput(
            "invalid_phone",
            "not a Vietnamese mobile number",
            fields={field: "expected 0912345678, +84912345678 or 84912345678"},
        )
    return normalized


def normalize_vn_number(value: str, *, field: str = "number") -> str:
    """A Vietnamese mobile (0912345678) or fixed-line (02873001234) number, 0 / +84 / 84 form -> "84..."."""
    normalized = normalize_number(value) if len(value) <= 32 else None
    fixed_line = normalized is not None and len(normalized) == 12 and normalized.startswith("842")
    if normalized is None or not (is_vn_mobile(normalized) or fixed_line):
        raise InvalidInput(
            "invalid_phone",
            "not a Vietnamese phone number",
            fields={field: "expected 0912345678, 02873001234 or +84912345678"},
        )
    return normalized


def check_extension(value: str, *, field: str = "extension") -> str:
    if not _EXTENSION.fullmatch(value):
        raise InvalidInput("invalid_extension", "extension must be 2-4 digits", fields={field: "2-4 digits"})
    return value


def normalize_email(value: str, *, field: str = "email") -> str:
    """Syntax only (company-internal domains such as demo.local are fine); stored lower-case."""
    value = value.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise InvalidInput("invalid_email", "not an e-mail address", fields={field: "e.g. an@example.vn"})
    return value.lower()


def check_sip_username(value: str, *, field: str = "sip_username") -> str:
    if not _SIP_USERNAME.fullmatch(value):
        raise InvalidInput(
            "invalid_sip_username",
            "SIP username: letters, digits, . _ -",
            fields={field: "1-64 of [A-Za-z0-9._-]"},
        )
    return value


def check_hotline_number(value: str, *, field: str = "number") -> str:
    cleaned = re.sub(r"[\s.\-()]", "", value)
    if not _HOTLINE.fullmatch(cleaned):
        raise InvalidInput("invalid_number", "not a phone number", fields={field: "3-15 digits"})
    return cleaned.lstrip("+")


def check_host(value: str, *, field: str = "trunk_host") -> str:
    if not _HOST.fullmatch(value):
        raise InvalidInput("invalid_host", "not a host name or address", fields={field: "host name or IPv4"})
    return value


def check_password(value: str, *, field: str = "password") -> str:
    if len(value) < 8:
        raise InvalidInput("weak_password", "password too short", fields={field: "at least 8 characters"})
    return value
