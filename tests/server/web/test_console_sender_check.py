"""Company settings, "Send test": the real demo server's SMS sender is its HTTP sender pointed at a gateway
in this test (which refuses one number with 502) and its e-mail sender is its SMTP sender pointed at an
aiosmtpd server in this test (which refuses one address with 550); chromium sends a test SMS and e-mail,
sees the sender's error for the refused ones, and finds every attempt in the audit log; vi and en."""

from __future__ import annotations

import email
import email.policy
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from softphone.testing import DemoServer, free_port
from tests.server.web.conftest import shot, sign_in

pytestmark = pytest.mark.integration

REFUSED_NUMBER = "84909999999"
REFUSED_ADDRESS = "nobody@demo.local"


class Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body["to"] == REFUSED_NUMBER:
            self.send_response(502, "Bad Gateway")
        else:
            Gateway.received.append({**body, "auth": self.headers.get("Authorization", "")})
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == REFUSED_ADDRESS:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content or b"")))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture(scope="module")
def senders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoServer, Inbox]]:
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    smtp.start()
    env = {
        "SOFTPHONE_SERVER_SMS_BACKEND": "http",
        "SOFTPHONE_SERVER_SMS_HTTP_URL": f"http://127.0.0.1:{gateway.server_address[1]}/sms",
        "SOFTPHONE_SERVER_SMS_HTTP_TOKEN": "gateway-secret",
        "SOFTPHONE_SERVER_EMAIL_BACKEND": "smtp",
        "SOFTPHONE_SERVER_SMTP_HOST": "127.0.0.1",
        "SOFTPHONE_SERVER_SMTP_PORT": str(smtp.port),
        "SOFTPHONE_SERVER_EMAIL_FROM": "pbx@demo.local",
    }
    server = DemoServer(tmp_path_factory.mktemp("senders"), media=False, env=env)
    server.start()
    try:
        yield server, inbox
    finally:
        server.stop()
        smtp.stop()
        gateway.shutdown()


def _send(page: object, channel: str, to: str) -> None:
    page.select_option("#f-channel", channel)  # type: ignore[attr-defined]
    page.fill("#f-to", to)  # type: ignore[attr-defined]
    page.click("#send-test")  # type: ignore[attr-defined]


def test_send_test_sms_and_email_through_the_configured_senders(senders, page) -> None:
    server, inbox = senders
    sign_in(page, server, lang="vi")
    page.goto(f"{server.url}/console/company")
    senders_text = page.locator("#senders-title + p + dl").inner_text()
    assert "Cổng SMS HTTP http://127.0.0.1:" in senders_text and "/sms" in senders_text
    assert "gateway-secret" not in page.content()
    assert f"Máy chủ SMTP 127.0.0.1:{server.env['SOFTPHONE_SERVER_SMTP_PORT']}" in senders_text

    # bad input: a message next to the field, nothing sent
    _send(page, "sms", "12345")
    assert page.locator("#e-to").inner_text().startswith("không phải số di động Việt Nam")
    assert page.locator("#f-to").input_value() == "12345"
    shot(page, "company_sender_test_bad_number_vi")

    _send(page, "sms", "0912 345 678")
    assert page.locator(".flash").inner_text() == "Đã gửi SMS thử đến 84912345678."
    assert Gateway.received[-1]["to"] == "84912345678"
    assert "Tin nhắn thử" in Gateway.received[-1]["text"]
    assert Gateway.received[-1]["auth"] == "Bearer gateway-secret"
    shot(page, "company_sender_test_sms_sent_vi")

    _send(page, "sms", REFUSED_NUMBER)
    assert page.locator("#test-result").inner_text() == "Không gửi được: Cổng SMS trả lời 502 Bad Gateway."
    assert page.locator("#f-to").input_value() == REFUSED_NUMBER
    shot(page, "company_sender_test_sms_refused_vi")

    _send(page, "email", "An@Example.vn")
    assert page.locator(".flash").inner_text() == "Đã gửi e-mail thử đến an@example.vn."
    deadline = time.monotonic() + 10
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    (to, raw) = inbox.messages[-1]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert to == ["an@example.vn"] and message["From"] == "pbx@demo.local"
    assert message["Subject"] == "Thư thử / Test e-mail: Demo"

    page.goto(f"{server.url}/console/lang/en?next=/console/company")
    _send(page, "email", REFUSED_ADDRESS)
    result = page.locator("#test-result").inner_text()
    assert result.startswith("Not sent: The mail server refused the address (nobody@demo.local: 550 ")
    assert page.locator("#test-result").get_attribute("role") == "alert"
    shot(page, "company_sender_test_email_refused_en")

    page.goto(f"{server.url}/console/audit?entity=company")
    audit = page.locator("tbody").inner_text()
    for what in ("test_sms", "test_email", "84912345678", REFUSED_NUMBER, "an@example.vn", REFUSED_ADDRESS):
        assert what in audit, what
    assert re.search(r"502 Bad Gateway", audit)
    shot(page, "company_sender_test_audit_en")
