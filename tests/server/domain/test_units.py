"""Pure logic: tokens, phone/extension rules, settings files, the HTTP SMS sender vs a loopback gateway."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from server.domain.context import PbxEndpoint
from server.domain.errors import InvalidInput
from server.domain.notify import HttpSmsSender
from server.domain.provisioning import render_linphone_xml
from server.domain.security import BadToken, Passwords, TokenSigner, ha1
from server.domain.validation import check_extension, normalize_email, normalize_phone
from server.settings import load_settings

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]


def test_tokens_sign_verify_expire_and_reject_tampering() -> None:
    signer = TokenSigner(b"k" * 32)
    token = signer.sign("access", 1000, sub=7)
    assert signer.verify(token, "access", 999)["sub"] == 7
    with pytest.raises(BadToken):
        signer.verify(token, "access", 1000)
    with pytest.raises(BadToken):
        signer.verify(token, "otp", 999)
    with pytest.raises(BadToken):
        TokenSigner(b"x" * 32).verify(token, "access", 999)
    for bad in ("", "abc", "a.b", token + "x", "." + token):
        with pytest.raises(BadToken):
            signer.verify(bad, "access", 999)


async def test_passwords() -> None:
    passwords = Passwords.fast()
    h = await passwords.hash("correct horse")
    assert await passwords.verify(h, "correct horse") and not await passwords.verify(h, "wrong")
    assert not await passwords.verify("not-a-hash", "x")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("0912345678", "84912345678"),
        ("+84912345678", "84912345678"),
        ("84 912 345 678", "84912345678"),
        ("0901.000.101", "84901000101"),
        ("0386123456", "84386123456"),
    ],
)
def test_phone_forms(given: str, stored: str) -> None:
    assert normalize_phone(given) == stored


@pytest.mark.parametrize("bad", ["", "12345", "02873001234", "+1 555 0100", "09123456789", "abc", "0" * 40])
def test_bad_phones(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        normalize_phone(bad)
    assert err.value.code == "invalid_phone" and "phone" in err.value.fields


def test_extension_rule() -> None:
    for ok in ("10", "101", "9999"):
        assert check_extension(ok) == ok
    for bad in ("1", "10000", "1a", " 101", "*43", "١٠١"):
        with pytest.raises(InvalidInput):
            check_extension(bad)


def test_email_rule() -> None:
    assert normalize_email(" An@Demo.Local ") == "an@demo.local"
    for bad in ("a@b", "x", "a b@c.d", "a@-x.com", "@x.com"):
        with pytest.raises(InvalidInput):
            normalize_email(bad)


def test_linphone_xml_escapes_and_carries_ha1() -> None:
    xml = render_linphone_xml(
        pbx=PbxEndpoint(),
        domain="demo.local",
        username="101",
        ha1_md5=ha1("md5", "101", "demo.local", "p"),
        display_name='A "quoted" <name> & co',
    )
    assert '<config xmlns="http://www.linphone.org/xsds/lpconfig.xsd">' in xml
    assert "&lt;name&gt; &amp; co" in xml and '\\"quoted\\"' in xml


def test_example_config_is_valid_and_matches_defaults(tmp_path) -> None:
    example = ROOT / "server" / "config.example.toml"
    settings = load_settings(example, data_dir=tmp_path)
    assert settings.http_port == 8080 and settings.sip_port == 5060 and settings.sms_backend == "console"


def test_http_sms_sender_posts_json_to_gateway() -> None:
    received: list[tuple[str, dict[str, str]]] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("Authorization", ""), json.loads(body)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        import asyncio

        sender = HttpSmsSender(f"http://127.0.0.1:{server.server_port}/send", token="t0k")
        asyncio.run(sender.send_sms("84912345678", "code 123456"))
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert received == [("Bearer t0k", {"to": "84912345678", "text": "code 123456"})]
