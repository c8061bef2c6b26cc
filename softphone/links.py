"""Command-line and URL-handler arguments of the desktop app (Qt-free)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from softphone.phone_numbers import normalize_dial_string

LINK_SCHEMES = ("tel:", "sip:", "sips:", "callto:")


@dataclass(frozen=True, slots=True)
class SelfTestRequest:
    """``--self-test``: the app logs in, registers, calls and checks the tone by itself (ui/selftest.py)."""

    login: str
    password: str
    call: str
    expect_hz: float
    calls: int
    screenshots: str = ""


@dataclass(frozen=True, slots=True)
class LaunchRequest:
    call_target: str | None
    start_minimized: bool
    language: str | None
    server_url: str | None
    profile: str | None
    self_test: SelfTestRequest | None = None


def parse_args(argv: list[str]) -> LaunchRequest:
    parser = argparse.ArgumentParser(prog="softphone", description="Desktop softphone")
    parser.add_argument("--call", metavar="NUMBER", help="dial NUMBER (forwarded to a running instance)")
    parser.add_argument("--minimized", action="store_true", help="start in the tray")
    parser.add_argument("--language", choices=("vi", "en"), help="user-interface language")
    parser.add_argument("--server", metavar="URL", help="provisioning server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--profile", metavar="DIR", help="keep settings, accounts and history in DIR")
    parser.add_argument("link", nargs="?", help="a tel:, sip: or callto: link")
    test = parser.add_argument_group("self-test (checks a build end to end; see ui/selftest.py)")
    test.add_argument("--self-test", action="store_true", help="log in, register, call, check, quit")
    test.add_argument("--login", default="", help="phone or e-mail to log in with")
    test.add_argument("--password", default="", help="password to log in with")
    test.add_argument("--test-call", default="", metavar="NUMBER", help="number to call")
    test.add_argument("--expect-hz", type=float, default=0.0, help="tone the callee sends")
    test.add_argument("--calls", type=int, default=1, help="how many calls, one after the other")
    test.add_argument("--screenshots", default="", metavar="DIR", help="save a PNG of each step in DIR")
    ns, _unknown = parser.parse_known_args(argv)
    target = ns.call
    if target is None and ns.link and ns.link.lower().startswith(LINK_SCHEMES):
        target = ns.link
    return LaunchRequest(
        call_target=call_target_from_link(target) if target else None,
        start_minimized=ns.minimized,
        language=ns.language,
        server_url=ns.server,
        profile=ns.profile,
        self_test=(
            SelfTestRequest(
                ns.login, ns.password, ns.test_call, ns.expect_hz, max(1, ns.calls), ns.screenshots
            )
            if ns.self_test
            else None
        ),
    )


def call_target_from_link(link: str) -> str | None:
    """The number or SIP address to dial for a link or a ``--call`` value; None if nothing dialable."""
    target = normalize_dial_string(link)
    return target or None
