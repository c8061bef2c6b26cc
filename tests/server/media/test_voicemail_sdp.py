"""A call forwarded to voicemail is negotiated in G.711, the codec the recorder writes."""

from __future__ import annotations

import pytest

from server.media.voicemail import g711_offer

pytestmark = pytest.mark.unit

OFFER = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 9 0 8 101 96\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
    "a=rtpmap:96 speex/16000\r\na=fmtp:96 vbr=on\r\na=sendrecv\r\n"
)


def test_only_g711_and_telephone_events_stay() -> None:
    out = g711_offer(OFFER)
    assert "m=audio 4000 RTP/AVP 0 8 101\r\n" in out
    assert "G722" not in out and "speex" not in out and "vbr" not in out
    assert "a=fmtp:101 0-16\r\n" in out and out.endswith("a=sendrecv\r\n")


def test_an_offer_without_g711_is_left_alone() -> None:
    wideband = OFFER.replace("RTP/AVP 9 0 8 101 96", "RTP/AVP 9 101 96")
    assert g711_offer(wideband) == wideband
