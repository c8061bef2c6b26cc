import pytest
from pbx_fakes import request

from server.sip.messages import delivery_request, queued_from_request, worth_storing
from server.sip.uri import parse_uri

pytestmark = pytest.mark.unit


def test_stored_message_keeps_original_date_from_and_body() -> None:
    req = request(
        "MESSAGE",
        "sip:103@demo.local",
        from_="sip:101@demo.local",
        to="sip:103@demo.local",
        headers=[("Date", "Sat, 21 Nov 2026 10:00:00 GMT"), ("Content-Type", "text/plain")],
        body=b"xin chao",
    )
    q = queued_from_request(req, domain="demo.local", user_id=103, now=0.0)
    assert q.date == "Sat, 21 Nov 2026 10:00:00 GMT" and q.body == b"xin chao" and q.user_id == 103
    out = delivery_request(q, parse_uri("sip:103@127.0.0.1:5000"))
    assert out.headers.get("Date") == q.date and out.from_.uri.user == "101" and out.body == b"xin chao"
    assert out.uri.port == 5000


def test_date_added_when_missing() -> None:
    req = request("MESSAGE", "sip:103@demo.local", from_="sip:101@demo.local", to="sip:103@demo.local")
    q = queued_from_request(req, domain="demo.local", user_id=103, now=1_800_000_000.0)
    assert q.date.endswith("GMT") and req.headers.get("Date") == q.date


def test_typing_indicators_not_stored() -> None:
    assert not worth_storing("application/im-iscomposing+xml")
    assert worth_storing("text/plain;charset=UTF-8")
