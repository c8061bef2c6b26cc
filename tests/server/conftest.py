"""Fixtures for the server's domain/API tests: a fresh database per test (SQLite file, or PostgreSQL)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from server.api.app import create_app
from server.cli import demo_command
from server.domain.context import DomainContext, context_from_settings
from server.domain.db import create_all, create_engine, create_sessionmaker
from server.domain.notify import ConsoleEmailSender, ConsoleSmsSender
from server.domain.security import Passwords
from server.settings import ServerSettings
from softphone.testing import free_port, wait_http_ok

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


@dataclass
class FakeClock:
    """A settable clock for expiry tests (naive UTC, as the domain stores it)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 22, 8, 0, 0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class PostgresCluster:
    port: int
    superuser: str
    templates: set[str] = field(default_factory=set)

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.superuser}@127.0.0.1:{self.port}/{database}"


def _run_as_postgres(args: list[str], **kw: object) -> subprocess.CompletedProcess[bytes]:
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, timeout=60, **kw)  # type: ignore[call-overload]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster on a free loopback port, owned by the `postgres` OS user."""
    if not PG_BIN_DIRS or not (PG_BIN_DIRS[0] / "initdb").exists():
        pytest.skip("PostgreSQL server binaries are not installed")
    bindir = PG_BIN_DIRS[0]
    # Not under pytest's tmp dir: that is private to root and the cluster runs as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="softphone-pg-"))
    datadir = base / "data"
    superuser = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    _run_as_postgres(
        [str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-U", superuser, "-E", "UTF8"]
    )
    port = free_port()
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c synchronous_commit=off"
    _run_as_postgres(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            opts,
            "-l",
            str(base / "log"),
            "-w",
            "-t",
            "60",
            "start",
        ]
    )
    try:
        yield PostgresCluster(port=port, superuser=superuser)
    finally:
        _run_as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


def _create_database(cluster: PostgresCluster, name: str) -> None:
    _run_as_postgres(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            cluster.superuser,
            "-d",
            "postgres",
            "-q",
            "-c",
            f'CREATE DATABASE "{name}"',
        ],
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database for one test."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"t_{uuid.uuid4().hex[:12]}"
    _create_database(cluster, name)
    return cluster.url(name)


_SQLITE_TEMPLATES: dict[bool, Path] = {}


async def _build(url: str, *, seeded: bool) -> None:
    """Schema (and, if `seeded`, the demo company as the `demo` fixture's clock and hasher would make it)."""
    from server.domain.demo import seed_demo

    engine = create_engine(url)
    try:
        await create_all(engine)
        if seeded:
            settings = ServerSettings(demo=True, http_port=8080, sip_port=5060, sip_tls_port=5061)
            ctx = context_from_settings(settings, clock=FakeClock(), passwords=Passwords.fast())
            async with create_sessionmaker(engine)() as session:
                await seed_demo(session, ctx=ctx)
    finally:
        await engine.dispose()


async def _fresh_database(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    tmp_factory: pytest.TempPathFactory,
    *,
    seeded: bool,
) -> str:
    """A fresh database for one test, copied from a per-session template (schema, or schema + demo)."""
    if backend == "sqlite":
        template = _SQLITE_TEMPLATES.get(seeded)
        if template is None:
            template = tmp_factory.mktemp("sqlite-template") / "template.db"
            await _build(f"sqlite+aiosqlite:///{template}", seeded=seeded)
            _SQLITE_TEMPLATES[seeded] = template
        target = tmp_path / "test.db"
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"
    import asyncpg

    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    template_name = "seeded_template" if seeded else "schema_template"
    admin = await asyncpg.connect(
        host="127.0.0.1", port=cluster.port, user=cluster.superuser, database="postgres"
    )
    try:
        if template_name not in cluster.templates:
            await admin.execute(f'CREATE DATABASE "{template_name}"')
            await _build(cluster.url(template_name), seeded=seeded)
            cluster.templates.add(template_name)
        name = f"t_{uuid.uuid4().hex[:12]}"
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    finally:
        await admin.close()
    return cluster.url(name)


@dataclass
class ApiHarness:
    client: httpx.AsyncClient
    ctx: DomainContext
    clock: FakeClock
    sms: ConsoleSmsSender
    mail: ConsoleEmailSender
    settings: ServerSettings
    sessionmaker: object
    app: object = None  # the FastAPI app, for clients of its own (another address, HTTPS)


