"""One event loop for the whole server: the HTTP API (uvicorn), the SIP service and the media plane.

The SIP and media parts are imported lazily: a checkout where they do not exist yet still serves the API, and
says so in the log.  Shutdown runs in reverse order (HTTP, SIP, media, database).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.api.app import create_app
from server.callcenter.metrics import engine_board
from server.domain.clock import to_posix
from server.domain.context import DomainContext, context_from_settings
from server.domain.db import create_engine, create_sessionmaker
from server.domain.demo import format_credentials, seed_demo
from server.domain.models import Company
from server.domain.pbx_journal import SqlJournal, load_state
from server.domain.pbx_snapshot import SnapshotRefresher
from server.domain.queue_log import QueueLogWriter
from server.domain.queue_rollups import RollupFolder
from server.domain.recording_retention import RetentionJob
from server.settings import ServerSettings
from server.web.app import LiveQueues

log = logging.getLogger("softphone.server")


@dataclass
class RunningServer:
    """What `serve()` started; `stop_callbacks` run in reverse order."""

    http_url: str
    sip_ports: dict[str, int] = field(default_factory=dict)
    feature_addresses: dict[str, tuple[str, int]] = field(default_factory=dict)
    queue_log: QueueLogWriter | None = None  # the call center's QueueLogSink (stops after what feeds it)
    stop_callbacks: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    hang_up: Callable[[str, str], bool] | None = None  # the console's hang-up button (SipService.hang_up)
    trunk_states: Callable[[], dict[tuple[str, int, str], str]] | None = None  # the console's trunk status
    media_hook: Any = None  # CallAnchor when two-party calls may be recorded (media_call_recording)
    recording_rules: Any = None  # server.media.recording_rules.RecordingRules (the hook's decisions)
    call_center: Any = None  # server.callcenter_runtime.CallCenterRuntime, once the media engine runs
    feature_calls: Any = None  # server.media.feature_calls.FeatureCalls (echo, hold music, rooms)

    def live_queues(self) -> LiveQueues | None:
        """The console wallboard's read of the running queue engine (None without a call center)."""
        center = self.call_center
        if center is None:
            return None
        return lambda now: engine_board(center.calls.queues, now=now)


async def _start_media_engine(
    settings: ServerSettings,
    running: RunningServer,
    sessionmaker: async_sessionmaker[AsyncSession],
    ctx: DomainContext,
) -> None:
    """rtpengine and the feature calls it carries (echo *43, hold music *44, digit test *45, the call
    center's hotline calls)."""
    if not settings.media_enabled:
        log.info("media engine disabled by configuration: feature numbers (*43...) get 503")
        return
    from server.domain.calls import link_recording
    from server.media.plane import MediaPlane
    from server.media.recording_rules import RecordingRules

    rules = RecordingRules(settings.media_record_calls) if settings.media_call_recording else None
    plane = MediaPlane(
        interface=settings.media_address or settings.sip_host,
        port_min=settings.media_port_min,
        port_max=settings.media_port_max,
        limit=settings.media_limit,
        prompts_dir=settings.data_dir / "prompts",
        sip_host="127.0.0.1",
        record_dir=settings.data_dir / "recordings" if settings.media_record_rooms else None,
        room_pins=settings.media_room_pins,
        records=rules.records if rules is not None else None,
        recordings_dir=settings.data_dir / "recordings",
    )
    try:
        running.feature_addresses = await plane.start()
    except Exception as exc:  # the engine must not take the PBX and API down
        log.error("media engine failed to start (%s); continuing without it", exc)
        return
    running.stop_callbacks.append(plane.stop)
    running.feature_calls = plane.calls
    if plane.anchor is not None and running.feature_addresses:
        running.media_hook = plane.anchor
        running.recording_rules = rules
        links: set[asyncio.Task[bool]] = set()

        def link(call_id: str, path: Any) -> None:
            task = asyncio.ensure_future(link_recording(sessionmaker, call_id=call_id, file_name=path.name))
            links.add(task)
            task.add_done_callback(links.discard)

        plane.anchor.recorders.on_started = link
        log.info(
            "two-party call recording: company policies and user overrides (server default: %s)",
            settings.media_record_calls or "none",
        )
    if running.feature_addresses:
        from server.callcenter.log_sink import FanOutQueueLog, LoggingQueueSink
        from server.callcenter_runtime import CallCenterRuntime

        center = CallCenterRuntime(
            plane.engine,
            sessionmaker,
            prompts=dict(plane.calls.prompts),
            prompts_dir=settings.data_dir / "prompts",
            voicemail_dir=settings.data_dir / "voicemail",
            host="127.0.0.1",
            limit=settings.media_limit,
            sink=FanOutQueueLog(running.queue_log, LoggingQueueSink()) if running.queue_log else None,
        )
        addresses = await center.start(ctx)
        running.feature_addresses.update(addresses)
        if plane.anchor is not None:  # hotline calls to the call center are on the engine already
            plane.anchor.exclude.update(addresses.values())
            if rules is not None:  # their conversation with the agent is recorded by the same rules
                center.calls.call_recorders = plane.anchor.recorders
                center.calls.records_answer = rules.records_answer
        running.call_center = center
        running.stop_callbacks.append(center.stop)


