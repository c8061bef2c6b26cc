"""Outgoing SMS and e-mail behind two small interfaces; console versions for development and tests."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

import httpx

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    async def send_sms(self, phone: str, text: str) -> None: ...


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"  # "audio/wav" for a voicemail


class EmailSender(Protocol):
    async def send_email(
        self, to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> None: ...


@dataclass
class ConsoleSmsSender:
    """Logs the SMS (OTP codes included: that is how a developer signs up without a gateway)."""

    sent: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=100))

    async def send_sms(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.warning("SMS to %s: %s", phone, text)


@dataclass
class HttpSmsSender:
    """POSTs `{"to": phone, "text": text}` as JSON to an SMS gateway, with an optional bearer token."""

    url: str
    token: str | None = None
    timeout: float = 10.0

    async def send_sms(self, phone: str, text: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(self.url, json={"to": phone, "text": text}, headers=headers)
            response.raise_for_status()
        log.info("SMS to %s handed to the gateway", phone)


@dataclass
class ConsoleEmailSender:
    """Keeps messages in memory and logs only recipient and subject: bodies carry SIP passwords."""

    sent: deque[tuple[str, str, str]] = field(default_factory=lambda: deque(maxlen=100))
    # what each message of `sent` had attached
    attachments: deque[tuple[Attachment, ...]] = field(default_factory=lambda: deque(maxlen=100))

    async def send_email(
        self, to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> None:
        self.sent.append((to, subject, body))
        self.attachments.append(tuple(attachments))
        log.info("e-mail to %s: %s (body withheld from the log)", to, subject)


@dataclass
class SmtpEmailSender:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username and self.password:
                smtp.login(self.username, self.password)
            smtp.send_message(message)

    async def send_email(
        self, to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        for a in attachments:
            maintype, _, subtype = a.content_type.partition("/")
            message.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
        await asyncio.to_thread(self._send, message)
        log.info("e-mail to %s sent over SMTP: %s", to, subject)