@pytest.fixture
async def api(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ApiHarness]:
    """The API app over a fresh database, an in-process httpx client, a fake clock and captured SMS/e-mail.

    Tests that also use `demo` get a database that already holds the demo company."""
    seeded = "demo" in request.fixturenames
    database_url = await _fresh_database(backend, request, tmp_path, tmp_path_factory, seeded=seeded)
    settings = ServerSettings(
        demo=True,
        data_dir=tmp_path,
        database_url=database_url,
        http_port=8080,
        sip_port=5060,
        sip_tls_port=5061,
    )
    engine = create_engine(database_url)
    clock = FakeClock()
    sms, mail = ConsoleSmsSender(), ConsoleEmailSender()
    app = create_app(settings, engine=engine, clock=clock, sms=sms, mail=mail, passwords=Passwords.fast())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as client:
        yield ApiHarness(client, app.state.ctx, clock, sms, mail, settings, app.state.sessionmaker, app)
    await engine.dispose()


@dataclass
class SeededDemo:
    creds: object
    admin_headers: dict[str, str]
    agent_headers: dict[str, dict[str, str]]  # by extension


async def login_headers(client: httpx.AsyncClient, login: str, password: str) -> dict[str, str]:
    r = await client.post("/auth/login", json={"login": login, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
async def demo(api: ApiHarness) -> SeededDemo:
    """The demo company (seeded through the domain layer into the template), bearer headers for its people."""
    from server.domain.demo import seed_demo

    async with api.sessionmaker() as session:  # type: ignore[operator]
        creds = await seed_demo(session, ctx=api.ctx)
    admin = await login_headers(api.client, creds.admin_phone, creds.admin_password)
    agents = {a.extension: await login_headers(api.client, a.phone, a.password) for a in creds.agents}
    return SeededDemo(creds, admin, agents)


@pytest.fixture
def login() -> object:
    """`await login(client, phone_or_email, password)` -> bearer headers."""
    return login_headers


@dataclass
class DemoServer:
    """A real `softphone-server run --demo` in a subprocess on free loopback ports."""

    process: subprocess.Popen[str]
    http_port: int
    sip_port: int
    output: list[str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def text(self) -> str:
        return "".join(self.output)


@contextlib.contextmanager
def run_demo_server(
    data_dir: Path, *, media: bool, extra: Sequence[str] = (), settings_env: Mapping[str, str] | None = None
) -> Iterator[DemoServer]:
    """Start the demo server (`extra` arguments, `settings_env` SOFTPHONE_SERVER_* variables), collect its
    output, and stop it (SIGTERM, then SIGKILL) on exit."""
    http_port, sip_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOFTPHONE_SERVER_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings_env or {})
    process = subprocess.Popen(
        [*demo_command(data_dir, http_port=http_port, sip_port=sip_port, media=media), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield DemoServer(process, http_port, sip_port, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _says(server: DemoServer, text: str, wait: float = 2.0) -> bool:
    """Whether the (exited) server printed `text`; its last lines may still be on their way."""
    deadline = time.monotonic() + wait
    while text not in server.text() and time.monotonic() < deadline:
        time.sleep(0.05)
    return text in server.text()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo server without media, answering HTTP (one per test module).  A free port can be taken by
    another process before the server binds it: then it starts again on new ports."""
    for attempt in range(3):
        with run_demo_server(tmp_path_factory.mktemp("demo-server"), media=False) as server:
            try:
                wait_http_ok(f"{server.base_url}/api/v1/health", process=server.process, timeout=60)
            except (RuntimeError, TimeoutError) as exc:
                if attempt < 2 and _says(server, "already in use"):
                    continue
                raise AssertionError(f"{exc}\n{server.text()}") from exc
            yield server
            return


@pytest.fixture
def start_demo_server(tmp_path: Path) -> Iterator[Callable[..., DemoServer]]:
    """`start_demo_server(media, extra=..., settings_env=...)` -> a demo server for this test, not yet waited
    for; stopped after it."""
    with contextlib.ExitStack() as stack:
        yield lambda media, **more: stack.enter_context(
            run_demo_server(tmp_path / "data", media=media, **more)
        )


async def demo_queue(
    api: ApiHarness, demo: SeededDemo, config: dict[str, object]
) -> tuple[int, dict[str, int]]:
    """A queue "sales" of the demo company with 101 and 102 as members: (queue id, user id by extension)."""
    h = demo.admin_headers
    r = await api.client.post("/admin/queues", json={"name": "sales", "config": config}, headers=h)
    assert r.status_code == 201, r.text
    qid = r.json()["id"]
    users = {
        u["extensions"][0]: u["id"]
        for u in (await api.client.get("/admin/users", headers=h)).json()
        if u["extensions"]
    }
    members = [{"user_id": users["101"]}, {"user_id": users["102"]}]
    r = await api.client.put(f"/admin/queues/{qid}/members", json={"members": members}, headers=h)
    assert r.status_code == 200, r.text
    return qid, users
