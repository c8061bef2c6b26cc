"""Bytes -> ``SipRequest``/``SipResponse``, plus stream framing for TCP/TLS.

Every failure is a ``SipParseError`` carrying the status to answer (400 in general, 505 for a wrong version,
416 for an unknown Request-URI scheme, 513 for an oversized message) and a reason; any other exception from
the code below is a bug and is converted to a 400 at the ``parse_message`` boundary, so nothing else escapes.

Content-Length (RFC 3261 18.3): on a datagram the header may be missing (the body is the rest of the packet);
a body longer than Content-Length is truncated, a shorter one is an error. On a stream the framer uses
Content-Length to cut messages and it is mandatory.
"""

from __future__ import annotations

import re

from server.sip.errors import SipParseError
from server.sip.grammar import is_token, split_quoted
from server.sip.headers import (
    LIST_HEADERS,
    SINGLE_HEADERS,
    Headers,
    _name_key,
    canonical_name,
    parse_cseq,
    parse_name_addr,
    parse_via,
)
from server.sip.message import SipMessage, SipRequest, SipResponse, make_response
from server.sip.uri import SipUri, parse_uri

MAX_MESSAGE_SIZE = 65535
MAX_HEADERS = 200
MAX_LINE = 8192

_HEADER_NAME = re.compile(r"[!%'*+\-.0-9A-Z_`a-z~]+")
_HEADER_END = re.compile(rb"\r\n\r\n|\n\n|\r\n\n|\n\r\n")
_CONTENT_LENGTH_RE = re.compile(
    rb"^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE
)


def parse_message(data: bytes, *, max_size: int = MAX_MESSAGE_SIZE) -> SipMessage:
    """Parse one complete message (a datagram, or one message cut by ``StreamFramer``)."""
    try:
        return _parse(data, max_size)
    except SipParseError:
        raise
    except Exception as exc:  # a parser bug must still be a 400, never a crash of the transport
        raise SipParseError(400, f"Unparseable message ({type(exc).__name__})") from exc


def _parse(data: bytes, max_size: int) -> SipMessage:
    if len(data) > max_size:
        raise SipParseError(513, "Message too large")
    data = data.lstrip(b"\r\n")
    if not data:
        raise SipParseError(400, "Empty message")
    # Nearly every peer ends lines with CRLF: find() is ~8x cheaper than the regex that also accepts bare LF.
    # With no bare LF before the first CRLF CRLF, that is where the regex would match too.
    end = data.find(b"\r\n\r\n")
    head = data[:end] if end >= 0 else b""
    crlf_only = end >= 0 and head.count(b"\n") == head.count(b"\r\n")
    if crlf_only:
        body = data[end + 4 :]
    else:
        match = _HEADER_END.search(data)
        if match is None:
            raise SipParseError(400, "Missing empty line after headers")
        head, body = data[: match.start()], data[match.end() :]
    try:
        head_text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipParseError(400, "Header section is not valid UTF-8") from exc
    lines = head_text.split("\r\n") if crlf_only else head_text.replace("\r\n", "\n").split("\n")
    start_line = lines[0]
    if len(start_line) > MAX_LINE:
        raise SipParseError(414 if not start_line.startswith("SIP/") else 400, "Start line too long")

    request_parts: tuple[str, str] | None = None
    status_parts: tuple[int, str] | None = None
    if start_line.startswith("SIP/"):
        status_parts = _parse_status_line(start_line)
    else:
        request_parts = _parse_request_line(start_line)
    method = request_parts[0] if request_parts else None
    is_request = request_parts is not None

    headers = Headers()
    try:
        _parse_header_lines(lines[1:], headers)
    except SipParseError as exc:
        exc.headers, exc.is_request, exc.method = headers, is_request, method
        raise
    try:
        if request_parts is not None and start_line.rsplit(" ", 1)[-1].upper() != "SIP/2.0":
            raise SipParseError(505, "Version not supported")
        body = _apply_content_length(headers, body)
        if request_parts is not None:
            method, uri_text = request_parts
            try:
                uri = parse_uri(uri_text)
            except SipParseError as exc:
                raise SipParseError(exc.status_hint, f"Bad Request-URI: {exc.reason}") from exc
            message: SipMessage = SipRequest(method=method, uri=uri, headers=headers, body=body)
        else:
            assert status_parts is not None
            message = SipResponse(status=status_parts[0], reason=status_parts[1], headers=headers, body=body)
        _validate(message)
    except SipParseError as exc:
        exc.headers, exc.is_request, exc.method = headers, is_request, method
        raise
    return message


