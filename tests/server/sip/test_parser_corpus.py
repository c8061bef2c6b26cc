"""A corpus of malformed (and valid-but-tortuous) messages in the style of RFC 4475, one file each.

``malformed/manifest.json`` says for each file either the status and a word of the reason a server must answer
with, or that the message is valid and which method it carries.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.sip.errors import SipParseError
from server.sip.message import SipRequest, SipResponse
from server.sip.parser import make_error_response, parse_message

pytestmark = pytest.mark.unit

CORPUS = Path(__file__).parent / "malformed"
MANIFEST: dict[str, dict[str, object]] = json.loads((CORPUS / "manifest.json").read_text())


def test_every_corpus_file_is_in_the_manifest() -> None:
    files = {p.stem for p in CORPUS.glob("*.sip")}
    assert files == set(MANIFEST)
    assert len([n for n, e in MANIFEST.items() if not e.get("valid")]) >= 40


@pytest.mark.parametrize("name", sorted(n for n, e in MANIFEST.items() if not e.get("valid")))
def test_malformed_message_is_rejected_with_reason(name: str) -> None:
    expected = MANIFEST[name]
    data = (CORPUS / f"{name}.sip").read_bytes()
    with pytest.raises(SipParseError) as info:
        parse_message(data)
    error = info.value
    assert error.status_hint == expected["status"], error.reason
    assert str(expected["reason_contains"]).lower() in error.reason.lower()
    response = make_error_response(error)
    if response is not None:
        assert response.status == expected["status"]
        assert response.reason == error.reason
        assert isinstance(parse_message(response.to_bytes()), SipResponse)


def test_salvageable_requests_get_an_answer() -> None:
    answered = []
    for name, expected in MANIFEST.items():
        if expected.get("valid"):
            continue
        try:
            parse_message((CORPUS / f"{name}.sip").read_bytes())
        except SipParseError as error:
            if make_error_response(error) is not None:
                answered.append(name)
    # Those with Via/From/To/Call-ID/CSeq intact must be answered rather than dropped.
    must_answer = {
        "cseq_method_mismatch", "content_length_larger_than_body", "version_7", "max_forwards_too_big",
        "unknown_scheme_request_uri", "body_without_content_type",
    }  # fmt: skip
    assert must_answer <= set(answered)


@pytest.mark.parametrize("name", sorted(n for n, e in MANIFEST.items() if e.get("valid")))
def test_tortuous_but_valid_message_parses(name: str) -> None:
    expected = MANIFEST[name]
    msg = parse_message((CORPUS / f"{name}.sip").read_bytes())
    if expected["method"] is None:
        assert isinstance(msg, SipResponse)
    else:
        assert isinstance(msg, SipRequest) and msg.method == expected["method"]
    _ = (msg.vias, msg.from_, msg.to, msg.cseq, msg.call_id, msg.contacts)
    assert parse_message(msg.to_bytes()).to_bytes() == msg.to_bytes()
