"""Activation endpoint under an open-loop load of 200 req/s, on SQLite and PostgreSQL.

For each backend a real `softphone-server run --demo --no-media` runs in a subprocess (argon2 and all).  The
bench first creates `--agents` agents through the admin API, each with `--devices-per-agent` desktop devices,
then fires `POST /api/v1/me/accounts/{device}/activate` at a fixed rate:

- **first activation**: every device once (a database write and the activation e-mail each);
- **re-activation**: the same devices again for `--seconds` (an app restart; no write within a minute).

The load comes from `http_load.py` (raw HTTP/1.1 on keep-alive connections, ~0.2 ms CPU per request; httpx
spent as much CPU as the server and measured itself).  Latency is measured from each request's *scheduled*
send time, so a server that falls behind is charged for the queueing it causes (no coordinated omission).
The peer measured in the same run is `GET /api/v1/health` at the same rate: the HTTP stack's own floor.

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
from pathlib import Path

import httpx
from benchlib import postgres_cluster  # bench/benchlib.py, next to this script
from http_load import Request, Result, closed_loop, open_loop  # bench/http_load.py, next to this script

from server.cli import demo_command
from softphone.testing import free_port, wait_http_ok

ROOT = Path(__file__).resolve().parents[1]
ADMIN = ("84901000100", "admin1234")


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


async def seed_devices(base: str, agents: int, devices_per_agent: int) -> list[Request]:
    """`agents` new agents (through the admin API, as an admin would), each with `devices_per_agent` desktop
    devices; returns one activation request per device, with its owner's bearer token."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        r = await client.post("/auth/login", json={"login": ADMIN[0], "password": ADMIN[1]})
        r.raise_for_status()
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        sem = asyncio.Semaphore(4)

        async def one_agent(n: int) -> list[Request]:
            async with sem:
                phone, password = f"8490300{n:04d}", f"bench-agent-{n}"
                r = await client.post(
                    "/admin/users",
                    headers=admin,
                    json={
                        "full_name": f"Bench {n}",
                        "phone": phone,
                        "password": password,
                        "extensions": [str(5000 + n)],
                    },
                )
                r.raise_for_status()
                user_id = r.json()["id"]
                for d in range(devices_per_agent - 1):
                    r = await client.post(
                        f"/admin/users/{user_id}/devices",
                        headers=admin,
                        json={"kind": "desktop", "label": f"pc{d}"},
                    )
                    r.raise_for_status()
                r = await client.post("/auth/login", json={"login": phone, "password": password})
                r.raise_for_status()
                auth = (("Authorization", f"Bearer {r.json()['access_token']}"),)
                accounts = (await client.get("/me/accounts", headers=dict(auth))).json()
                return [
                    Request("POST", f"/api/v1/me/accounts/{a['device_id']}/activate", auth) for a in accounts
                ]

        per_agent = await asyncio.gather(*(one_agent(n) for n in range(agents)))
    # Interleave agents, so consecutive requests belong to different users.
    return [reqs[i] for i in range(devices_per_agent) for reqs in per_agent if i < len(reqs)]


async def bench_backend(
    name: str, database_url: str | None, rate: float, seconds: float, agents: int, devices_per_agent: int
) -> list[Result]:
    server = DemoServer(database_url)
    try:
        await asyncio.to_thread(server.wait_ready)
        activations = await seed_devices(server.base, agents, devices_per_agent)
        host, port = "127.0.0.1", server.http_port
        health = [Request("GET", "/api/v1/health")]
        await open_loop(host, port, "warm-up", health, rate, 1.0)
        peer = await open_loop(host, port, f"{name}: GET /health (peer)", health, rate, seconds)
        first = await open_loop(
            host, port, f"{name}: first activation", activations, rate, len(activations) / rate
        )
        again = await open_loop(host, port, f"{name}: re-activation", activations, rate, seconds)
        capacity = await closed_loop(
            host, port, f"{name}: re-activation capacity", activations, min(seconds, 5.0)
        )
        return [peer, first, again, capacity]
    finally:
        server.stop()


def print_table(results: list[Result], rate: float, devices: int) -> None:
    header = (
        f"{'run':<36} {'sent':>6} {'ok':>6} {'err':>4} {'req/s':>7} "
        f"{'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    print(
        f"\nopen loop at {rate:.0f} req/s over {devices} devices (capacity rows: closed loop, "
        "8 connections); latency from scheduled send time"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.label:<36} {r.sent:>6} {r.ok:>6} {r.errors:>4} {r.rate:>7.1f} {r.pct(50):>8.2f} "
            f"{r.pct(90):>8.2f} {r.pct(99):>8.2f} {max(r.latencies_ms, default=float('nan')):>8.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--devices-per-agent", type=int, default=10)
    args = parser.parse_args()
    scale = (args.agents, args.devices_per_agent)
    results: list[Result] = []
    load_before = os.getloadavg()
    for backend in args.backends.split(","):
        if backend == "sqlite":
            results += asyncio.run(bench_backend("sqlite", None, args.rate, args.seconds, *scale))
        elif backend == "postgres":
            try:
                with postgres_cluster() as url:
                    results += asyncio.run(bench_backend("postgres", url, args.rate, args.seconds, *scale))
            except RuntimeError as exc:
                print(f"postgres skipped: {exc}")
    print(f"load average before/after: {load_before} / {os.getloadavg()} on {os.cpu_count()} CPUs")
    print_table(results, args.rate, args.agents * args.devices_per_agent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
