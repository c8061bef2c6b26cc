"""Which feature number an incoming INVITE asked for.

The proxy forwards feature calls with the feature number as the request-URI user
(``INVITE sip:*43@127.0.0.1:P SIP/2.0``); pjsua2 only exposes the raw message, so the
request line is read from it here. The To header is the fallback for a peer that put
something else in the request-URI.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

_REQUEST_LINE = re.compile(r"^[A-Z]+\s+(\S+)\s+SIP/2\.0\s*$")
_TO_HEADER = re.compile(r"^(?:To|t)\s*:\s*(.*)$", re.IGNORECASE)


def uri_user(uri: str) -> str | None:
    """The user part of a sip:/sips:/tel: URI, percent-decoded, without user parameters."""
    uri = uri.strip()
    if uri.startswith("<") and ">" in uri:
        uri = uri[1 : uri.index(">")]
    scheme, sep, rest = uri.partition(":")
    if not sep or scheme.lower() not in ("sip", "sips", "tel"):
        return None
    if scheme.lower() == "tel":
        user = rest.split(";", 1)[0]
    else:
        if "@" not in rest:
            return None
        user = rest.rsplit("@", 1)[0].split(";", 1)[0]
    user = unquote(user)
    return user or None


def _to_header_uri(value: str) -> str:
    if "<" in value and ">" in value:
        return value[value.index("<") + 1 : value.index(">")]
    return value.split(";", 1)[0]


def dialled_user(raw_message: str) -> str | None:
    """The dialled number of a raw SIP request: request-URI user, else the To user."""
    lines = raw_message.replace("\r\n", "\n").split("\n")
    if not lines:
        return None
    match = _REQUEST_LINE.match(lines[0].strip())
    if match:
        user = uri_user(match.group(1))
        if user:
            return user
    for line in lines[1:]:
        if not line.strip():
            break
        to = _TO_HEADER.match(line)
        if to:
            return uri_user(_to_header_uri(to.group(1)))
    return None
