"""Small readers of SIP text the engine needs (name-addr, extension headers, Date) and target URIs."""

from __future__ import annotations

import datetime
import email.utils
import re

from softphone.config import AccountConfig

_NAME_ADDR = re.compile(r'^\s*(?:"(?P<q>[^"]*)"|(?P<t>[^<"]*?))\s*<(?P<uri>[^>]+)>')


def split_name_addr(value: str) -> tuple[str, str]:
    """('Alice', 'sip:a@x') from '"Alice" <sip:a@x>'; ('', uri) for a bare URI."""
    m = _NAME_ADDR.match(value)
    if not m:
        return "", value.strip()
    return (m.group("q") or m.group("t") or "").strip(), m.group("uri").strip()


def extract_headers(whole_msg: str, prefix: str = "x-") -> dict[str, str]:
    """Lower-cased headers whose name starts with ``prefix`` from a raw SIP message."""
    out: dict[str, str] = {}
    head = whole_msg.split("\r\n\r\n", 1)[0]
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower().startswith(prefix):
            out[name.strip().lower()] = value.strip()
    return out


def message_summary(whole_msg: str) -> tuple[int, int] | None:
    """(new, old) voice messages of a message-summary body (RFC 3842 ``Voice-Message: 2/1 (0/0)``, else
    ``Messages-Waiting`` alone: (1, 0) or (0, 0)); None when the body says neither."""
    body = whole_msg.split("\r\n\r\n", 1)[-1] if "\r\n\r\n" in whole_msg else whole_msg
    waiting: bool | None = None
    for line in body.splitlines():
        name, sep, value = line.partition(":")
        name = name.strip().lower()
        if not sep:
            continue
        if name == "voice-message":
            counts = value.strip().split(" ", 1)[0].split("/")
            if len(counts) == 2 and counts[0].isdigit() and counts[1].isdigit():
                return int(counts[0]), int(counts[1])
        elif name == "messages-waiting":
            waiting = value.strip().lower() == "yes"
    return None if waiting is None else (int(waiting), 0)


def sip_date(whole_msg: str) -> float | None:
    """UNIX time of the ``Date`` header (RFC 3261 §20.17, an RFC 1123 date); None if absent or bad."""
    head = whole_msg.split("\r\n\r\n", 1)[0]
    for line in head.split("\r\n")[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "date":
            try:
                when = email.utils.parsedate_to_datetime(value.strip())
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:  # "-0000" means UTC with an unknown source zone
                when = when.replace(tzinfo=datetime.UTC)
            return when.timestamp()
    return None


def host_uri(host_or_uri: str) -> str:
    return host_or_uri if host_or_uri.startswith(("sip:", "sips:")) else f"sip:{host_or_uri}"


def bare_uri(uri: str) -> str:
    """The URI without display name, parameters or case differences (to match MESSAGE answers)."""
    u = split_name_addr(uri)[1] if "<" in uri else uri.strip()
    return u.split(";", 1)[0].lower()


def target_uri(a: AccountConfig, target: str) -> str:
    """A SIP URI for what the user dialled: a URI as is, ``user@host``, or a number in the account domain."""
    t = target.strip()
    if t.startswith(("sip:", "sips:")) or t.startswith("<"):
        return t
    tp = "" if a.transport == "udp" else f";transport={a.transport}"
    if "@" in t:
        return f"sip:{t}{tp}"
    return f"sip:{t}@{a.sip_domain}{tp}"
