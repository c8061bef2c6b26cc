from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.media.engine import RtpEngine
from server.media.feature_calls import FeatureCalls
from server.media.prompts import ensure_prompts

CALLER = Path(__file__).with_name("sip_caller.py")


@dataclass
class CallerRun:
    """A running sip_caller.py subprocess."""

    proc: asyncio.subprocess.Process

    async def connected(self, timeout: float = 15.0) -> bool:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        return line.strip() == b"CONNECTED"

    async def result(self, timeout: float = 30.0) -> dict[str, object]:
        assert self.proc.stdout is not None
        out, _ = await asyncio.wait_for(self.proc.communicate(), timeout)
        lines = [line for line in out.decode().splitlines() if line.startswith("{")]
        assert lines, f"caller printed no result (exit {self.proc.returncode})"
        return json.loads(lines[-1])

    async def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


class Callers:
    def __init__(self) -> None:
        self.runs: list[CallerRun] = []

    async def start(
        self,
        target: str,
        *,
        tone: int = 700,
        record: Path | None = None,
        seconds: float = 2.5,
        srtp: str = "off",
        hold_after: float | None = None,
        proxy: str | None = None,
        username: str | None = None,
        password: str = "",
        domain: str = "127.0.0.1",
        codec: str = "PCMU/8000",
    ) -> CallerRun:
        cmd = [sys.executable, str(CALLER), "--target", target, "--tone", str(tone)]
        cmd += ["--seconds", str(seconds), "--srtp", srtp, "--codec", codec]
        if record is not None:
            cmd += ["--record", str(record)]
        if hold_after is not None:
            cmd += ["--hold-after", str(hold_after)]
        if proxy is not None:
            cmd += ["--proxy", proxy]
        if username is not None:
            cmd += ["--username", username, "--password", password, "--domain", domain]
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        run = CallerRun(proc)
        self.runs.append(run)
        return run

    async def call(self, target: str, **kwargs: object) -> dict[str, object]:
        run = await self.start(target, **kwargs)  # type: ignore[arg-type]
        return await run.result()


@pytest.fixture
async def callers() -> AsyncIterator[Callers]:
    pool = Callers()
    try:
        yield pool
    finally:
        for run in pool.runs:
            await run.kill()


@pytest.fixture
async def uas(tmp_path: Path) -> AsyncIterator[tuple[FeatureCalls, str]]:
    """The engine's feature-call UAS on a real rtpengine, dialled directly: (calls, "host:port")."""
    if not os.path.exists("/usr/bin/rtpengine"):
        pytest.skip("rtpengine-daemon missing")
    engine = RtpEngine(port_min=46000, port_max=46999)
    await engine.start()
    calls = FeatureCalls(engine, ensure_prompts(tmp_path / "prompts"))
    host, port = await calls.start()
    try:
        yield calls, f"{host}:{port}"
    finally:
        await calls.stop()
        await engine.stop()
