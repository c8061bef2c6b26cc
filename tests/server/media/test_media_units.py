"""Pure parts of the media service: dialled-number parsing, the feature table, timers."""

from __future__ import annotations

import pytest

from server.media.features import FeatureTable, Unknown
from server.media.request_uri import dialled_user, uri_user
from server.media.timers import Timers

pytestmark = [pytest.mark.unit]

INVITE = (
    "INVITE sip:*43@127.0.0.1:5070;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
    "To: <sip:echo@demo.local>\r\n"
    "From: <sip:101@demo.local>;tag=1\r\n"
    "\r\n"
)


@pytest.mark.parametrize(
    ("uri", "user"),
    [
        ("sip:*43@127.0.0.1:5070", "*43"),
        ("<sip:%2A43@host>", "*43"),
        ("sips:801;phone-context=x@host;user=phone", "801"),
        ("tel:+84901234567;ext=1", "+84901234567"),
        ("sip:host.only", None),
        ("http://x@y", None),
        ("sip:@host", None),
    ],
)
def test_uri_user(uri, user):
    assert uri_user(uri) == user


def test_request_uri_user_wins_over_to():
    assert dialled_user(INVITE) == "*43"


def test_to_header_is_the_fallback():
    raw = INVITE.replace("INVITE sip:*43@127.0.0.1:5070;transport=udp", "INVITE sip:127.0.0.1:5070")
    assert dialled_user(raw) == "echo"
    compact = raw.replace("To: <sip:echo@demo.local>", "t: sip:777@demo.local;tag=x")
    assert dialled_user(compact) == "777"


def test_garbage_has_no_user():
    assert dialled_user("") is None
    assert dialled_user("not sip at all\r\n\r\n") is None


def test_feature_table_falls_back_to_unknown():
    echo = Unknown(code=299)
    table = FeatureTable({"*43": echo})
    assert table.feature_for("*43") is echo
    assert table.feature_for("5999") == Unknown()
    assert table.feature_for(None) == Unknown()
    assert list(table) == ["*43"] and len(table) == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_timers_run_in_due_order_and_skip_cancelled():
    clock = FakeClock()
    timers = Timers(clock)
    ran: list[str] = []
    timers.call_later(0.3, lambda: ran.append("b"))
    timers.call_later(0.1, lambda: ran.append("a"))
    cancelled = timers.call_later(0.2, lambda: ran.append("x"))
    cancelled.cancel()
    assert timers.run_due() == 0
    assert timers.next_due() == pytest.approx(100.1)
    clock.now = 100.25
    assert timers.run_due() == 1
    clock.now = 101.0
    assert timers.run_due() == 1
    assert ran == ["a", "b"]
    assert timers.next_due() is None


def test_timer_scheduled_from_a_timer_waits_for_the_next_turn():
    clock = FakeClock()
    timers = Timers(clock)
    ran: list[int] = []
    timers.call_later(0, lambda: timers.call_later(0, lambda: ran.append(2)) and None)
    timers.run_due()
    assert ran == []
    timers.run_due()
    assert ran == [2]