async def _start_sip(
    settings: ServerSettings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    ctx: DomainContext,
    running: RunningServer,
) -> None:
    try:
        from server.sip.aio.service import start_sip_service, tune_gc_for_serving
        from server.sip.flood import FloodPolicy
        from server.sip.proxy import ProxySettings
        from server.sip.snapshot import RoutingSnapshot
    except ImportError as exc:
        log.warning("SIP service not available in this build (%s); serving the HTTP API only", exc)
        return
    flood = FloodPolicy(
        rate=settings.sip_flood_rate,
        burst=settings.sip_flood_burst,
        ban_seconds=settings.sip_flood_ban_seconds,
        auth_failures=settings.sip_auth_failures,
        lockout_seconds=settings.sip_auth_lockout_seconds,
        trusted_networks=tuple(settings.sip_trusted_networks),
    )
    log.info("SIP flood policy: %s", flood.describe())
    snapshot = RoutingSnapshot()
    holder: list[Any] = []

    def routing_changed(user_ids: set[int]) -> None:
        if holder:
            holder[0].in_core(lambda now: holder[0].proxy.routing_changed(user_ids, now))

    refresher = SnapshotRefresher(snapshot, sessionmaker, on_applied=routing_changed)
    refresher.attach(ctx.changes)  # before loading: no commit falls between the load and the events
    await refresher.load_all()
    state = await load_state(engine, time.time())
    log.info(
        "PBX state: %d users, %d bindings, %d running calls, %d stored messages",
        len(snapshot),
        len(state.bindings),
        len(state.running_calls),
        len(state.pending_messages),
    )
    service = await start_sip_service(
        directory=snapshot,
        state=state,
        journal_sink=SqlJournal(engine, refresher.rate_table),
        host=settings.sip_host,
        udp_port=settings.sip_port,
        tcp_port=settings.sip_port,
        tls_port=settings.sip_tls_port,
        feature_addresses=running.feature_addresses,
        settings=ProxySettings(route_key=settings.signing_key(), flood=flood),
        dns_servers=settings.dns_servers or None,
    )
    holder.append(service)
    running.hang_up = service.hang_up
    service.runner.media_hook = running.media_hook
    if running.recording_rules is not None:
        running.recording_rules.attach(snapshot, service.proxy.calls.records.get)
    if running.media_hook is not None:
        # anchored calls end if the engine restarts; the call record says why
        running.media_hook.hang_up = lambda call_id, text: service.hang_up(
            call_id, text, cause=text, disposition="media_failure"
        )
    if running.feature_calls is not None:  # calls whose engine or mixer died: the record says why
        running.feature_calls.pbx_hang_up = lambda call_id, text: service.hang_up(
            call_id, text, cause=text, disposition="media_failure"
        )
    running.trunk_states = service.trunk_states
    running.stop_callbacks.append(refresher.stop)
    running.stop_callbacks.append(service.stop)
    tune_gc_for_serving()  # this process is a dedicated server: start-up objects leave the GC's scans
    ports = getattr(service, "ports", None)
    running.sip_ports = dict(ports) if isinstance(ports, dict) else {"udp": settings.sip_port}
    if running.call_center is not None:
        udp = running.sip_ports.get("udp", settings.sip_port)
        running.call_center.attach_pbx(service, settings.sip_host, udp)
    log.info("SIP service on %s %s", settings.sip_host, running.sip_ports)


