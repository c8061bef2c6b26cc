"""The PBX registering itself to the carrier trunks that want it (`Trunk.register` with credentials).

Every `SCAN_INTERVAL` the wanted set is taken from the routing snapshot (every company's hotlines);
each trunk's `TrunkRegistration` (trunks.py) decides when to refresh and answers digest challenges.
"""

from __future__ import annotations

from server.sip.address import Address
from server.sip.directory import Directory, Trunk
from server.sip.element import Element, hostport
from server.sip.locator import Locator
from server.sip.message import SipRequest, SipResponse
from server.sip.trunks import TrunkRegistration, trunk_key

SCAN_INTERVAL = 30.0


class TrunkRegistrations:
    def __init__(self, element: Element, directory: Directory, locator: Locator) -> None:
        self.element = element
        self.directory = directory
        self.locator = locator
        self.registrations: dict[tuple[str, int, str], TrunkRegistration] = {}
        self._next_scan = 0.0

    def tick(self, now: float) -> None:
        if now >= self._next_scan:
            self._next_scan = now + SCAN_INTERVAL
            wanted: dict[tuple[str, int, str], Trunk] = {
                trunk_key(h.trunk): h.trunk
                for h in self.directory.all_hotlines()
                if h.trunk.register and h.trunk.username
            }
            for key in [k for k in self.registrations if k not in wanted]:
                del self.registrations[key]
            for key, trunk in wanted.items():
                if key not in self.registrations or self.registrations[key].trunk != trunk:
                    self.registrations[key] = TrunkRegistration(trunk)
        for reg in self.registrations.values():
            if not reg.in_flight and now >= reg.refresh_at:
                targets = self.locator.targets(reg.trunk, now)
                if not targets:
                    continue  # its name is being resolved
                dest = targets[0]
                local = self.element.local_for(dest.transport)
                req = reg.register(f"sip:{reg.trunk.username}@{hostport(local)}", dest.transport)
                self._send(reg, self.element.with_via(req, dest), dest, now)

    def _send(self, reg: TrunkRegistration, req: SipRequest, dest: Address, now: float) -> None:
        def answered(resp: SipResponse | None, when: float) -> None:
            again = reg.on_response(req, resp, when)
            if again is not None:
                self._send(reg, self.element.with_via(again, dest), dest, when)

        self.element.send_request(req, dest, now, on_answer=answered)
