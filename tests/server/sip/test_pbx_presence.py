import pytest

from server.sip.presence import PresenceFacts, derive_status, pidf_document, status_from_pidf

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("facts", "status"),
    [
        (PresenceFacts(registered=False, dnd=True, on_call=True, published="away"), "offline"),
        (PresenceFacts(registered=True, dnd=True, on_call=True, published="away"), "dnd"),
        (PresenceFacts(registered=True, dnd=False, on_call=True, published="away"), "on_the_phone"),
        (PresenceFacts(registered=True, dnd=False, on_call=False, published="away"), "away"),
        (PresenceFacts(registered=True, dnd=False, on_call=False), "available"),
    ],
)
def test_precedence(facts: PresenceFacts, status: str) -> None:
    assert derive_status(facts)[0] == status


@pytest.mark.parametrize("status", ["available", "away", "busy", "dnd", "on_the_phone", "offline"])
def test_pidf_round_trip(status: str) -> None:
    body = pidf_document("sip:101@demo.local", status)
    assert body.startswith(b"<?xml") and b'entity="sip:101@demo.local"' in body
    parsed, _ = status_from_pidf(body)
    expected = {"dnd": "busy", "on_the_phone": "busy"}.get(status, status)
    assert parsed == expected


def test_publish_from_pjsip_style_body() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><presence entity="sip:103@demo.local" '
        b'xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
        b'xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"><tuple id="x"><status><basic>open</basic></status>'
        b'</tuple><dm:person id="p"><rpid:activities><rpid:away/></rpid:activities>'
        b"<dm:note>Lunch &amp; back</dm:note></dm:person></presence>"
    )
    assert status_from_pidf(body) == ("away", "Lunch & back")


def test_note_is_escaped() -> None:
    assert b"a &lt;b&gt;" in pidf_document("sip:x@y", "away", "a <b>")