def _parse_request_line(line: str) -> tuple[str, str]:
    parts = line.split(" ")
    if len(parts) != 3:
        raise SipParseError(400, "Malformed request line")
    method, uri_text, version = parts
    if not is_token(method):
        raise SipParseError(400, "Invalid method")
    if version.upper() != "SIP/2.0" and not version.upper().startswith("SIP/"):
        raise SipParseError(400, "Malformed request line")
    if not uri_text:
        raise SipParseError(400, "Empty Request-URI")
    return method, uri_text


def _parse_status_line(line: str) -> tuple[int, str]:
    parts = line.split(" ", 2)
    if len(parts) < 2 or parts[0].upper() != "SIP/2.0":
        raise SipParseError(400, "Malformed status line")
    code = parts[1]
    if len(code) != 3 or not code.isdigit() or not 100 <= int(code) <= 699:
        raise SipParseError(400, "Invalid status code")
    return int(code), parts[2] if len(parts) == 3 else ""


def _parse_header_lines(lines: list[str], headers: Headers) -> None:
    logical: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not logical:
                raise SipParseError(400, "Continuation line before first header")
            logical[-1] = logical[-1] + " " + line.strip()
        elif line:
            logical.append(line)
        else:
            raise SipParseError(400, "Empty header line")
    count = 0
    append = headers._append_parsed
    for entry in logical:
        if len(entry) > MAX_LINE:
            raise SipParseError(400, "Header line too long")
        # name [ \t]* ":" [ \t]* value: a token name has no ":", so the first ":" ends it.
        raw_name, colon, rest = entry.partition(":")
        name = raw_name.rstrip(" \t")
        if not colon or (name not in _GOOD_NAMES and not _header_name_ok(name)):
            raise SipParseError(400, "Malformed header line")
        value = rest.strip(" \t")
        canon, key = _name_key(name)
        if "," in value and key in LIST_HEADERS:
            items = [item.strip() for item in split_quoted(value, ",")]
            if not all(items):
                raise SipParseError(400, f"Empty element in {canon}")
        else:
            items = [value]
        for item in items:
            count += 1
            if count > MAX_HEADERS:
                raise SipParseError(400, "Too many headers")
            append(key, canon, item)


def _header_name_ok(name: str) -> bool:
    if _HEADER_NAME.fullmatch(name) is None:
        return False
    if len(_GOOD_NAMES) >= 1024:
        _GOOD_NAMES.clear()  # bounded: a peer inventing names cannot grow it
    _GOOD_NAMES.add(name)
    return True


_GOOD_NAMES: set[str] = set()


def _apply_content_length(headers: Headers, body: bytes) -> bytes:
    values = headers.get_all("Content-Length")
    if not values:
        return body
    if len(values) > 1 and len(set(values)) > 1:
        raise SipParseError(400, "Conflicting Content-Length headers")
    text = values[0].strip()
    if not text.isdigit() or len(text) > 9:
        raise SipParseError(400, "Invalid Content-Length")
    length = int(text)
    if length > len(body):
        raise SipParseError(400, "Content-Length larger than body")
    return body[:length]


def _validate(message: SipMessage) -> None:
    headers = message.headers
    seen = headers.counts()
    for key in SINGLE_HEADERS:
        if seen.get(key, 0) > 1:
            values = headers.get_all(key)
            if not (key == "content-length" and len(set(values)) == 1):
                raise SipParseError(400, f"Duplicate {canonical_name(key)} header")
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        if name.lower() not in seen:
            raise SipParseError(400, f"Missing {name} header")
    for value in headers.get_all("Via"):
        parse_via(value)
    message.from_  # noqa: B018  (parse to validate)
    message.to  # noqa: B018
    call_id = message.call_id.strip()
    if not call_id or len(call_id.split()) != 1:
        raise SipParseError(400, "Invalid Call-ID")
    cseq_method = parse_cseq(headers.get("CSeq") or "")[1]
    if isinstance(message, SipRequest):
        if cseq_method != message.method:
            raise SipParseError(400, "CSeq method does not match request method")
        max_forwards = headers.get("Max-Forwards")
        if max_forwards is not None:
            mf = max_forwards.strip()
            if not mf.isdigit() or int(mf) > 255:
                raise SipParseError(400, "Invalid Max-Forwards")
    contacts = headers.get_all("Contact")
    if not (len(contacts) == 1 and contacts[0].strip() == "*"):
        for value in contacts:
            parse_name_addr(value)
    for name in ("Route", "Record-Route"):
        for value in headers.get_all(name):
            parse_name_addr(value)
    expires = headers.get("Expires")
    if expires is not None and isinstance(message, SipRequest) and not expires.strip().isdigit():
        raise SipParseError(400, "Invalid Expires")
    if message.body and "Content-Type" not in headers:
        raise SipParseError(400, "Body without Content-Type")


