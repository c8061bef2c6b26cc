"""What the server benchmarks share: the product started as admins start it (`softphone-server` with a config
file, a company made with `create-company`, agents made through the admin API), a throwaway PostgreSQL
cluster with its default durability, and CPU accounting from /proc."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-m", "server.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        udp = int(s.getsockname()[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        try:
            t.bind(("127.0.0.1", udp))
        except OSError:
            return free_port()
    return udp


def process_cpu(pid: int, *, group: bool = False) -> float:
    """CPU seconds (user + system) of process `pid` and its threads, or of its whole process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        this, pgrp = int(stat.parent.name), int(fields[2])
        if this == pid or (group and pgrp == pid):
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def _as_postgres(args: list[str]) -> None:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    subprocess.run(args, check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def postgres_cluster(database: str = "bench") -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port with the distribution's defaults (fsync and
    synchronous commit on, as an installation runs it); yields the database URL."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if not bins:
        raise RuntimeError("PostgreSQL server binaries not installed")
    bindir = bins[0]
    base = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data = base / "data"
    port = free_port()
    _as_postgres([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8"])
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c max_connections=100"
    _as_postgres(
        [str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"]
    )
    try:
        _as_postgres(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                user,
                "-d",
                "postgres",
                "-qc",
                f"CREATE DATABASE {database}",
            ]
        )
        yield f"postgresql+asyncpg://{user}@127.0.0.1:{port}/{database}"
    finally:
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


class ProductServer:
    """`softphone-server run --config <file>` as an admin runs it, one company made by `create-company`."""

    ADMIN_PHONE = "0901999000"
    ADMIN_PASSWORD = "bench-admin-1234"

    def __init__(
        self,
        *,
        domain: str,
        database_url: str | None = None,
        media: bool = False,
        settings: dict[str, object] | None = None,
    ) -> None:
        self.domain = domain
        self.data_dir = Path(tempfile.mkdtemp(prefix="bench-server-"))
        self.http_port, self.sip_port = free_port(), free_port()
        lines = [
            f'data_dir = "{self.data_dir}"',
            f"http_port = {self.http_port}",
            f"sip_port = {self.sip_port}",
            f"media_enabled = {'true' if media else 'false'}",
        ]
        if database_url:
            lines.append(f'database_url = "{database_url}"')
        for key, value in (settings or {}).items():
            lines.append(f"{key} = {_toml(value)}")
        self.config = self.data_dir / "server.toml"
        self.config.write_text("\n".join(lines) + "\n")
        self.log = self.data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._admin: dict[str, str] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/api/v1"

    def _env(self) -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if not k.startswith("SOFTPHONE_SERVER_")}

    def create_company(self, name: str = "Bench") -> None:
        subprocess.run(
            [
                *SERVER,
                "create-company",
                "--config",
                str(self.config),
                "--name",
                name,
                "--domain",
                self.domain,
                "--admin-phone",
                self.ADMIN_PHONE,
                "--admin-password",
                self.ADMIN_PASSWORD,
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
            env=self._env(),
            timeout=120,
        )

    def start(self, timeout: float = 60.0) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*SERVER, "run", "--config", str(self.config)],
                cwd=ROOT,
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (
                    httpx.get(f"{self.api}/health", timeout=2).status_code == 200
                    and b"SIP service on" in self.log.read_bytes()
                ):
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)

    def admin_headers(self) -> dict[str, str]:
        if self._admin is None:
            r = httpx.post(
                f"{self.api}/auth/login",
                json={"login": self.ADMIN_PHONE, "password": self.ADMIN_PASSWORD},
                timeout=30,
            )
            r.raise_for_status()
            self._admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self._admin

    def bulk_create(self, rows: list[dict[str, object]]) -> float:
        """Create users through the admin API; returns the seconds it took."""
        start = time.monotonic()
        r = httpx.post(
            f"{self.api}/admin/users/bulk", json={"rows": rows}, headers=self.admin_headers(), timeout=600
        )
        if r.status_code != 201:
            raise RuntimeError(f"bulk creation failed: {r.status_code} {r.text[:2000]}")
        return time.monotonic() - start

    def cpu(self) -> float:
        assert self.process is not None
        return process_cpu(self.process.pid)

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
