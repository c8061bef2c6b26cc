"""Carrier trunks seen from the PBX as a client: registering to them and answering their challenges.

`TrunkRegistration` is the state of one registration (sans-IO: it builds REGISTER requests and reads
responses; the proxy sends them and arms the refresh time it reports).  `authorize` adds credentials
to a request a trunk challenged (401/407), for outbound INVITEs too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from server.sip.auth import client_authorization
from server.sip.directory import Trunk
from server.sip.entropy import random_hex
from server.sip.headers import parse_via
from server.sip.message import SipRequest, SipResponse, new_branch, new_call_id, new_tag
from server.sip.uri import SipUri

log = logging.getLogger("server.sip.trunks")

REGISTER_EXPIRES = 300
RETRY_AFTER_FAILURE = 30.0


def trunk_key(t: Trunk) -> tuple[str, int, str]:
    return (t.host, t.port, t.username or "")


def challenge_of(resp: SipResponse) -> tuple[str, str] | None:
    """(credentials header name, challenge) of a 401/407, or None."""
    if resp.status == 401:
        values = resp.headers.get_all("WWW-Authenticate")
        return ("Authorization", values[0]) if values else None
    if resp.status == 407:
        values = resp.headers.get_all("Proxy-Authenticate")
        return ("Proxy-Authorization", values[0]) if values else None
    return None


def authorize(request: SipRequest, resp: SipResponse, trunk: Trunk) -> SipRequest | None:
    """A copy of `request` answering the trunk's challenge (new branch, CSeq + 1), or None if we can't."""
    found = challenge_of(resp)
    if found is None or not trunk.username or trunk.password is None:
        return None
    name, challenge = found
    if "MD5" not in challenge and "SHA-256" not in challenge and "algorithm" in challenge:
        return None
    again = request.copy()
    number, method = request.cseq
    again.headers.set("CSeq", f"{number + 1} {method}")
    vias = again.headers.get_all("Via")
    if vias:
        again.headers.pop_first("Via")
        again.headers.add_first("Via", str(parse_via(vias[0]).with_param("branch", new_branch())))
    again.headers.remove("Authorization")
    again.headers.remove("Proxy-Authorization")
    again.headers.add(
        name,
        client_authorization(
            challenge,
            method=method,
            uri=str(request.uri),
            username=trunk.username,
            password=trunk.password,
            cnonce=random_hex(8),
        ),
    )
    return again


@dataclass
class TrunkRegistration:
    trunk: Trunk
    call_id: str = field(default_factory=new_call_id)
    tag: str = field(default_factory=new_tag)
    cseq: int = 0
    state: str = "idle"  # idle | registering | registered | failed
    refresh_at: float = 0.0
    in_flight: bool = False
    auth_attempts: int = 0

    def register(self, contact: str, via_transport: str, expires: int = REGISTER_EXPIRES) -> SipRequest:
        t = self.trunk
        self.cseq += 1
        self.in_flight = True
        self.state = "registering" if self.state != "registered" else self.state
        aor = f"sip:{t.username}@{t.host}"
        req = SipRequest("REGISTER", SipUri(host=t.host, port=t.port))
        h = req.headers
        h.add("Via", f"SIP/2.0/{via_transport.upper()} 0.0.0.0;branch={new_branch()}")
        h.add("Max-Forwards", "70")
        h.add("From", f"<{aor}>;tag={self.tag}")
        h.add("To", f"<{aor}>")
        h.add("Call-ID", self.call_id)
        h.add("CSeq", f"{self.cseq} REGISTER")
        h.add("Contact", f"<{contact}>")
        h.add("Expires", str(expires))
        return req

    def on_response(self, request: SipRequest, resp: SipResponse | None, now: float) -> SipRequest | None:
        """Update the state; returns the REGISTER to send again when the trunk challenged us."""
        if resp is None or resp.status >= 300:
            if resp is not None and resp.status in (401, 407) and self.auth_attempts < 2:
                again = authorize(request, resp, self.trunk)
                if again is not None:
                    self.auth_attempts += 1
                    self.cseq = again.cseq[0]
                    return again
            self.in_flight = False
            self.auth_attempts = 0
            if self.state != "failed":
                log.warning(
                    "trunk %s:%d registration failed: %s",
                    self.trunk.host,
                    self.trunk.port,
                    "timeout" if resp is None else f"{resp.status} {resp.reason}",
                )
            self.state = "failed"
            self.refresh_at = now + RETRY_AFTER_FAILURE
            return None
        if resp.status < 200:
            return None
        self.in_flight = False
        self.auth_attempts = 0
        granted = resp.expires or REGISTER_EXPIRES
        for c in resp.contacts:
            raw = c.params.get("expires")
            if raw and raw.isdigit():
                granted = int(raw)
                break
        if self.state != "registered":
            log.info("trunk %s:%d registered for %d s", self.trunk.host, self.trunk.port, granted)
        self.state = "registered"
        self.refresh_at = now + max(10.0, granted * 0.8)
        return None
