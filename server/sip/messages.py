"""SIP MESSAGE store-and-forward: what is kept for an offline recipient and how it is delivered later.

The proxy relays a MESSAGE to every registered device of the recipient (ordinary forking).  When the
recipient has no device, or every device failed in a way that says "not reachable now", the message
becomes a `QueuedMessage` (kept in `PendingMessages` and written through the journal) and the sender
gets 202 Accepted once the database has it.  On the recipient's next
REGISTER each pending message is sent from the PBX with its original From, To and Date, and marked
delivered once a device answers 2xx, so it is delivered once.
"""

from __future__ import annotations

from email.utils import formatdate

from server.sip.directory import QueuedMessage
from server.sip.entropy import random_hex
from server.sip.message import SipRequest, new_call_id
from server.sip.uri import SipUri

# Final responses meaning "no device could take it now": store instead of failing the sender.
UNREACHABLE = frozenset({408, 480, 503})


def worth_storing(content_type: str) -> bool:
    """Typing indicators (RFC 3994) are not kept for later."""
    return "im-iscomposing" not in content_type.lower()


def stamp_date(request: SipRequest, now: float) -> str:
    """The MESSAGE's Date header, added now if the sender sent none (it travels with a stored message)."""
    date = request.headers.get("Date")
    if date is None:
        date = formatdate(now, usegmt=True)
        request.headers.add("Date", date)
    return date


def queued_from_request(request: SipRequest, *, domain: str, user_id: int, now: float) -> QueuedMessage:
    return QueuedMessage(
        message_id=random_hex(8),
        domain=domain,
        user_id=user_id,
        from_uri=request.headers.get("From") or "",
        to_uri=request.headers.get("To") or "",
        content_type=request.content_type or "text/plain",
        body=request.body,
        date=stamp_date(request, now),
    )


def delivery_request(m: QueuedMessage, contact: SipUri) -> SipRequest:
    """A new MESSAGE from the PBX carrying a stored message to one device (the sender adds the Via)."""
    r = SipRequest("MESSAGE", contact)
    r.headers.add("Max-Forwards", "70")
    r.headers.add("From", m.from_uri)
    r.headers.add("To", m.to_uri)
    r.headers.add("Call-ID", new_call_id())
    r.headers.add("CSeq", "1 MESSAGE")
    r.headers.add("Date", m.date)
    r.headers.add("Content-Type", m.content_type)
    r.body = m.body
    return r


class PendingMessages:
    """Stored messages not delivered yet, by recipient, in the order they were stored."""

    __slots__ = ("_by_user",)

    def __init__(self) -> None:
        self._by_user: dict[int, dict[str, QueuedMessage]] = {}

    def add(self, m: QueuedMessage) -> None:
        self._by_user.setdefault(m.user_id, {}).setdefault(m.message_id, m)

    def of(self, user_id: int) -> list[QueuedMessage]:
        return list(self._by_user.get(user_id, {}).values())

    def delivered(self, m: QueuedMessage) -> None:
        found = self._by_user.get(m.user_id)
        if found is not None:
            found.pop(m.message_id, None)
            if not found:
                del self._by_user[m.user_id]

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_user.values())
