"""SIP, SIPS and tel URIs (RFC 3261 section 19.1, RFC 3966), immutable and hashable.

Values are kept as they appeared on the wire (escapes are not decoded) so that a parsed URI prints back
byte for byte; only the scheme and parameter names are lower-cased. ``aor()`` gives the normalised
address-of-record used as a registrar key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from server.sip.errors import SipParseError
from server.sip.grammar import (
    Params,
    format_host,
    format_params,
    frozen_params,
    parse_params,
    split_host_port,
)

SCHEMES = ("sip", "sips", "tel")
_USER_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+$")
_PASSWORD_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()&=+$,%]*$")
_TEL_RE = re.compile(r"^[0-9A-Fa-f*#+\-.()pPwW]+$")
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+\-.]*$")
_HEADER_PART_RE = re.compile(r"^[A-Za-z0-9\-_.!~*'()\[\]/?:+$%]*$")


@dataclass(frozen=True, init=False)
class SipUri:
    """``sip:user:password@host:port;params?headers``. For tel URIs the number is ``user``, host is ''."""

    scheme: str = "sip"
    user: str | None = None
    host: str = ""
    port: int | None = None
    params: Mapping[str, str | None] = field(default_factory=dict)
    headers: Mapping[str, str | None] = field(default_factory=dict)
    password: str | None = None
    opaque: str | None = None  # everything after "scheme:" for other absolute URIs (e.g. urn:, isbn:)

    # Written out so that mypyc compiles it: dataclass's generated __init__ stays interpreted (2.6 µs a URI).
    def __init__(
        self,
        scheme: str = "sip",
        user: str | None = None,
        host: str = "",
        port: int | None = None,
        params: Params | None = None,
        headers: Params | None = None,
        password: str | None = None,
        opaque: str | None = None,
    ) -> None:
        object.__setattr__(self, "scheme", scheme)
        object.__setattr__(self, "user", user)
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "port", port)
        object.__setattr__(self, "params", frozen_params(params))
        object.__setattr__(self, "headers", frozen_params(headers))
        object.__setattr__(self, "password", password)
        object.__setattr__(self, "opaque", opaque)

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        if self.opaque is not None:
            return f"{self.scheme}:{self.opaque}"
        if self.scheme == "tel":
            return f"tel:{self.user or ''}{format_params(self.params)}"
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out.append(":" + self.password)
            out.append("@")
        out.append(format_host(self.host))
        if self.port is not None:
            out.append(f":{self.port}")
        out.append(format_params(self.params))
        if self.headers:
            out.append("?" + "&".join(f"{k}={v or ''}" for k, v in self.headers.items()))
        return "".join(out)

    @property
    def transport(self) -> str:
        """Lower-case transport for this URI: the ``transport`` param, else "tls" for sips, else "udp"."""
        value = self.params.get("transport")
        if value:
            return value.lower()
        return "tls" if self.scheme == "sips" else "udp"

    @property
    def loose_route(self) -> bool:
        return "lr" in self.params

    def aor(self) -> str:
        """Address-of-record: ``scheme:user@host`` with host lower-cased and no port, params or headers."""
        if self.opaque is not None:
            return str(self)
        if self.scheme == "tel":
            return f"tel:{self.user}"
        scheme = "sip" if self.scheme == "sips" else self.scheme
        user = f"{self.user}@" if self.user is not None else ""
        return f"{scheme}:{user}{format_host(self.host.lower())}"

    def with_param(self, name: str, value: str | None = None) -> SipUri:
        params = dict(self.params)
        params[name.lower()] = value
        return replace(self, params=params)

    def without_param(self, name: str) -> SipUri:
        params = {k: v for k, v in self.params.items() if k != name.lower()}
        return replace(self, params=params)

    def without_headers(self) -> SipUri:
        return replace(self, headers={})


def parse_uri(text: str, *, other_schemes: bool = False) -> SipUri:
    """Parse a sip:, sips: or tel: URI. Other schemes raise SipParseError(416) unless ``other_schemes``,
    which keeps them opaque (a To header may carry any absolute URI, RFC 4475 3.3.13)."""
    text = text.strip()
    if len(text) > 256:  # long unique texts from a hostile peer must not fill the cache
        return _parse_uri(text, other_schemes)
    return _parse_uri_cached(text, other_schemes)


def _parse_uri(text: str, other_schemes: bool) -> SipUri:
    scheme, colon, rest = text.partition(":")
    if not colon or not scheme:
        raise SipParseError(400, "URI without scheme")
    scheme = scheme.lower()
    if any(ch in rest for ch in ' \t\r\n<>"'):
        raise SipParseError(400, "Invalid character in URI")
    if scheme not in SCHEMES:
        if not _SCHEME_RE.match(scheme):
            raise SipParseError(400, "Invalid URI scheme")
        if other_schemes and rest:
            return SipUri(scheme=scheme, opaque=rest)
        raise SipParseError(416, f"Unsupported URI scheme {scheme}")
    if scheme == "tel":
        number, _, param_text = rest.partition(";")
        if not number or not _TEL_RE.match(number):
            raise SipParseError(400, "Invalid tel URI number")
        return SipUri(scheme="tel", user=number, params=parse_params(param_text, "tel URI"))
    return _parse_sip_uri(scheme, rest)


def _parse_sip_uri(scheme: str, rest: str) -> SipUri:
    user: str | None = None
    password: str | None = None
    # '@' is not allowed unescaped in URI headers or params (RFC 3261 25.1), so the first one ends userinfo.
    at = rest.find("@")
    if at >= 0:
        userinfo, rest = rest[:at], rest[at + 1 :]
        user_text, colon, pw = userinfo.partition(":")
        if not user_text or not _USER_RE.match(user_text):
            raise SipParseError(400, "Invalid user part in URI")
        if colon:
            if not _PASSWORD_RE.match(pw):
                raise SipParseError(400, "Invalid password in URI")
            password = pw
        user = user_text
    header_text = ""
    q = rest.find("?")
    if q >= 0:
        rest, header_text = rest[:q], rest[q + 1 :]
    hostport, _, param_text = rest.partition(";")
    if not hostport:
        raise SipParseError(400, "URI without host")
    host, port = split_host_port(hostport, "URI")
    params = parse_params(param_text, "URI")
    headers: dict[str, str | None] = {}
    if header_text:
        for item in header_text.split("&"):
            name, _, value = item.partition("=")
            if not name or not _HEADER_PART_RE.match(name) or not _HEADER_PART_RE.match(value):
                raise SipParseError(400, "Invalid URI header")
            headers[name] = value
    return SipUri(
        scheme=scheme, user=user, password=password, host=host, port=port, params=params, headers=headers
    )


_parse_uri_cached = lru_cache(maxsize=16384)(_parse_uri)
