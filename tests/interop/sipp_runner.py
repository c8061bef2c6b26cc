"""Runs Debian's sipp against a PBX on loopback (shared by the interop tests and bench/)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).parent / "sipp"
SIPP = shutil.which("sipp")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SippResult:
    returncode: int
    output: str
    errors: str


def users_file(rows: list[list[str]], directory: Path) -> Path:
    path = directory / f"users-{os.getpid()}-{id(rows)}.csv"
    path.write_text("SEQUENTIAL\n" + "\n".join(";".join(r) for r in rows) + "\n")
    return path


def auth_field(user: str, password: str) -> str:
    return f"[authentication username={user} password={password}]"


async def run_sipp(
    target: tuple[str, int],
    scenario: str,
    *,
    local_port: int,
    rows: list[list[str]] | None = None,
    calls: int = 1,
    rate: float | None = None,
    limit: int | None = None,
    timeout: float = 20.0,
    extra: list[str] | None = None,
) -> SippResult:
    """Run one sipp scenario to completion (killed after `timeout`); returns its exit code and logs."""
    assert SIPP is not None, "sipp is not installed"
    with tempfile.TemporaryDirectory(prefix="sipp-") as tmp:
        work = Path(tmp)
        args = [
            SIPP,
            f"{target[0]}:{target[1]}",
            "-sf",
            str(SCENARIOS / scenario),
            "-m",
            str(calls),
            "-i",
            "127.0.0.1",
            "-p",
            str(local_port),
            "-nostdin",
            "-timeout",
            f"{timeout:.0f}",
            "-timeout_error",
            "-trace_err",
            "-error_file",
            str(work / "err.log"),
            "-cid_str",
            f"%u-%p-{os.urandom(4).hex()}@%s",
            "-max_recv_loops",
            "10000",
        ]
        if rows:
            args += ["-inf", str(users_file(rows, work))]
        if rate is not None:
            args += ["-r", f"{rate:g}"]
        if limit is not None:
            args += ["-l", str(limit)]
        args += extra or []
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout + 10)
        except TimeoutError:
            proc.kill()
            out, _ = await proc.communicate()
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        err = (work / "err.log").read_text(errors="replace") if (work / "err.log").exists() else ""
        return SippResult(
            proc.returncode if proc.returncode is not None else -9, out.decode(errors="replace"), err
        )