def make_error_response(error: SipParseError) -> SipResponse | None:
    """A response for a request that failed to parse, if enough headers survived to address it.

    Needs a parseable top Via plus From, Call-ID and CSeq, and one To; the reason phrase is the parse reason.
    ACKs and responses never get an answer.
    """
    if not error.is_request or error.method == "ACK" or error.headers is None:
        return None
    headers = error.headers
    try:
        vias = headers.get_all("Via")
        if not vias:
            return None
        for value in vias:
            parse_via(value)
        for name in ("From", "To", "Call-ID", "CSeq"):
            if not headers.get(name) or len(headers.get_all(name)) != 1:
                return None
        # Only answer if the answer itself is well-formed: the peer must be able to match it.
        parse_name_addr(headers.get("From") or "")
        to_value = _well_formed_to(headers.get("To") or "")
        parse_cseq(headers.get("CSeq") or "")
        if any(ch.isspace() for ch in headers.get("Call-ID") or " "):
            return None
        salvage = Headers()
        for value in vias:
            salvage.add("Via", value)
        for name in ("From", "To", "Call-ID", "CSeq"):
            salvage.add(name, to_value if name == "To" else headers.get(name) or "")
        request = SipRequest(method=error.method or "UNKNOWN", uri=SipUri(host="invalid"), headers=salvage)
        reason = error.reason.replace("\r", " ").replace("\n", " ")
        return make_response(request, error.status_hint, reason)
    except SipParseError:
        return None


def _well_formed_to(value: str) -> str:
    """The To of a request being refused, as its answer can carry it: as sent, or with the whitespace inside
    its angle brackets removed (RFC 4475 3.1.2.9 wants that request answered 400); SipParseError else."""
    try:
        parse_name_addr(value)
        return value
    except SipParseError:
        repaired = _SPACE_IN_ANGLES.sub(lambda m: f"<{m.group(1)}>", value)
        parse_name_addr(repaired)
        return repaired


_SPACE_IN_ANGLES = re.compile(r"<\s*([^<>\s]+)\s*>")


def _salvaged(error: SipParseError, head: bytes) -> SipParseError:
    """Attach the header fields of a badly framed message so the transport can still answer it."""
    try:
        message = parse_message(_CONTENT_LENGTH_RE.sub(b"X-Ignored: 0", head) + b"\r\n\r\n")
    except SipParseError as inner:
        error.headers, error.is_request, error.method = inner.headers, inner.is_request, inner.method
        return error
    if isinstance(message, SipRequest):
        error.headers, error.is_request, error.method = message.headers, True, message.method
    return error


class StreamFramer:
    """Cuts a TCP/TLS byte stream into whole messages by Content-Length.

    ``feed`` returns complete message byte strings and, for unrecoverable framing errors, a ``SipParseError``
    after which the framer refuses further input (the connection must be closed). CRLF keep-alives between
    messages (RFC 5626 "double CRLF" pings) are skipped; ``pings`` counts them so a transport can answer.
    """

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self._buffer = bytearray()
        self._max_size = max_size
        self._broken = False
        self.pings = 0

    def feed(self, data: bytes) -> list[bytes | SipParseError]:
        if self._broken:
            return []
        self._buffer += data
        out: list[bytes | SipParseError] = []
        while True:
            stripped = 0
            while stripped < len(self._buffer) and self._buffer[stripped] in (0x0D, 0x0A):
                stripped += 1
            if stripped == len(self._buffer) and stripped < 4:
                return out  # maybe the start of a double-CRLF ping; wait for the rest
            if stripped:
                if stripped >= 4:
                    self.pings += 1
                del self._buffer[:stripped]
            if not self._buffer:
                return out
            match = _HEADER_END.search(self._buffer)
            if match is None:
                if len(self._buffer) > self._max_size:
                    return self._fail(out, SipParseError(513, "Message too large"))
                return out
            head = bytes(self._buffer[: match.start()])
            lengths = _CONTENT_LENGTH_RE.findall(head)
            if not lengths:
                return self._fail(out, SipParseError(400, "Missing Content-Length on stream transport"), head)
            if len(set(lengths)) > 1:
                return self._fail(out, SipParseError(400, "Conflicting Content-Length headers"), head)
            text = lengths[0]
            if not text.isdigit() or len(text) > 9:
                return self._fail(out, SipParseError(400, "Invalid Content-Length"), head)
            total = match.end() + int(text)
            if total > self._max_size:
                return self._fail(out, SipParseError(513, "Message too large"), head)
            if len(self._buffer) < total:
                return out
            out.append(bytes(self._buffer[:total]))
            del self._buffer[:total]

    def _fail(
        self, out: list[bytes | SipParseError], error: SipParseError, head: bytes | None = None
    ) -> list[bytes | SipParseError]:
        if head is not None:
            error = _salvaged(error, head)
        self._broken = True
        self._buffer.clear()
        out.append(error)
        return out
