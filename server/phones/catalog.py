"""The vendors we provision, and what a request without a token is.

`by_mac(filename, user_agent)` is the whole decision for `/phones/<filename>`: the User-Agent says which
vendor asks, that vendor says what the file name means.  A pairing file name asked for by a User-Agent that is
not of the vendor it belongs to is `SUSPECT`: answered like an unknown MAC, and counted as a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from server.phones.cisco import Cisco
from server.phones.grandstream import Grandstream
from server.phones.poly import Poly
from server.phones.snom import Snom
from server.phones.vendor import FileRole, UserAgentInfo, Vendor
from server.phones.yealink import Yealink

VENDORS: tuple[Vendor, ...] = (Yealink(), Grandstream(), Poly(), Snom(), Cisco())
_BY_NAME = {v.name: v for v in VENDORS}


def vendor(name: str) -> Vendor | None:
    return _BY_NAME.get(name)


def identify(user_agent: str) -> tuple[Vendor, UserAgentInfo] | None:
    """The vendor and phone a provisioning User-Agent belongs to."""
    for v in VENDORS:
        if (info := v.identify(user_agent)) is not None:
            return v, info
    return None


class MacRequestKind(Enum):
    PAIR = "pair"  # the asking vendor's pairing file: pair if this MAC's window is open
    SHARED = "shared"  # a file the same for all phones of the vendor
    SUSPECT = "suspect"  # a pairing file name from a User-Agent of another vendor (or none)
    QUIET = "quiet"  # anything else: 404, not counted


@dataclass(frozen=True, slots=True)
class MacRequest:
    kind: MacRequestKind
    vendor: Vendor | None = None
    agent: UserAgentInfo | None = None
    mac: str | None = None
    body: bytes | None = None  # for SHARED


def by_mac(filename: str, user_agent: str) -> MacRequest:
    """What `/phones/<filename>` asked for by `user_agent` is."""
    found = identify(user_agent)
    if found is not None:
        asking, agent = found
        phone_file = asking.classify(filename)
        if phone_file is not None:
            if phone_file.role is FileRole.PAIRING:
                return MacRequest(MacRequestKind.PAIR, asking, agent, phone_file.mac)
            if phone_file.role is FileRole.SHARED:
                return MacRequest(MacRequestKind.SHARED, asking, agent, body=asking.shared(filename))
            return MacRequest(MacRequestKind.QUIET, asking, agent)
    for v in VENDORS:
        phone_file = v.classify(filename)
        if phone_file is not None and phone_file.role is FileRole.PAIRING:
            return MacRequest(MacRequestKind.SUSPECT, None, found[1] if found else None, phone_file.mac)
    return MacRequest(MacRequestKind.QUIET, found[0] if found else None, found[1] if found else None)
