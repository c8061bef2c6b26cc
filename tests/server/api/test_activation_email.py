"""The activation e-mail through the real SMTP sender against an in-process SMTP server (aiosmtpd):
sent on a device's first activation, again only when asked, and never failing the activation itself."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.policy import default as default_policy

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from server.api.app import create_app
from server.domain.notify import SmtpEmailSender
from softphone.testing import free_port

pytestmark = pytest.mark.integration

SENDER = "pbx@demo.local"


class Inbox:
    """An aiosmtpd handler that keeps every delivered message."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 OK"

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < count:
            assert time.monotonic() < deadline, f"{self.count()} messages, expected {count}"
            time.sleep(0.02)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def _client_with_sender(api, sender: SmtpEmailSender) -> AsyncIterator[httpx.AsyncClient]:
    """A second app over the same database whose context sends mail through `sender`."""
    app = create_app(api.settings, ctx=dataclasses.replace(api.ctx, mail=sender))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
            yield client
    finally:
        await app.state.engine.dispose()


@pytest.fixture
async def smtp_client(api, smtp_server) -> AsyncIterator[httpx.AsyncClient]:
    sender = SmtpEmailSender(host="127.0.0.1", port=smtp_server[1], sender=SENDER)
    async for client in _client_with_sender(api, sender):
        yield client


@pytest.fixture
async def refused_client(api) -> AsyncIterator[httpx.AsyncClient]:
    sender = SmtpEmailSender(host="127.0.0.1", port=free_port(), sender=SENDER)  # nothing listens there
    async for client in _client_with_sender(api, sender):
        yield client


async def _device_of(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    accounts = (await client.get("/me/accounts", headers=headers)).json()
    return int(accounts[0]["device_id"])


async def test_first_activation_mails_credentials_once(api, demo, smtp_client, smtp_server) -> None:
    inbox, _ = smtp_server
    headers = demo.agent_headers["101"]
    device_id = await _device_of(smtp_client, headers)
    r = await smtp_client.post(f"/me/accounts/{device_id}/activate", headers=headers)
    assert r.status_code == 200, r.text
    inbox.wait_for(1)
    mail_from, rcpt_tos, message = inbox.messages[0]
    assert mail_from == SENDER and rcpt_tos == ["agent101@demo.local"]
    assert message["To"] == "agent101@demo.local" and message["From"] == SENDER
    assert "101" in message["Subject"] and "kích hoạt" in message["Subject"]
    body = message.get_content()
    assert "Máy lẻ / Extension:            101" in body
    assert "Mật khẩu SIP / SIP password:   demo101" in body
    assert "Máy chủ / Server:              127.0.0.1:5060" in body
    assert "demo.local" in body
    assert body.startswith("Xin chào ")
    assert "đã được kích hoạt" in body and "is active" in body

    # Activating again (the app refreshing) sends nothing more...
    assert (await smtp_client.post(f"/me/accounts/{device_id}/activate", headers=headers)).status_code == 200
    # ...unless asked, by query flag or by the resend endpoint.
    r = await smtp_client.post(f"/me/accounts/{device_id}/activate?send_email=true", headers=headers)
    assert r.status_code == 200
    inbox.wait_for(2)
    r = await smtp_client.post(f"/me/accounts/{device_id}/activation-email", headers=headers)
    assert r.status_code == 200 and r.json() == {"to": "agent101@demo.local", "sent": True}
    inbox.wait_for(3)
    time.sleep(0.2)  # a stray fourth message would have arrived by now (all sends above completed)
    assert inbox.count() == 3


async def test_refused_smtp_does_not_fail_activation(api, demo, refused_client, caplog) -> None:
    headers = demo.agent_headers["102"]
    device_id = await _device_of(refused_client, headers)
    with caplog.at_level(logging.WARNING, logger="server.domain.accounts"):
        r = await refused_client.post(f"/me/accounts/{device_id}/activate", headers=headers)
        await api.ctx.background.drain()  # the e-mail is tried after the response
    assert r.status_code == 200, r.text
    assert r.json()["account"]["sip_password"] == "demo102"
    warnings = [rec.getMessage() for rec in caplog.records if rec.name == "server.domain.accounts"]
    assert any("activation e-mail to agent102@demo.local" in w and "not sent" in w for w in warnings)
    assert "demo102" not in caplog.text  # the SIP password never reaches the log
    r = await refused_client.post(f"/me/accounts/{device_id}/activation-email", headers=headers)
    assert r.status_code == 200 and r.json() == {"to": "agent102@demo.local", "sent": False}


async def test_resend_needs_an_activated_device(api, demo) -> None:
    headers = demo.agent_headers["103"]
    device_id = await _device_of(api.client, headers)
    r = await api.client.post(f"/me/accounts/{device_id}/activation-email", headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "device_not_activated"
    assert len(api.mail.sent) == 0
    assert (await api.client.post(f"/me/accounts/{device_id}/activate", headers=headers)).status_code == 200
    await api.ctx.background.drain()
    assert len(api.mail.sent) == 1
    r = await api.client.post(f"/me/accounts/{device_id}/activation-email", headers=headers)
    assert r.status_code == 200 and r.json()["sent"] is True
    assert len(api.mail.sent) == 2


async def test_activation_does_not_wait_for_a_slow_mail_server(api, demo) -> None:
    """The document comes back at once; the e-mail follows when the mail server gets to it."""
    release = asyncio.Event()
    delivered: list[str] = []

    class SlowMail:
        async def send_email(self, to: str, subject: str, body: str) -> None:
            await release.wait()
            delivered.append(to)

    app = create_app(api.settings, ctx=dataclasses.replace(api.ctx, mail=SlowMail()))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
            headers = demo.agent_headers["103"]
            device_id = await _device_of(client, headers)
            r = await asyncio.wait_for(
                client.post(f"/me/accounts/{device_id}/activate", headers=headers), timeout=5
            )
            assert r.status_code == 200 and delivered == []
            release.set()
            await api.ctx.background.drain(timeout=5)
            assert delivered == ["agent103@demo.local"]
    finally:
        await app.state.engine.dispose()