class _SecondServer(uvicorn.Server):
    """A second listener of the same app: the first server owns the signals and the lifespan."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _https_server(settings: ServerSettings, app: Any) -> uvicorn.Server | None:
    """HTTPS next to HTTP when `https_port` is set: the configured certificate, else a self-signed one kept
    in <data_dir>/tls (desk phones outside `phones_plain_http_networks` may only use this one)."""
    if not settings.https_port:
        return None
    from server.sip.aio.tls import ensure_self_signed

    if settings.https_cert is not None and settings.https_key is not None:
        cert, key = settings.https_cert, settings.https_key
    else:
        cert, key = ensure_self_signed(settings.data_dir / "tls", settings.effective_sip_public_host)
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.https_port,
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
        log_level="info",
        access_log=False,
        lifespan="off",
    )
    return _SecondServer(config)


async def serve(settings: ServerSettings, *, out: Any = sys.stdout) -> None:
    """Run until SIGINT/SIGTERM.  The database must already be migrated."""
    engine = create_engine(settings.effective_database_url)
    ctx = context_from_settings(settings)
    sessionmaker = create_sessionmaker(engine, changes=ctx.changes)
    running = RunningServer(http_url=f"http://{settings.http_host}:{settings.http_port}")
    try:
        async with sessionmaker() as session:
            if settings.demo:
                creds = await seed_demo(session, ctx=ctx)
            elif await session.scalar(select(func.count(Company.id))) == 0:
                log.warning(
                    "no company yet: create one with `softphone-server create-company --name ... "
                    "--domain ... --admin-phone ...` (or try `softphone-server run --demo`)"
                )
        running.queue_log = QueueLogWriter(engine)
        running.queue_log.start()
        running.stop_callbacks.append(running.queue_log.stop)
        folder = RollupFolder(
            sessionmaker, lambda: to_posix(ctx.clock()), unwritten_since=running.queue_log.oldest_unwritten
        )
        folder.start()  # the first pass backfills a log written before the rollups existed
        running.stop_callbacks.append(folder.stop)
        retention = RetentionJob(
            sessionmaker,
            ctx=ctx,
            directory=settings.data_dir / "recordings",
            clock=lambda: to_posix(ctx.clock()),
        )
        retention.start()
        running.stop_callbacks.append(retention.stop)
        await _start_media_engine(settings, running, sessionmaker, ctx)
        await _start_sip(settings, engine, sessionmaker, ctx, running)
        app = create_app(
            settings,
            engine=engine,
            ctx=ctx,
            hang_up=running.hang_up,
            trunk_states=running.trunk_states,
            live_queues=running.live_queues(),
        )
        config = uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_level="info",
            access_log=False,
            lifespan="on",
        )
        server = uvicorn.Server(config)
        https = _https_server(settings, app)
        if settings.demo:
            print(
                format_credentials(
                    creds,
                    http_url=running.http_url,
                    sip_host=settings.effective_sip_public_host,
                    sip_port=settings.sip_port,
                ),
                file=out,
                flush=True,
            )
        if https is None:
            await server.serve()
        else:
            https_task = asyncio.create_task(https.serve())
            try:
                await server.serve()
            finally:
                https.should_exit = True
                await https_task
    finally:
        for stop in reversed(running.stop_callbacks):
            try:
                await asyncio.wait_for(stop(), timeout=10)
            except Exception as exc:
                log.warning("error while stopping: %s", exc)
        await engine.dispose()
