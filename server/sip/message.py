"""SIP requests and responses as plain mutable values, their serialisation and response construction.

Messages are mutable on purpose: a proxy decrements Max-Forwards, pushes Via and Record-Route and pops Route
on the message it forwards (after ``copy()``). Structured accessors (``vias``, ``from_``, ``cseq``...) parse
the raw header text on each access; the parse functions are memoised on the immutable text, so repeated
access is cheap. ``parse_message`` validates every structured header it checks here, so on a parsed message
these accessors do not raise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.sip.address import Address
from server.sip.entropy import random_hex
from server.sip.errors import SipParseError
from server.sip.headers import (
    Headers,
    NameAddr,
    Via,
    parse_cseq,
    parse_name_addr,
    parse_via,
    remember_via,
)
from server.sip.uri import SipUri

BRANCH_MAGIC = "z9hG4bK"

REASON_PHRASES: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    204: "No Notification",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    410: "Gone",
    412: "Conditional Request Failed",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    421: "Extension Required",
    423: "Interval Too Brief",
    429: "Too Many Requests",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    493: "Undecipherable",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}

# Requests whose 2xx (and 101-199 with a To tag) create a dialog, so responses copy Record-Route.
DIALOG_CREATING_METHODS = frozenset({"INVITE", "SUBSCRIBE", "REFER", "NOTIFY"})


def new_branch() -> str:
    """A fresh RFC 3261 branch (magic cookie + 80 random bits)."""
    return BRANCH_MAGIC + random_hex(10)


def new_tag() -> str:
    return random_hex(6)


def new_call_id(host: str | None = None) -> str:
    token = random_hex(12)
    return f"{token}@{host}" if host else token


def reason_phrase(status: int) -> str:
    return REASON_PHRASES.get(status, "Unknown" if status >= 200 else "Progress")


class _MessageBase:
    """Accessors shared by requests and responses (dataclasses with ``headers`` and ``body``)."""

    headers: Headers
    body: bytes

    @property
    def call_id(self) -> str:
        value = self.headers.get("Call-ID")
        if not value:
            raise SipParseError(400, "Missing Call-ID")
        return value

    @property
    def cseq(self) -> tuple[int, str]:
        value = self.headers.get("CSeq")
        if value is None:
            raise SipParseError(400, "Missing CSeq")
        return parse_cseq(value)

    @property
    def from_(self) -> NameAddr:
        value = self.headers.get("From")
        if value is None:
            raise SipParseError(400, "Missing From")
        return parse_name_addr(value)

    @property
    def to(self) -> NameAddr:
        value = self.headers.get("To")
        if value is None:
            raise SipParseError(400, "Missing To")
        return parse_name_addr(value)

    @property
    def from_tag(self) -> str | None:
        return self.from_.tag

    @property
    def to_tag(self) -> str | None:
        return self.to.tag

    @property
    def vias(self) -> list[Via]:
        return [parse_via(v) for v in self.headers.get_all("Via")]

    @property
    def via(self) -> Via:
        """The top Via."""
        value = self.headers.get("Via")
        if value is None:
            raise SipParseError(400, "Missing Via")
        return parse_via(value)

    @property
    def branch(self) -> str | None:
        return self.via.branch

    @property
    def contacts(self) -> list[NameAddr]:
        """Contact values; empty for ``Contact: *`` (check ``wildcard_contact``)."""
        values = self.headers.get_all("Contact")
        if self.wildcard_contact:
            return []
        return [parse_name_addr(v) for v in values]

    @property
    def wildcard_contact(self) -> bool:
        values = self.headers.get_all("Contact")
        return len(values) == 1 and values[0].strip() == "*"

    @property
    def routes(self) -> list[NameAddr]:
        return [parse_name_addr(v) for v in self.headers.get_all("Route")]

    @property
    def record_routes(self) -> list[NameAddr]:
        return [parse_name_addr(v) for v in self.headers.get_all("Record-Route")]

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    @property
    def expires(self) -> int | None:
        value = self.headers.get("Expires")
        if value is None or not value.strip().isdigit():
            return None
        return int(value.strip())

    def _header_bytes(self, start_line: str) -> bytes:
        lines = [start_line]
        for name, value in self.headers:
            if name == "Content-Length":
                continue
            lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(self.body)}")
        lines.append("")
        lines.append("")
        return "\r\n".join(lines).encode("utf-8")


# SipRequest and SipResponse write out __init__ so that mypyc compiles it (dataclass's generated one stays
# interpreted); a call makes over a dozen messages.
@dataclass(eq=True, init=False)
class SipRequest(_MessageBase):
    method: str
    uri: SipUri
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def __init__(self, method: str, uri: SipUri, headers: Headers | None = None, body: bytes = b"") -> None:
        self.method = method
        self.uri = uri
        self.headers = Headers() if headers is None else headers
        self.body = body

    @property
    def max_forwards(self) -> int | None:
        value = self.headers.get("Max-Forwards")
        if value is None or not value.strip().isdigit():
            return None
        return int(value.strip())

    def to_bytes(self) -> bytes:
        """Wire form with a Content-Length that matches ``body``."""
        return self._header_bytes(f"{self.method} {self.uri} SIP/2.0") + self.body

    def copy(self) -> SipRequest:
        return SipRequest(self.method, self.uri, self.headers.copy(), self.body)

    def __str__(self) -> str:
        return self.to_bytes().decode("utf-8", "replace")


@dataclass(eq=True, init=False)
class SipResponse(_MessageBase):
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def __init__(
        self, status: int, reason: str = "", headers: Headers | None = None, body: bytes = b""
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = Headers() if headers is None else headers
        self.body = body

    @property
    def method(self) -> str:
        """Method of the request this answers (from CSeq)."""
        return self.cseq[1]

    @property
    def provisional(self) -> bool:
        return self.status < 200

    def to_bytes(self) -> bytes:
        reason = self.reason if self.reason else reason_phrase(self.status)
        return self._header_bytes(f"SIP/2.0 {self.status} {reason}") + self.body

    def copy(self) -> SipResponse:
        return SipResponse(self.status, self.reason, self.headers.copy(), self.body)

    def __str__(self) -> str:
        return self.to_bytes().decode("utf-8", "replace")


SipMessage = SipRequest | SipResponse


def make_response(
    request: SipRequest,
    status: int,
    reason: str | None = None,
    to_tag: str | None = None,
) -> SipResponse:
    """Build a response to ``request`` per RFC 3261 8.2.6: Via, From, To, Call-ID, CSeq copied; a To tag added
    when given (and the request had none) for status > 100; Record-Route copied on 1xx/2xx answers to
    dialog-creating requests (12.1.1); Timestamp copied on 100."""
    headers = Headers()
    for value in request.headers.get_all("Via"):
        headers.add("Via", value)
    from_value = request.headers.get("From")
    if from_value is not None:
        headers.add("From", from_value)
    to_value = request.headers.get("To")
    if to_value is not None:
        if to_tag and status > 100:
            untagged = _untagged_to_text(to_value)
            if untagged is not None:
                # == str(parse_name_addr(to_value).with_tag(to_tag)): the tag is the last param
                to_value = f"{untagged};tag={to_tag}"
        headers.add("To", to_value)
    call_id = request.headers.get("Call-ID")
    if call_id is not None:
        headers.add("Call-ID", call_id)
    cseq = request.headers.get("CSeq")
    if cseq is not None:
        headers.add("CSeq", cseq)
    if 100 < status < 300 and request.method in DIALOG_CREATING_METHODS:
        for value in request.headers.get_all("Record-Route"):
            headers.add("Record-Route", value)
    if status == 100:
        timestamp = request.headers.get("Timestamp")
        if timestamp is not None:
            headers.add("Timestamp", timestamp)
    return SipResponse(status=status, reason=reason or reason_phrase(status), headers=headers)


def _untagged_to_text(to_value: str) -> str | None:
    """The normalised text of a To value without a tag, or None if it has one (memoised: a REGISTER
    storm answers the same few To values over and over)."""
    try:
        return _UNTAGGED_TO[to_value]
    except KeyError:
        pass
    to_addr = parse_name_addr(to_value)
    found = str(to_addr) if to_addr.tag is None else None
    if len(to_value) <= 256:
        if len(_UNTAGGED_TO) >= 2048:
            _UNTAGGED_TO.clear()
        _UNTAGGED_TO[to_value] = found
    return found


_UNTAGGED_TO: dict[str, str | None] = {}


def apply_rport(request: SipRequest, source: Address) -> None:
    """Fill ``received``/``rport`` in the top Via from the packet's source (RFC 3261 18.2.1, RFC 3581)."""
    via = request.via
    if via.rport_requested:
        new = via.with_params({"received": source.host, "rport": str(source.port)})
    elif via.host != source.host:
        new = via.with_params({"received": source.host})
    else:
        return
    text = str(new)
    remember_via(text, new)
    request.headers.replace_first("Via", text)
