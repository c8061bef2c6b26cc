"""Locating carrier gateways by RFC 3263 on asyncio: the names the core's `Locator` asks for are resolved
here (dnspython) and handed back with their TTL.

A trunk keeps the transport its admin chose.  When its port is the default (5060) the name is looked up as
a service: for UDP (the default transport) NAPTR first, which may point at TCP or TLS instead; then SRV
(`_sip._udp`, `_sip._tcp`, `_sips._tcp`), ordered by priority and, within one priority, by weight (RFC 2782);
each SRV target's A/AAAA records give the addresses.  With no service records, or an explicit port, the
name's own A/AAAA records at that port.  Failures (NXDOMAIN, no answer, timeout) leave the core with what
it had and are tried again after `RETRY_AFTER` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.rdatatype
import dns.resolver

from server.sip.address import Address
from server.sip.locator import Located, Locator, TrunkName

log = logging.getLogger("server.sip.aio.dns")

RETRY_AFTER = 30.0
MAX_TTL = 3600.0
SRV_PREFIX = {"udp": "_sip._udp.", "tcp": "_sip._tcp.", "tls": "_sips._tcp."}
NAPTR_SERVICES = {"SIP+D2U": "udp", "SIP+D2T": "tcp", "SIPS+D2T": "tls"}


@dataclass(frozen=True, slots=True)
class Answer:
    targets: tuple[Address, ...]
    ttl: float


def make_resolver(nameservers: list[str] | None = None, timeout: float = 2.0) -> dns.asyncresolver.Resolver:
    """The system's resolver, or one asking `nameservers` ("host" or "host:port")."""
    if not nameservers:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [n.rsplit(":", 1)[0] if n.count(":") == 1 else n for n in nameservers]
        ports = {int(n.rsplit(":", 1)[1]) for n in nameservers if n.count(":") == 1}
        if ports:
            resolver.port = ports.pop()
    resolver.lifetime = timeout
    return resolver


async def _query(resolver: dns.asyncresolver.Resolver, name: str, rdtype: str) -> tuple[list[object], float]:
    try:
        answer = await resolver.resolve(name, rdtype, raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers, dns.exception.Timeout, dns.resolver.NoAnswer):
        return [], RETRY_AFTER
    if answer.rrset is None:
        return [], RETRY_AFTER
    return list(answer.rrset), float(answer.rrset.ttl)


async def _addresses(resolver: dns.asyncresolver.Resolver, host: str) -> tuple[list[str], float]:
    found: list[str] = []
    ttl = MAX_TTL
    for rdtype in ("A", "AAAA"):
        records, t = await _query(resolver, host, rdtype)
        if records:
            found += [r.address for r in records]  # type: ignore[attr-defined]
            ttl = min(ttl, t)
    return found, (ttl if found else RETRY_AFTER)


def _by_priority_and_weight(records: list[object], rng: random.Random) -> list[object]:
    """RFC 2782 order: ascending priority; within one, a weighted random permutation."""
    out: list[object] = []
    for priority in sorted({r.priority for r in records}):  # type: ignore[attr-defined]
        group = [r for r in records if r.priority == priority]  # type: ignore[attr-defined]
        while group:
            total = sum(r.weight for r in group)  # type: ignore[attr-defined]
            pick = rng.uniform(0, total) if total else 0.0
            for r in group:
                pick -= r.weight  # type: ignore[attr-defined]
                if pick <= 0:
                    break
            group.remove(r)
            out.append(r)
    return out


async def locate(
    resolver: dns.asyncresolver.Resolver,
    host: str,
    port: int,
    transport: str,
    rng: random.Random | None = None,
) -> Answer:
    """The ordered addresses of a gateway named `host` (RFC 3263 4.1, 4.2)."""
    rng = rng or random.Random()
    ttl = MAX_TTL
    if port == 5060:
        srv_name = SRV_PREFIX.get(transport, "_sip._udp.") + host
        if transport == "udp":
            naptrs, t = await _query(resolver, host, "NAPTR")
            usable = [
                n
                for n in sorted(naptrs, key=lambda n: (n.order, n.preference))  # type: ignore[attr-defined]
                if n.flags.decode().lower() == "s" and n.service.decode().upper() in NAPTR_SERVICES  # type: ignore[attr-defined]
            ]
            if usable:
                best = usable[0]
                transport = NAPTR_SERVICES[best.service.decode().upper()]  # type: ignore[attr-defined]
                srv_name = best.replacement.to_text().rstrip(".")  # type: ignore[attr-defined]
                ttl = min(ttl, t)
        srvs, t = await _query(resolver, srv_name, "SRV")
        if srvs:
            ttl = min(ttl, t)
            targets: list[Address] = []
            for srv in _by_priority_and_weight(srvs, rng):
                addresses, t = await _addresses(resolver, srv.target.to_text().rstrip("."))  # type: ignore[attr-defined]
                ttl = min(ttl, t)
                targets += [Address(transport, a, int(srv.port)) for a in addresses]  # type: ignore[attr-defined]
            if targets:
                return Answer(tuple(targets), ttl)
    addresses, t = await _addresses(resolver, host)
    return Answer(tuple(Address(transport, a, port) for a in addresses), min(ttl, t))


class GatewayResolver:
    """Resolves what the core's `Locator` wants, one lookup per name at a time; `deliver(work)` runs an
    update against the core (the service's `in_core`)."""

    def __init__(
        self,
        locator: Locator,
        deliver: Callable[[Callable[[float], None]], None],
        resolver: dns.asyncresolver.Resolver,
    ) -> None:
        self.locator = locator
        self.deliver = deliver
        self.resolver = resolver
        self._running: dict[TrunkName, asyncio.Task[None]] = {}

    def poke(self) -> None:
        for name in self.locator.take_wanted():
            if name not in self._running:
                self._running[name] = asyncio.ensure_future(self._resolve(name))

    async def _resolve(self, name: TrunkName) -> None:
        host, port, transport = name
        try:
            answer = await locate(self.resolver, host, port, transport)
        except Exception:
            log.exception("locating %s failed", host)
            answer = Answer((), RETRY_AFTER)
        finally:
            self._running.pop(name, None)
        if answer.targets:
            log.info(
                "gateway %s:%d/%s at %s (for %.0f s)",
                host,
                port,
                transport,
                ", ".join(map(str, answer.targets)),
                answer.ttl,
            )
        else:
            log.warning("gateway %s does not resolve; trying again in %.0f s", host, answer.ttl)

        def found(now: float) -> None:
            self.locator.found(name, answer.targets, now + max(1.0, answer.ttl))

        self.deliver(found)

    async def stop(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
        self._running.clear()


__all__ = ["Answer", "GatewayResolver", "Located", "locate", "make_resolver"]
