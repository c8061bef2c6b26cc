"""Header fields: an ordered, case-insensitive, multi-valued ``Headers`` container and the structured values
the core needs (``NameAddr`` for From/To/Contact/Route, ``Via``, CSeq).

Compact forms (RFC 3261 section 7.3.3 and later extensions) are mapped to canonical names when a header is
stored, so ``headers.get("Call-ID")`` finds ``i: abc``. Header lists that the grammar allows to be
comma-combined (Via, Contact, Route, ...) are split into one entry per value by the parser.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from server.sip.errors import SipParseError
from server.sip.grammar import (
    Params,
    format_host,
    format_params,
    frozen_params,
    is_token,
    parse_params,
    quote,
    split_host_port,
    split_quoted,
    unquote,
)
from server.sip.uri import SipUri, parse_uri

COMPACT_FORMS: dict[str, str] = {
    "i": "Call-ID",
    "m": "Contact",
    "e": "Content-Encoding",
    "l": "Content-Length",
    "c": "Content-Type",
    "f": "From",
    "s": "Subject",
    "k": "Supported",
    "t": "To",
    "v": "Via",
    "o": "Event",
    "u": "Allow-Events",
    "r": "Refer-To",
    "b": "Referred-By",
    "x": "Session-Expires",
    "a": "Accept-Contact",
    "j": "Reject-Contact",
    "d": "Request-Disposition",
    "y": "Identity",
    "n": "Identity-Info",
}

_CANONICAL: dict[str, str] = {
    name.lower(): name
    for name in (
        "Accept",
        "Accept-Contact",
        "Accept-Encoding",
        "Accept-Language",
        "Alert-Info",
        "Allow",
        "Allow-Events",
        "Authentication-Info",
        "Authorization",
        "Call-ID",
        "Call-Info",
        "Contact",
        "Content-Disposition",
        "Content-Encoding",
        "Content-Language",
        "Content-Length",
        "Content-Type",
        "CSeq",
        "Date",
        "Error-Info",
        "Event",
        "Expires",
        "From",
        "Identity",
        "Identity-Info",
        "In-Reply-To",
        "Max-Forwards",
        "Min-Expires",
        "Min-SE",
        "MIME-Version",
        "Organization",
        "P-Asserted-Identity",
        "P-Preferred-Identity",
        "Path",
        "Priority",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Require",
        "RAck",
        "Reason",
        "Record-Route",
        "Refer-To",
        "Referred-By",
        "Reject-Contact",
        "Replaces",
        "Reply-To",
        "Request-Disposition",
        "Require",
        "Retry-After",
        "Route",
        "RSeq",
        "Server",
        "Service-Route",
        "Session-Expires",
        "SIP-ETag",
        "SIP-If-Match",
        "Subject",
        "Subscription-State",
        "Supported",
        "Timestamp",
        "To",
        "Unsupported",
        "User-Agent",
        "Via",
        "Warning",
        "WWW-Authenticate",
    )
}

# Headers whose grammar is a comma-separated list (RFC 3261 7.3.1); the parser stores one entry per element.
LIST_HEADERS: frozenset[str] = frozenset(
    name.lower()
    for name in (
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Alert-Info",
        "Allow",
        "Allow-Events",
        "Call-Info",
        "Contact",
        "Content-Encoding",
        "Content-Language",
        "Error-Info",
        "In-Reply-To",
        "Path",
        "P-Asserted-Identity",
        "P-Preferred-Identity",
        "Proxy-Require",
        "Reason",
        "Record-Route",
        "Require",
        "Route",
        "Service-Route",
        "Supported",
        "Unsupported",
        "Via",
        "Warning",
        "Accept-Contact",
        "Reject-Contact",
        "Request-Disposition",
    )
)

# Headers that may appear at most once; a second copy is a 400 (RFC 4475 "multiple values in single-value").
SINGLE_HEADERS: frozenset[str] = frozenset(
    ("call-id", "cseq", "from", "to", "max-forwards", "content-length", "content-type", "expires")
)


# Memoised parsers only keep short texts: long unique values from a hostile peer must not fill memory.
CACHEABLE_LENGTH = 256


def canonical_name(name: str) -> str:
    """Canonical spelling of a header name: compact forms expanded, known names in RFC capitalisation."""
    return _name_key(name)[0]


def _name_key(name: str) -> tuple[str, str]:
    # A plain dict lookup: this runs for every header of every message and every header access.
    found = _NAME_KEYS.get(name)
    if found is not None:
        return found
    key = _name_key_uncached(name)
    if len(name) <= 64:
        if len(_NAME_KEYS) >= _NAME_KEYS_MAX:
            _NAME_KEYS.clear()  # hostile peers sending endless new names cannot grow it without bound
        _NAME_KEYS[name] = key
    return key


def _name_key_uncached(name: str) -> tuple[str, str]:
    lower = name.lower()
    full = COMPACT_FORMS.get(lower)
    canon = full if full is not None else _CANONICAL.get(lower, name)
    return canon, canon.lower()


_NAME_KEYS_MAX = 1024
_NAME_KEYS: dict[str, tuple[str, str]] = {}


class Headers:
    """Ordered multi-map of header fields with case-insensitive, compact-form-aware names.

    Values are raw strings; structured accessors live on the message classes. Iteration yields
    ``(canonical_name, value)`` pairs in wire order.
    """

    # _keys mirrors the first element of each _items entry, so lookups can use list.index / `in`
    # (C loops); every mutation keeps the two lists aligned.
    __slots__ = ("_items", "_keys")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str, str]] = []
        self._keys: list[str] = []
        for name, value in items:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Append a field at the end."""
        canon, key = _name_key(name)
        self._items.append((key, canon, value if type(value) is str else str(value)))
        self._keys.append(key)

    def add_first(self, name: str, value: str) -> None:
        """Insert a field before any other field of the same name (a proxy's Via or Record-Route)."""
        canon, key = _name_key(name)
        i = self._index(key)
        if i < 0:
            self._items.append((key, canon, str(value)))
            self._keys.append(key)
        else:
            self._items.insert(i, (key, canon, str(value)))
            self._keys.insert(i, key)

    def set(self, name: str, value: str) -> None:
        """Replace every field of this name with one value, kept at the first one's position."""
        canon, key = _name_key(name)
        i = self._index(key)
        if i < 0:
            self._items.append((key, canon, str(value)))
            self._keys.append(key)
            return
        self._items[i] = (key, canon, str(value))
        self._items = [it for j, it in enumerate(self._items) if j <= i or it[0] != key]
        self._keys = [it[0] for it in self._items]

    def replace_first(self, name: str, value: str) -> None:
        """Replace the first field of this name in place (e.g. the top Via after adding ``received``)."""
        canon, key = _name_key(name)
        i = self._index(key)
        if i < 0:
            self._items.append((key, canon, str(value)))
            self._keys.append(key)
        else:
            self._items[i] = (key, canon, str(value))

    def remove(self, name: str) -> None:
        """Remove every field of this name (no error if absent)."""
        key = _name_key(name)[1]
        if key in self._keys:
            self._items = [it for it in self._items if it[0] != key]
            self._keys = [it[0] for it in self._items]

    def pop_first(self, name: str) -> str | None:
        """Remove and return the first field of this name (e.g. a proxy popping its own Route)."""
        i = self._index(_name_key(name)[1])
        if i < 0:
            return None
        del self._keys[i]
        return self._items.pop(i)[2]

    # A missing header is common (Max-Forwards, Expires, ...): test with `in` rather than catch list.index's
    # ValueError, which mypyc turns into a traceback object each time.
    def _index(self, key: str) -> int:
        keys = self._keys
        return keys.index(key) if key in keys else -1

    def _append_parsed(self, key: str, canon: str, value: str) -> None:
        """Append a field whose name the parser already mapped with ``_name_key``."""
        self._items.append((key, canon, value))
        self._keys.append(key)

    def counts(self) -> dict[str, int]:
        """How many fields of each lower-case canonical name there are."""
        seen: dict[str, int] = {}
        for k in self._keys:
            seen[k] = seen.get(k, 0) + 1
        return seen

    def get(self, name: str, default: str | None = None) -> str | None:
        i = self._index(_name_key(name)[1])
        return self._items[i][2] if i >= 0 else default

    def get_all(self, name: str) -> list[str]:
        """Every value of this name in order; list headers combined with commas are split."""
        key = _name_key(name)[1]
        out: list[str] = []
        if key not in self._keys:
            return out
        for k, _, v in self._items:
            if k == key:
                if key in LIST_HEADERS and "," in v:
                    out.extend(p.strip() for p in split_quoted(v, ",") if p.strip())
                else:
                    out.append(v)
        return out

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return _name_key(name)[1] in self._keys

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((canon, v) for _, canon, v in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return [(k, v) for k, _, v in self._items] == [(k, v) for k, _, v in other._items]

    def __repr__(self) -> str:
        return f"Headers({list(self)!r})"

    def copy(self) -> Headers:
        new = Headers()
        new._items = list(self._items)
        new._keys = list(self._keys)
        return new


@dataclass(frozen=True, init=False)
class NameAddr:
    """``"Display" <uri>;params`` as used by From, To, Contact, Route, Record-Route, Refer-To."""

    uri: SipUri
    display_name: str | None = None
    params: Mapping[str, str | None] = field(default_factory=dict)

    # NameAddr and Via write out __init__ so that mypyc compiles it (dataclass's generated one stays
    # interpreted, ~1.2 µs a value); the parser makes several per message.
    def __init__(self, uri: SipUri, display_name: str | None = None, params: Params | None = None) -> None:
        object.__setattr__(self, "uri", uri)
        object.__setattr__(self, "display_name", display_name)
        object.__setattr__(self, "params", frozen_params(params))

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        name = f"{quote(self.display_name)} " if self.display_name is not None else ""
        return f"{name}<{self.uri}>{format_params(self.params)}"

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def with_tag(self, tag: str) -> NameAddr:
        params = dict(self.params)
        params["tag"] = tag
        return NameAddr(self.uri, self.display_name, params)

    def with_param(self, name: str, value: str | None = None) -> NameAddr:
        params = dict(self.params)
        params[name.lower()] = value
        return NameAddr(self.uri, self.display_name, params)


def parse_name_addr(text: str) -> NameAddr:
    """Parse name-addr or addr-spec with header parameters; raises SipParseError(400)."""
    text = text.strip()
    if len(text) > CACHEABLE_LENGTH:
        return _parse_name_addr(text)
    return _parse_name_addr_cached(text)


def _parse_name_addr(text: str) -> NameAddr:
    if not text:
        raise SipParseError(400, "Empty address")
    display: str | None = None
    if text.startswith('"'):
        end = _closing_quote(text)
        display = unquote(text[: end + 1])
        rest = text[end + 1 :].lstrip()
        if not rest.startswith("<"):
            raise SipParseError(400, "Quoted display name without <uri>")
    else:
        lt = text.find("<")
        if lt >= 0:
            name_text = text[:lt].strip()
            if name_text:
                if not all(is_token(word) for word in name_text.split()):
                    raise SipParseError(400, "Invalid display name")
                display = " ".join(name_text.split())
            rest = text[lt:]
        else:
            rest = text
    if rest.startswith("<"):
        gt = rest.find(">")
        if gt < 0:
            raise SipParseError(400, "Missing > in address")
        inner = rest[1:gt]
        if inner != inner.strip(" \t\r\n") or not inner:
            raise SipParseError(400, "Whitespace inside <> in address")
        uri = parse_uri(inner, other_schemes=True)
        tail = rest[gt + 1 :].strip()
        if tail and not tail.startswith(";"):
            raise SipParseError(400, "Garbage after address")
        params = parse_params(tail[1:], "address")
        return NameAddr(uri=uri, display_name=display, params=params)
    # addr-spec: parameters after the URI belong to the header field, not the URI (RFC 3261 20.10).
    at = rest.find("@")
    semi = rest.find(";", at + 1 if at >= 0 else 0)
    if semi >= 0:
        uri_text, param_text = rest[:semi].rstrip(), rest[semi + 1 :]
    else:
        uri_text, param_text = rest, ""
    if any(ch in uri_text for ch in " \t"):
        raise SipParseError(400, "Whitespace in address without <>")
    if "?" in uri_text:
        raise SipParseError(400, "URI headers need <> in a header field")
    return NameAddr(uri=parse_uri(uri_text), params=parse_params(param_text, "address"))


def _closing_quote(text: str) -> int:
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    raise SipParseError(400, "Unterminated quoted display name")


@dataclass(frozen=True, init=False)
class Via:
    """One Via value: ``SIP/2.0/UDP host:port;branch=...;received=...;rport=...``.

    ``rport`` is the param value: ``None`` when absent *or* a bare flag; use ``rport_requested`` for the flag.
    """

    transport: str
    host: str
    port: int | None = None
    params: Mapping[str, str | None] = field(default_factory=dict)

    def __init__(
        self, transport: str, host: str, port: int | None = None, params: Params | None = None
    ) -> None:
        object.__setattr__(self, "transport", transport.upper())
        object.__setattr__(self, "host", host)
        object.__setattr__(self, "port", port)
        object.__setattr__(self, "params", frozen_params(params))

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"SIP/2.0/{self.transport} {format_host(self.host)}{port}{format_params(self.params)}"

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        return self.params.get("received")

    @property
    def rport_requested(self) -> bool:
        return "rport" in self.params

    @property
    def rport(self) -> int | None:
        value = self.params.get("rport")
        return int(value) if value and value.isdigit() else None

    @property
    def sent_by(self) -> str:
        """``host:port`` with the transport's default port filled in; part of the server transaction key."""
        default = 5061 if self.transport == "TLS" else 5060
        return f"{format_host(self.host.lower())}:{self.port or default}"

    def with_param(self, name: str, value: str | None = None) -> Via:
        return self.with_params({name: value})

    def with_params(self, updates: Mapping[str, str | None]) -> Via:
        """``with_param`` for several parameters at once (names are lower-cased, order as given)."""
        params = dict(self.params)
        for name, value in updates.items():
            params[name.lower()] = value
        return Via(self.transport, self.host, self.port, params)


def parse_via(text: str) -> Via:
    text = text.strip()
    found = _VIAS.get(text)
    if found is None:
        found = _parse_via(text)
        remember_via(text, found)
    return found


def remember_via(text: str, via: Via) -> None:
    """Seed the parse memo with a Via we just printed (``text == str(via)``), so the transaction
    layer's next ``parse_via`` of the rewritten top Via is a lookup."""
    if len(text) <= CACHEABLE_LENGTH:
        if len(_VIAS) >= 2048:
            _VIAS.clear()
        _VIAS[text] = via


_VIAS: dict[str, Via] = {}


def _parse_via(text: str) -> Via:
    slash1 = text.find("/")
    slash2 = text.find("/", slash1 + 1)
    if slash1 < 0 or slash2 < 0:
        raise SipParseError(400, "Malformed Via protocol")
    name = text[:slash1].strip()
    version = text[slash1 + 1 : slash2].strip()
    rest = text[slash2 + 1 :].lstrip()
    if name.upper() != "SIP" or version != "2.0":
        raise SipParseError(400, "Unsupported Via protocol")
    parts = rest.split(None, 1)
    if len(parts) != 2:
        raise SipParseError(400, "Via without sent-by")
    transport, sent_by_and_params = parts
    if not is_token(transport):
        raise SipParseError(400, "Invalid Via transport")
    hostport, _, param_text = sent_by_and_params.partition(";")
    host, port = _via_host_port(hostport.strip())
    params = parse_params(param_text, "Via")
    rport = params.get("rport")
    if rport is not None and (not rport.isdigit() or int(rport) > 65535):
        raise SipParseError(400, "Invalid Via rport")
    branch = params.get("branch", "")
    if "branch" in params and not branch:
        raise SipParseError(400, "Empty Via branch")
    return Via(transport=transport, host=host, port=port, params=params)


def _via_host_port(text: str) -> tuple[str, int | None]:
    # Every Via has a new branch, so whole Vias rarely repeat, but their sent-by does.
    found = _VIA_HOST_PORTS.get(text)
    if found is None:
        found = split_host_port(text, "Via")
        if len(text) <= CACHEABLE_LENGTH:
            if len(_VIA_HOST_PORTS) >= 2048:
                _VIA_HOST_PORTS.clear()
            _VIA_HOST_PORTS[text] = found
    return found


_VIA_HOST_PORTS: dict[str, tuple[str, int | None]] = {}


def parse_cseq(text: str) -> tuple[int, str]:
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 10:
        raise SipParseError(400, "Malformed CSeq")
    number = int(parts[0])
    if number >= 2**31:
        raise SipParseError(400, "CSeq number too large")
    if not is_token(parts[1]):
        raise SipParseError(400, "Malformed CSeq method")
    return number, parts[1]


# sized for a busy PBX: every agent's To and Contact stay in it
_parse_name_addr_cached = lru_cache(maxsize=16384)(_parse_name_addr)
