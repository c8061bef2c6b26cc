"""`softphone-server`: run the server (optionally with the demo company), create companies, reset passwords,
migrate the database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import getpass
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from server.settings import InsecureSettingsError, ServerSettings, default_data_dir, load_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from server.domain.context import DomainContext

log = logging.getLogger("softphone.server")


def _settings(args: argparse.Namespace, **extra: object) -> ServerSettings:
    overrides: dict[str, object] = {"data_dir": args.data_dir}
    overrides.update(extra)
    return load_settings(args.config, **overrides)


class PortUnavailableError(Exception):
    """A port `run` must listen on is taken (or not ours to take); says which knob changes it."""

    def __init__(self, what: str, host: str, port: int, transport: str, flag: str | None, key: str) -> None:
        self.what, self.host, self.port = what, host, port
        self.transport, self.flag, self.key = transport, flag, key
        super().__init__(self.one_line())

    def one_line(self) -> str:
        knob = f"{self.flag} or the {self.key!r} config key" if self.flag else f"the {self.key!r} config key"
        env = f"SOFTPHONE_SERVER_{self.key.upper()}"
        return (
            f"{self.what} port {self.port}/{self.transport} on {self.host} is already in use; "
            f"stop the other program or choose another port with {knob} ({env})"
        )


def _listening_ports(settings: ServerSettings) -> list[tuple[str, str, int, int, str | None, str]]:
    """(what, host, port, socket type, flag, config key) of every socket `run` binds from the settings."""
    udp, tcp = socket.SOCK_DGRAM, socket.SOCK_STREAM
    ports = [
        ("HTTP", settings.http_host, settings.http_port, tcp, "--http-port", "http_port"),
        ("SIP", settings.sip_host, settings.sip_port, udp, "--sip-port", "sip_port"),
        ("SIP", settings.sip_host, settings.sip_port, tcp, "--sip-port", "sip_port"),
    ]
    if settings.sip_tls_port:
        ports.append(("SIP TLS", settings.sip_host, settings.sip_tls_port, tcp, None, "sip_tls_port"))
    if settings.https_port:
        ports.append(("HTTPS", settings.http_host, settings.https_port, tcp, "--https-port", "https_port"))
    return ports


def check_ports_free(settings: ServerSettings) -> None:
    """Bind and release each listening port first, so a taken port is one clear line, not a traceback
    from deep inside uvicorn or asyncio (the window until the real bind is short and harmless)."""
    for what, host, port, kind, flag, key in _listening_ports(settings):
        if port == 0:
            continue
        transport = "udp" if kind == socket.SOCK_DGRAM else "tcp"
        family, _, _, _, address = socket.getaddrinfo(host, port, type=kind)[0]
        with socket.socket(family, kind) as probe:
            if kind == socket.SOCK_STREAM:  # as the servers do: a TIME_WAIT leftover is not "in use"
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    raise PortUnavailableError(what, host, port, transport, flag, key) from exc
                raise


def _migrate(settings: ServerSettings) -> None:
    from server.migrations import upgrade

    upgrade(settings.effective_database_url)


def demo_command(data_dir: Path, *, http_port: int, sip_port: int, media: bool = True) -> list[str]:
    """The argv of a loopback demo server (`run --demo`), as tests and benchmarks start it."""
    argv = [sys.executable, "-m", "server.cli", "run", "--demo", "--data-dir", str(data_dir)]
    argv += ["--http-port", str(http_port), "--sip-port", str(sip_port)]
    return argv if media else [*argv, "--no-media"]


def _in_session(
    settings: ServerSettings, work: Callable[[AsyncSession, DomainContext], Awaitable[None]]
) -> None:
    """Run ``work`` in one session on the configured database, then dispose of the engine."""
    from server.domain.context import context_from_settings
    from server.domain.db import create_engine, create_sessionmaker

    async def run() -> None:
        engine = create_engine(settings.effective_database_url)
        try:
            async with create_sessionmaker(engine)() as session:
                await work(session, context_from_settings(settings))
        finally:
            await engine.dispose()

    asyncio.run(run())


def cmd_run(args: argparse.Namespace) -> int:
    from server.runtime import serve

    overrides: dict[str, object] = {
        "http_port": args.http_port,
        "sip_port": args.sip_port,
        "https_port": args.https_port,
    }
    if args.demo:
        overrides["demo"] = True
        if args.data_dir is None:  # keep demo data away from a real installation's database
            overrides["data_dir"] = default_data_dir() / "demo"
    if args.no_media:
        overrides["media_enabled"] = False
    settings = _settings(args, **overrides)
    if settings.demo and (settings.http_host, settings.sip_host) != ("127.0.0.1", "127.0.0.1"):
        log.warning("demo mode binds loopback only; ignoring configured hosts")
        settings = settings.model_copy(update={"http_host": "127.0.0.1", "sip_host": "127.0.0.1"})
    check_ports_free(settings)
    _migrate(settings)
    from server.sip.aio.service import event_loop_factory

    loop_factory = event_loop_factory(prefer_uvloop=os.environ.get("SOFTPHONE_SERVER_UVLOOP", "1") != "0")
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve(settings))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _migrate(settings)
    print(f"database at head: {settings.effective_database_url.split('@')[-1]}")
    return 0


def _password(given: str | None, prompt: str) -> str:
    if given:
        return given
    return getpass.getpass(prompt)


def cmd_create_company(args: argparse.Namespace) -> int:
    from server.domain.companies import create_company

    settings = _settings(args)
    _migrate(settings)
    password = _password(args.admin_password, "Admin password: ")

    async def work(session: AsyncSession, ctx: DomainContext) -> None:
        company, admin = await create_company(
            session,
            ctx=ctx,
            name=args.name,
            sip_domain=args.domain,
            admin_full_name=args.admin_name,
            admin_phone=args.admin_phone,
            admin_password=password,
            admin_email=args.admin_email,
        )
        print(
            f"created company {company.name!r} (id {company.id}, SIP domain {company.sip_domain}, "
            f"invite code {company.invite_code}); admin login {admin.phone}"
        )

    _in_session(settings, work)
    return 0


def cmd_reset_admin_password(args: argparse.Namespace) -> int:
    from server.domain.companies import reset_admin_password

    settings = _settings(args)
    _migrate(settings)
    password = _password(args.password, "New password: ")

    async def work(session: AsyncSession, ctx: DomainContext) -> None:
        user = await reset_admin_password(session, ctx=ctx, login=args.login, password=password)
        print(f"password reset and account unlocked for admin {user.phone}")

    _in_session(settings, work)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="softphone-server", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="TOML config file (see server/config.example.toml)")
    common.add_argument("--data-dir", type=Path, help="where the SQLite database and generated secrets live")
    common.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="serve HTTP API + SIP on one event loop")
    run.add_argument(
        "--demo", action="store_true", help="seed the demo company, print its credentials, loopback only"
    )
    run.add_argument("--http-port", type=int)
    run.add_argument("--sip-port", type=int)
    run.add_argument("--https-port", type=int, help="also serve HTTPS (desk phones outside the LAN need it)")
    run.add_argument(
        "--no-media", action="store_true", help="no media engine (rtpengine): feature numbers get 503"
    )
    run.set_defaults(func=cmd_run)

    create = sub.add_parser("create-company", parents=[common], help="create a company and its first admin")
    create.add_argument("--name", required=True)
    create.add_argument("--domain", required=True, help="SIP domain, e.g. acme.example")
    create.add_argument("--admin-phone", required=True)
    create.add_argument("--admin-password", help="prompted when omitted")
    create.add_argument("--admin-name", default="Administrator")
    create.add_argument("--admin-email")
    create.set_defaults(func=cmd_create_company)

    reset = sub.add_parser("reset-admin-password", parents=[common], help="set a new password for an admin")
    reset.add_argument("--login", required=True, help="the admin's phone or e-mail")
    reset.add_argument("--password", help="prompted when omitted")
    reset.set_defaults(func=cmd_reset_admin_password)

    migrate = sub.add_parser("migrate", parents=[common], help="upgrade the database schema to the latest")
    migrate.set_defaults(func=cmd_migrate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from server.domain.errors import DomainError

    try:
        return int(args.func(args))
    except (InsecureSettingsError, ValidationError, FileNotFoundError) as exc:
        print(f"softphone-server: configuration error: {exc}", file=sys.stderr)
        return 2
    except PortUnavailableError as exc:
        print(f"softphone-server: {exc.one_line()}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        # Lost the race after the check: still one line, naming the knobs.
        print(
            f"softphone-server: address already in use ({exc.strerror}); choose other ports with "
            "--http-port / --sip-port or the http_port / sip_port / sip_tls_port config keys",
            file=sys.stderr,
        )
        return 2
    except DomainError as exc:
        detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        print(f"softphone-server: {exc.message}{' (' + detail + ')' if detail else ''}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
