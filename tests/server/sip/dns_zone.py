"""A DNS server on loopback that answers from a zone given as text (dnslib), for the RFC 3263 tests."""

from __future__ import annotations

import copy

from dnslib import QTYPE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from softphone.testing import free_port


class _ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone: str) -> None:
        self.records = RR.fromZone(zone)
        self.queries: list[tuple[str, str]] = []

    def resolve(self, request: DNSRecord, handler: object) -> DNSRecord:
        reply = request.reply()
        qname, qtype = request.q.qname, QTYPE[request.q.qtype]
        self.queries.append((str(qname).rstrip("."), qtype))
        for rr in self.records:
            if rr.rname == qname and QTYPE[rr.rtype] == qtype:
                reply.add_answer(copy.copy(rr))
        if not reply.rr and not any(rr.rname == qname for rr in self.records):
            reply.header.rcode = 3  # NXDOMAIN
        return reply


class ZoneServer:
    """`with ZoneServer(zone) as dns:` -> `dns.address` ("127.0.0.1:port"), `dns.queries`."""

    def __init__(self, zone: str) -> None:
        self.resolver = _ZoneResolver(zone)
        self.port = free_port()
        self.server = DNSServer(
            self.resolver, port=self.port, address="127.0.0.1", logger=DNSLogger("-request,-reply,-truncated")
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def queries(self) -> list[tuple[str, str]]:
        return self.resolver.queries

    def __enter__(self) -> ZoneServer:
        self.server.start_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
