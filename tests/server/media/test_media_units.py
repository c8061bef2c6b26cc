"""Pure parts of the media service: dialled-number parsing, the feature table, timers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from server.media.features import FeatureTable, Unknown
from server.media.recording import RecordingPolicy, safe_name
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


def test_feature_table_patterns_after_exact_numbers():
    room, echo = Unknown(code=201), Unknown(code=202)
    table = FeatureTable({"*800": echo}, patterns=[(re.compile(r"\*8\d\d"), room)])
    assert table.feature_for("*800") is echo
    assert table.feature_for("*801") is room
    assert table.feature_for("*8010") == Unknown()


def test_recording_policy_is_opt_in_by_prefix(tmp_path):
    fixed = datetime(2026, 11, 22, 8, 30, 5, tzinfo=timezone(timedelta(hours=7)))
    policy = RecordingPolicy(tmp_path, ("*8",), now=lambda: fixed)
    assert policy.path_for("*43", "abc") is None
    assert policy.path_for(None, "abc") is None
    path = policy.path_for("*801", "a8f/..\\\\x@host")
    assert path == tmp_path / "20261122T013005Z_star801_a8f_.._x_host.wav"
    assert RecordingPolicy(None, ("*8",)).path_for("*801", "abc") is None
    assert RecordingPolicy(tmp_path, ()).path_for("*801", "abc") is None


def test_safe_name_never_escapes_the_directory():
    assert "/" not in safe_name("../../etc/passwd")
    assert not safe_name("../..").startswith(".")
    assert safe_name("") == "unknown"
