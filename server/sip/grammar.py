"""Small lexical helpers shared by the URI, header and message parsers (RFC 3261 section 25)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from server.sip.errors import SipParseError

TOKEN_RE = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9\-_]*[A-Za-z0-9])?"
_HOSTNAME_RE = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_IPV6_RE = re.compile(r"^[0-9A-Fa-f:.]+$")
_PARAM_VALUE_RE = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~\[\]/:&+$]+$")


def is_token(text: str) -> bool:
    # Methods, transports and parameter names are nearly always plain letters and digits: skip the regex.
    if text.isalnum() and text.isascii():
        return True
    return bool(TOKEN_RE.match(text))


def valid_host(host: str) -> bool:
    """True for a hostname, an IPv4 address or a bare (unbracketed) IPv6 reference."""
    if not host:
        return False
    if ":" in host:
        return bool(_IPV6_RE.match(host)) and host.count("::") <= 1 and host.count(":") >= 2
    if _IPV4_RE.match(host):
        return all(int(part) <= 255 for part in host.split("."))
    return bool(_HOSTNAME_RE.match(host))


def split_host_port(text: str, what: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` where host may be ``[v6]``; returns the host without brackets."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise SipParseError(400, f"Unterminated IPv6 reference in {what}")
        host = text[1:end]
        rest = text[end + 1 :]
        if not valid_host(host) or ":" not in host:
            raise SipParseError(400, f"Invalid IPv6 host in {what}")
        if rest and not rest.startswith(":"):
            raise SipParseError(400, f"Garbage after IPv6 host in {what}")
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text_raw = text.partition(":")
        port_text = port_text_raw if sep else None
        if not valid_host(host) or ":" in host:
            raise SipParseError(400, f"Invalid host in {what}")
    port: int | None = None
    if port_text is not None:
        if not port_text.isdigit() or len(port_text) > 5 or int(port_text) > 65535:
            raise SipParseError(400, f"Invalid port in {what}")
        port = int(port_text)
    return host, port


def format_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def split_quoted(text: str, sep: str, *, angle: bool = True) -> list[str]:
    """Split on ``sep`` outside quoted strings (backslash escapes honoured) and, if ``angle``, outside <>."""
    if sep not in text:
        return [text]
    if '"' not in text and (not angle or "<" not in text):
        return text.split(sep)
    parts: list[str] = []
    start = 0
    in_quotes = False
    in_angle = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if in_quotes:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_quotes = False
        elif ch == '"':
            in_quotes = True
        elif angle and ch == "<":
            in_angle = True
        elif angle and ch == ">":
            in_angle = False
        elif ch == sep and not in_angle:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if in_quotes:
        raise SipParseError(400, "Unterminated quoted string")
    parts.append(text[start:])
    return parts


def unquote(text: str) -> str:
    """Turn ``"a \\"b\\""`` into ``a "b"``. ``text`` must start and end with a double quote."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise SipParseError(400, "Malformed quoted string")
    inner = text[1:-1]
    if "\\" not in inner:
        if '"' in inner:
            raise SipParseError(400, "Unescaped quote inside quoted string")
        return inner
    out: list[str] = []
    i = 0
    while i < len(inner):
        ch = inner[i]
        if ch == "\\":
            if i + 1 >= len(inner):
                raise SipParseError(400, "Dangling escape in quoted string")
            out.append(inner[i + 1])
            i += 2
            continue
        if ch == '"':
            raise SipParseError(400, "Unescaped quote inside quoted string")
        out.append(ch)
        i += 1
    return "".join(out)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_params(text: str, what: str) -> dict[str, str | None]:
    """Parse ``;a=b;c;d="q"`` (text without the leading ';'). Names are lower-cased; values are kept raw."""
    params: dict[str, str | None] = {}
    if not text:
        return params
    for raw in split_quoted(text, ";", angle=False):
        item = raw.strip()
        if not item:
            raise SipParseError(400, f"Empty parameter in {what}")
        name, eq, value = item.partition("=")
        name = name.strip()
        if not is_token(name):
            raise SipParseError(400, f"Invalid parameter name in {what}")
        if eq:
            value = value.strip()
            if not value:
                raise SipParseError(400, f"Empty parameter value in {what}")
            if value.startswith('"'):
                unquote(value)  # validates
            elif not _PARAM_VALUE_RE.match(value):
                raise SipParseError(400, f"Invalid parameter value in {what}")
            params[name.lower()] = value
        else:
            params[name.lower()] = None
    return params


Params = Mapping[str, str | None]
NO_PARAMS: Params = MappingProxyType({})


def frozen_params(value: Params | None) -> Params:
    """A read-only copy (or the same read-only mapping), so that URIs and headers stay immutable."""
    if isinstance(value, MappingProxyType):
        return value
    return MappingProxyType(dict(value)) if value else NO_PARAMS


def format_params(params: Mapping[str, str | None]) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())
