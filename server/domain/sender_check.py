"""A test message through the configured SMS or e-mail sender, to a number or address the administrator
types (company settings): proof that OTP codes and activation e-mails will arrive.  Both outcomes are
audited (entity `company`, actions `test_sms` / `test_email`, the destination and the sender's error)."""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from server.domain import audit
from server.domain.context import DomainContext
from server.domain.errors import DomainError, InvalidInput
from server.domain.notify import failure_reason
from server.domain.validation import normalize_email, normalize_phone

log = logging.getLogger(__name__)

Channel = Literal["sms", "email"]
SMS_TEXT = "Tin nhắn thử từ tổng đài {name}. Test message from the {name} PBX."
EMAIL_SUBJECT = "Thư thử / Test e-mail: {name}"
EMAIL_BODY = (
    "Đây là thư thử từ tổng đài {name}: thư kích hoạt và mã OTP sẽ được gửi theo cách này.\n\n"
    "This is a test e-mail from the {name} PBX: activation e-mails and codes are sent the same way.\n"
)


class SenderFailed(DomainError):
    """The sender did not take the message; `reason` is an English message id with one %s for `detail`."""

    status = 502

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__("sender_failed", reason % detail)
        self.reason = reason
        self.detail = detail


async def send_test(
    session: AsyncSession,
    *,
    ctx: DomainContext,
    company_id: int,
    company_name: str,
    channel: str,
    to: str,
    actor_id: int | None,
) -> str:
    """Send the test message; the normalized destination, or `SenderFailed` (audited either way)."""
    if channel == "sms":
        destination = normalize_phone(to.strip(), field="to")
    elif channel == "email":
        destination = normalize_email(to, field="to")
    else:
        raise InvalidInput("invalid_channel", "choose SMS or e-mail", fields={"channel": "sms or email"})
    failure: tuple[str, str] | None = None
    try:
        if channel == "sms":
            await ctx.sms.send_sms(destination, SMS_TEXT.format(name=company_name))
        else:
            await ctx.mail.send_email(
                destination, EMAIL_SUBJECT.format(name=company_name), EMAIL_BODY.format(name=company_name)
            )
    except Exception as exc:  # any sender error is the answer the administrator asked for
        log.warning("test %s to %s failed: %r", channel, destination, exc)
        failure = failure_reason(exc)
    audit.record(
        session,
        ctx=ctx,
        company_id=company_id,
        actor_id=actor_id,
        action=f"test_{channel}",
        entity="company",
        entity_id=company_id,
        detail={
            "to": destination,
            "sent": failure is None,
            **({"error": failure[0] % failure[1]} if failure else {}),
        },
    )
    await session.commit()
    if failure is not None:
        raise SenderFailed(*failure)
    return destination
