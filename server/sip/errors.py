"""Errors raised by the SIP core.

A parse error carries the status a server should answer with (``status_hint``) and a human reason that goes
into the response's reason phrase, in the spirit of h11's ``RemoteProtocolError(error_status_hint=...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from server.sip.headers import Headers


class SipParseError(Exception):
    """Bytes from the network (or a header value) that are not valid SIP.

    ``headers`` holds whatever header fields were read before the error, so a transport can still salvage
    Via/From/To/Call-ID/CSeq and answer ``status_hint`` instead of dropping the message silently.
    """

    def __init__(
        self,
        status_hint: int,
        reason: str,
        *,
        headers: Headers | None = None,
        is_request: bool | None = None,
        method: str | None = None,
    ) -> None:
        super().__init__(f"{status_hint} {reason}")
        self.status_hint = status_hint
        self.reason = reason
        self.headers = headers
        self.is_request = is_request
        self.method = method
