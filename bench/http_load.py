"""A lean HTTP/1.1 load generator on asyncio streams, for benchmarks that must not measure their own client.

httpx costs about as much CPU per request as our whole activation endpoint; on a 2-core machine that client
steals the server's core and its event-loop lag shows up as server latency (a /health p99 of ~500 ms).  This
client speaks only what the benchmarks need: keep-alive connections, requests without a body, responses with
Content-Length (what uvicorn sends for JSON).  It costs ~0.2 ms of CPU per request.

Open loop: a pacer releases request i at ``start + i/rate``; latency is measured from that scheduled time, so
a server that falls behind is charged for the queue it builds (no coordinated omission).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", "Content-Length: 0"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Result:
    label: str
    sent: int = 0
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


class Connection:
    """One keep-alive connection; reconnects after an error."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, wire: bytes, timeout: float = 10.0) -> int:
        """Send one request, return the response's status code (0 after a transport failure)."""
        try:
            return await asyncio.wait_for(self._exchange(wire), timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            return 0

    async def _exchange(self, wire: bytes) -> int:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(wire)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
                await self._reader.readexactly(length)
                self.close()
                return status
        await self._reader.readexactly(length)
        return status

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def open_loop(
    host: str,
    port: int,
    label: str,
    requests: Sequence[Request],
    rate: float,
    seconds: float,
    connections: int = 16,
    ok_status: int = 200,
) -> Result:
    """`rate` req/s for `seconds`, request i being ``requests[i % len(requests)]``."""
    total = int(rate * seconds)
    wires = [r.encode(host) for r in requests]
    result = Result(label, sent=total)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    start = loop.time() + 0.05

    async def pacer() -> None:
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, scheduled))
        for _ in range(connections):
            queue.put_nowait(None)

    async def worker() -> None:
        conn = Connection(host, port)
        try:
            while (item := await queue.get()) is not None:
                i, scheduled = item
                if await conn.send(wires[i % len(wires)]) == ok_status:
                    result.latencies_ms.append((loop.time() - scheduled) * 1000)
                else:
                    result.errors += 1
        finally:
            conn.close()

    await asyncio.gather(pacer(), *(worker() for _ in range(connections)))
    result.ok = len(result.latencies_ms)
    result.seconds = loop.time() - start
    return result


async def closed_loop(
    host: str,
    port: int,
    label: str,
    requests: Sequence[Request],
    seconds: float,
    connections: int = 8,
    ok_status: int = 200,
) -> Result:
    """Capacity: `connections` send back-to-back for `seconds`; latency from each request's own send."""
    wires = [r.encode(host) for r in requests]
    result = Result(label)
    loop = asyncio.get_running_loop()
    start = loop.time()
    stop = start + seconds

    async def worker(offset: int) -> None:
        conn = Connection(host, port)
        i = offset
        try:
            while loop.time() < stop:
                sent = loop.time()
                status = await conn.send(wires[i % len(wires)])
                i += connections
                if status == ok_status:
                    result.latencies_ms.append((loop.time() - sent) * 1000)
                else:
                    result.errors += 1
        finally:
            conn.close()

    await asyncio.gather(*(worker(n) for n in range(connections)))
    result.ok = len(result.latencies_ms)
    result.sent = result.ok + result.errors
    result.seconds = loop.time() - start
    return result
