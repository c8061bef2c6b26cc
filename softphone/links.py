"""Command-line and URL-handler arguments of the desktop app (Qt-free)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from softphone.phone_numbers import normalize_dial_string

LINK_SCHEMES = ("tel:", "sip:", "sips:", "callto:")


@dataclass(frozen=True, slots=True)
class LaunchRequest:
    call_target: str | None
    start_minimized: bool
    language: str | None
    server_url: str | None
    profile: str | None


def parse_args(argv: list[str]) -> LaunchRequest:
    parser = argparse.ArgumentParser(prog="softphone", description="Desktop softphone")
    parser.add_argument("--call", metavar="NUMBER", help="dial NUMBER (forwarded to a running instance)")
    parser.add_argument("--minimized", action="store_true", help="start in the tray")
    parser.add_argument("--language", choices=("vi", "en"), help="user-interface language")
    parser.add_argument("--server", metavar="URL", help="provisioning server, e.g. http://127.0.0.1:8080")
    parser.add_argument("--profile", metavar="DIR", help="keep settings, accounts and history in DIR")
    parser.add_argument("link", nargs="?", help="a tel:, sip: or callto: link")
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
    )


def call_target_from_link(link: str) -> str | None:
    """The number or SIP address to dial for a link or a ``--call`` value; None if nothing dialable."""
    target = normalize_dial_string(link)
    return target or None
