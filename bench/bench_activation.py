"""Activation endpoint under an open-loop load of 200 req/s, on SQLite and PostgreSQL.

For each backend a real `softphone-server run --demo --no-media` runs in a subprocess (argon2 and all); an
async httpx client fires `POST /api/v1/me/accounts/{device}/activate` for the three demo agents at a fixed
rate for a bounded time.  Latency is measured from each request's *scheduled* send time, so a server that
falls behind is charged for the queueing it causes (no coordinated omission).  The peer measured in the same
run is `GET /api/v1/health` at the same rate: the HTTP stack's own floor, to read activation against.

Run: ``.venv/bin/python bench/bench_activation.py [--rate 200] [--seconds 10] [--backends sqlite,postgres]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from server.cli import demo_command
from softphone.testing import free_port, wait_http_ok

ROOT = Path(__file__).resolve().parents[1]
AGENTS = (("84901000101", "agent101"), ("84901000102", "agent102"), ("84901000103", "agent103"))


def as_postgres(args: list[str]) -> None:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, capture_output=True, timeout=60)


class PostgresCluster:
    """A throwaway cluster in a temp dir on a free port (trust auth, loopback only)."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
        if not bins:
            raise RuntimeError("PostgreSQL server binaries not installed")
        self.bin = bins[0]
        self.base = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")

    def __enter__(self) -> str:
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        data = self.base / "data"
        as_postgres([str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", self.user, "-E", "UTF8"])
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c max_connections=100"
        as_postgres(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(self.base / "log"),
                "-w",
                "start",
            ]
        )
        as_postgres(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                "postgres",
                "-qc",
                "CREATE DATABASE bench",
            ]
        )
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/bench"

    def __exit__(self, *exc: object) -> None:
        as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.base / "data"), "-m", "fast", "-w", "stop"])
        shutil.rmtree(self.base, ignore_errors=True)


class DemoServer:
    def __init__(self, database_url: str | None) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="bench-activation-"))
        self.http_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOFTPHONE_SERVER_")}
        if database_url:
            env["SOFTPHONE_SERVER_DATABASE_URL"] = database_url
        self.process = subprocess.Popen(
            demo_command(self.data_dir, http_port=self.http_port, sip_port=free_port(), media=False),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{self.http_port}/api/v1"

    def wait_ready(self, timeout: float = 60) -> None:
        wait_http_ok(f"{self.base}/health", process=self.process, timeout=timeout)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@dataclass
class Result:
    label: str
    sent: int
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def open_loop(
    base: str,
    label: str,
    requests: list[tuple[str, str, dict[str, str]]],
    rate: float,
    seconds: float,
    workers: int = 32,
) -> Result:
    """A pacer enqueues request i at `start + i/rate`; `workers` keep-alive connections drain the queue.

    One client per worker keeps httpx's pool trivial (a single shared pool with hundreds of in-flight
    requests costs the client more CPU than the server spends)."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
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
        for _ in range(workers):
            queue.put_nowait(None)

    async def worker() -> None:
        nonlocal errors
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
            while (item := await queue.get()) is not None:
                i, scheduled = item
                method, url, headers = requests[i % len(requests)]
                try:
                    r = await client.request(method, url, headers=headers)
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((loop.time() - scheduled) * 1000)
                else:
                    errors += 1

    await asyncio.gather(pacer(), *(worker() for _ in range(workers)))
    return Result(label, total, len(latencies), errors, loop.time() - start, latencies)


async def closed_loop(
    base: str, label: str, requests: list[tuple[str, str, dict[str, str]]], seconds: float, workers: int = 8
) -> Result:
    """Capacity: `workers` connections send back-to-back for `seconds`; what the server sustains."""
    latencies: list[float] = []
    errors = 0
    loop = asyncio.get_running_loop()
    start = loop.time()
    stop = start + seconds

    async def worker(offset: int) -> None:
        nonlocal errors
        i = offset
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            while loop.time() < stop:
                method, url, headers = requests[i % len(requests)]
                i += 1
                sent = loop.time()
                try:
                    ok = (await client.request(method, url, headers=headers)).status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((loop.time() - sent) * 1000)
                else:
                    errors += 1

    await asyncio.gather(*(worker(n) for n in range(workers)))
    return Result(label, len(latencies) + errors, len(latencies), errors, loop.time() - start, latencies)


async def bench_backend(name: str, database_url: str | None, rate: float, seconds: float) -> list[Result]:
    server = DemoServer(database_url)
    try:
        await asyncio.to_thread(server.wait_ready)
        async with httpx.AsyncClient(base_url=server.base, timeout=10) as client:
            activations = []
            for phone, password in AGENTS:
                r = await client.post("/auth/login", json={"login": phone, "password": password})
                r.raise_for_status()
                headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
                device = (await client.get("/me/accounts", headers=headers)).json()[0]["device_id"]
                activations.append(("POST", f"/me/accounts/{device}/activate", headers))
            health = [("GET", "/health", {})]
        await open_loop(server.base, "warm-up", activations, rate, 1.0)
        peer = await open_loop(server.base, f"{name}: GET /health (peer)", health, rate, seconds)
        act = await open_loop(server.base, f"{name}: POST activate", activations, rate, seconds)
        capacity = await closed_loop(
            server.base, f"{name}: activate, capacity", activations, min(seconds, 5.0)
        )
        return [peer, act, capacity]
    finally:
        server.stop()


def print_table(results: list[Result], rate: float) -> None:
    header = (
        f"{'run':<32} {'sent':>6} {'ok':>6} {'err':>4} {'req/s':>7} "
        f"{'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    print(f"\nopen loop at {rate:.0f} req/s (capacity rows: closed loop); latency from scheduled send time")
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.label:<32} {r.sent:>6} {r.ok:>6} {r.errors:>4} {r.ok / r.seconds:>7.1f} {r.pct(50):>8.2f} "
            f"{r.pct(90):>8.2f} {r.pct(99):>8.2f} {max(r.latencies_ms, default=float('nan')):>8.2f}"
        )
    for i in range(0, len(results) - 2, 3):
        peer, act, capacity = results[i], results[i + 1], results[i + 2]
        print(f"{act.label}: p99 = {act.pct(99) / peer.pct(99):.1f}x the /health peer p99")
        print(f"{capacity.label}: {capacity.ok / capacity.seconds:.0f} req/s back-to-back on 8 connections")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    results: list[Result] = []
    load_before = os.getloadavg()
    for backend in args.backends.split(","):
        if backend == "sqlite":
            results += asyncio.run(bench_backend("sqlite", None, args.rate, args.seconds))
        elif backend == "postgres":
            try:
                cluster = PostgresCluster()
            except RuntimeError as exc:
                print(f"postgres skipped: {exc}")
                continue
            with cluster as url:
                results += asyncio.run(bench_backend("postgres", url, args.rate, args.seconds))
    print(f"load average before/after: {load_before} / {os.getloadavg()} on {os.cpu_count()} CPUs")
    print_table(results, args.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
