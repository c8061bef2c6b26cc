"""REGISTER/s with digest auth and calls/s through our PBX and Kamailio 5.6, measured in the same run.

Both servers get the same sipp scenarios (tests/interop/sipp), the same users and passwords, MD5 digest
with qop=auth (sipp 3.6 answers nothing else), loopback UDP, no flood limits:

* register: REGISTER -> 401 -> REGISTER with credentials -> 200, users taken in turn from a users file;
* call: INVITE -> 407 -> ACK -> INVITE with credentials -> 100/180/200 -> ACK -> 100 ms -> BYE -> 200,
  answered by a sipp UAS registered as the callee.

Our PBX runs in its own process (this file with --serve), with uvloop when installed (--no-uvloop to
compare) and `tune_gc_for_serving()`.  Kamailio runs bench/kamailio/kamailio.cfg (registrar +
record-routing proxy with auth) with `--kamailio-children` UDP workers.  Rates are completed
transactions per wall-clock second with a bounded number of concurrent sipp calls; runs with failures
are reported as such.  "CPU ms" is server CPU per completed transaction (Kamailio: its whole process
group): on a shared machine the wall-clock ratio mostly says how much CPU the other processes left
each server, the CPU ratio does not.

Run:  .venv/bin/python bench/bench_pbx.py [--registers 20000] [--calls 1000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "interop" / "sipp"
KAMAILIO_CFG = ROOT / "bench" / "kamailio" / "kamailio.cfg"
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
DOMAIN = "demo.local"
CALLEE = "2000"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def users(n: int) -> list[str]:
    return [f"{1000 + i}" for i in range(n)]


# ---------------------------------------------------------------------------------------------- our PBX
def serve(port: int, n_users: int, use_uvloop: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    from server.sip.aio.service import event_loop_factory, start_sip_service, tune_gc_for_serving
    from server.sip.flood import FloodPolicy
    from server.sip.memory_directory import InMemoryDirectory
    from server.sip.proxy import ProxySettings

    async def main() -> None:
        d = InMemoryDirectory()
        for i, u in enumerate([*users(n_users), CALLEE]):
            d.add_user(i + 1, u)
            d.add_device(i + 1, u, f"demo{u}")
        settings = ProxySettings(
            auth_algorithms=("MD5",), flood=FloodPolicy(exempt_hosts=frozenset({"127.0.0.1"}))
        )
        service = await start_sip_service(directory=d, udp_port=port, tcp_port=None, settings=settings)
        tune_gc_for_serving()
        print("ready", service.ports["udp"], flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await service.stop()

    with asyncio.Runner(loop_factory=event_loop_factory(prefer_uvloop=use_uvloop)) as runner:
        runner.run(main())


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    group: bool = False  # the server forks workers in its own process group (Kamailio)

    def stop(self) -> None:
        if self.group:
            # the workers must go too, not only the main process
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            if self.group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait(5)


def start_ours(n_users: int, use_uvloop: bool = True) -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--users", str(n_users)]
        + ([] if use_uvloop else ["--no-uvloop"]),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith("ready"):
        proc.kill()
        raise RuntimeError("our PBX did not start")
    return Server("ours", port, proc)


def start_kamailio(children: int, workdir: Path) -> Server | None:
    binary = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not Path(binary).exists():
        return None
    port = free_port()
    cfg = workdir / "kamailio.cfg"
    cfg.write_text(KAMAILIO_CFG.read_text().replace("@PORT@", str(port)).replace("@CHILDREN@", str(children)))
    proc = subprocess.Popen(
        [
            binary,
            "-f",
            str(cfg),
            "-DD",
            "-E",
            "-L",
            KAMAILIO_MODULES,
            "-m",
            "128",
            "-M",
            "16",
            "-P",
            str(workdir / "kamailio.pid"),
            "-Y",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _options_ping(port):
            return Server("kamailio", port, proc, group=True)
        time.sleep(0.1)
    Server("kamailio", port, proc, group=True).stop()
    return None


def _options_ping(port: int) -> bool:
    msg = (
        f"OPTIONS sip:{DOMAIN} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKping{time.time_ns()}\r\n"
        f"From: <sip:ping@{DOMAIN}>;tag=p\r\nTo: <sip:{DOMAIN}>\r\nCall-ID: ping{time.time_ns()}\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 1\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        try:
            s.sendto(msg, ("127.0.0.1", port))
            s.recvfrom(4096)
            return True
        except OSError:
            return False


# ---------------------------------------------------------------------------------------------- sipp
@dataclass
class Run:
    ok: int
    failed: int
    seconds: float
    cpu: float = 0.0  # CPU seconds the server's processes used during the run

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU milliseconds per completed transaction: the fair figure on a shared machine,
        where the wall-clock rate also depends on how much CPU the other processes leave us."""
        return 1000 * self.cpu / self.ok if self.ok else 0.0


def server_cpu(server: Server) -> float:
    """CPU seconds (user + system) of the server's process, or of its whole process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        pid, pgrp = int(stat.parent.name), int(fields[2])
        if pid == server.proc.pid or (server.group and pgrp == server.proc.pid):
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def sipp(
    port: int,
    scenario: str,
    rows: list[str],
    *,
    calls: int,
    concurrency: int,
    rate: float,
    workdir: Path,
    local_port: int | None = None,
    timeout: float = 120,
    background: bool = False,
) -> Run | subprocess.Popen[bytes]:
    inf = workdir / f"{scenario}-{time.time_ns()}.csv"
    inf.write_text("SEQUENTIAL\n" + "\n".join(rows) + "\n")
    args = [
        "sipp",
        f"127.0.0.1:{port}",
        "-sf",
        str(SCENARIOS / scenario),
        "-inf",
        str(inf),
        "-m",
        str(calls),
        "-l",
        str(concurrency),
        "-r",
        f"{rate:g}",
        "-i",
        "127.0.0.1",
        "-p",
        str(local_port or free_port()),
        "-nostdin",
        "-timeout",
        f"{timeout:.0f}",
        "-timeout_error",
        "-buff_size",
        str(4 << 20),
        "-recv_timeout",
        "4000",
        "-max_recv_loops",
        "10000",
        "-cid_str",
        f"%u-%p-{os.urandom(3).hex()}@%s",
        "-trace_err",
        "-error_file",
        str(workdir / f"{scenario}.err"),
    ]
    if background:
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    start = time.monotonic()
    out = subprocess.run(args, capture_output=True, cwd=workdir, timeout=timeout + 30).stdout.decode(
        errors="replace"
    )
    seconds = time.monotonic() - start
    err = workdir / f"{scenario}.err"
    if os.environ.get("BENCH_DEBUG"):
        print(out[-2500:], file=sys.stderr)
        if err.exists():
            print(err.read_text(errors="replace")[:3000], file=sys.stderr)
    return Run(_counter(out, "Successful call"), _counter(out, "Failed call"), seconds)


def _counter(screen: str, name: str) -> int:
    found = re.findall(rf"{name}\s*\|\s*\d+\s*\|\s*(\d+)", screen)
    return int(found[-1]) if found else 0


def bench_register(port: int, n: int, count: int, concurrency: int, workdir: Path) -> Run:
    rows = [f"{u};[authentication username={u} password=demo{u}];{DOMAIN}" for u in users(n)]
    result = sipp(
        port, "register_auth.xml", rows, calls=count, concurrency=concurrency, rate=100000, workdir=workdir
    )
    assert isinstance(result, Run)
    return result


@contextlib.contextmanager
def answering_uas(target_port: int, uas_port: int, count: int, workdir: Path) -> Iterator[None]:
    """A sipp UAS on `uas_port` answering up to `count` calls with 200, stopped on exit."""
    uas = sipp(
        target_port,
        "uas_answer_200.xml",
        ["x"],
        calls=count,
        concurrency=5000,
        rate=100000,
        workdir=workdir,
        local_port=uas_port,
        background=True,
    )
    assert isinstance(uas, subprocess.Popen)
    try:
        yield
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            uas.wait(10)
        if uas.poll() is None:
            uas.kill()
            uas.wait(5)


def bench_calls(port: int, n: int, count: int, concurrency: int, workdir: Path) -> Run:
    uas_port = free_port()
    reg = sipp(
        port,
        "register_contact.xml",
        [f"{CALLEE};[authentication username={CALLEE} password=demo{CALLEE}];{DOMAIN};{uas_port}"],
        calls=1,
        concurrency=1,
        rate=10,
        workdir=workdir,
    )
    assert isinstance(reg, Run)
    if reg.ok != 1:
        return Run(0, count, 0.0)
    with answering_uas(port, uas_port, count, workdir):
        time.sleep(0.3)
        rows = [f"{u};[authentication username={u} password=demo{u}];{DOMAIN};{CALLEE}" for u in users(n)]
        result = sipp(
            port, "uac_call.xml", rows, calls=count, concurrency=concurrency, rate=100000, workdir=workdir
        )
        assert isinstance(result, Run)
        return result


def find_sippy(explicit: str | None) -> str | None:
    """The sippy B2BUA (`b2bua_simple`). sippy ships a top-level `tests` package that shadows ours, so it
    lives in its own venv: --sippy PATH, $SIPPY_B2BUA, or ~/.cache/softphone-bench/sippy-venv
    (create it with: python -m venv ~/.cache/softphone-bench/sippy-venv && <venv>/bin/pip install sippy)."""
    candidates = [
        explicit,
        os.environ.get("SIPPY_B2BUA"),
        str(Path.home() / ".cache" / "softphone-bench" / "sippy-venv" / "bin" / "b2bua_simple"),
    ]
    return next((c for c in candidates if c and Path(c).exists()), None)


def bench_sippy_calls(b2bua: str, n: int, count: int, concurrency: int, workdir: Path) -> Run:
    """sippy's simple B2BUA relays every call to one next hop (our sipp UAS); it has no registrar and no
    auth, so its scenario is the call without the 407 round trip (less work than ours)."""
    uas_port, port = free_port(), free_port()
    with answering_uas(port, uas_port, count, workdir):
        b2b = subprocess.Popen(
            [
                b2bua,
                "-f",
                "-l",
                "127.0.0.1",
                "-p",
                str(port),
                "-n",
                f"127.0.0.1:{uas_port}",
                "-L",
                str(workdir / "sippy.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = Server("sippy", port, b2b)
        try:
            deadline = time.monotonic() + 15
            while not _options_ping(port):
                if time.monotonic() > deadline or b2b.poll() is not None:
                    return Run(0, count, 0.0)
                time.sleep(0.2)
            rows = [f"{u};-;{DOMAIN};{CALLEE}" for u in users(n)]
            result = sipp(
                port,
                "uac_call_noauth.xml",
                rows,
                calls=count,
                concurrency=concurrency,
                rate=100000,
                workdir=workdir,
            )
            assert isinstance(result, Run)
            return result
        finally:
            server.stop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    p.add_argument("--no-uvloop", action="store_true", help="run our PBX on the standard asyncio loop")
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--registers", type=int, default=20000)
    p.add_argument("--calls", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=50, help="concurrent REGISTER transactions")
    p.add_argument("--call-concurrency", type=int, default=60, help="concurrent calls (each holds 100 ms)")
    p.add_argument("--kamailio-children", type=int, default=2)
    p.add_argument("--sippy", help="path of sippy's b2bua_simple (see find_sippy)")
    args = p.parse_args()
    if args.serve is not None:
        serve(args.serve, args.users, not args.no_uvloop)
        return 0
    if shutil.which("sipp") is None:
        print("sipp is not installed")
        return 2
    results: dict[str, dict[str, Run]] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-pbx-") as tmp:
        work = Path(tmp)
        servers: list[Server] = []
        try:
            ours = start_ours(args.users, not args.no_uvloop)
            servers.append(ours)
            kam = start_kamailio(args.kamailio_children, work)
            if kam is not None:
                servers.append(kam)
            else:
                print("kamailio not available: measuring our PBX only")
            for s in servers:
                results[s.name] = {}
                for test, run in (
                    (
                        "REGISTER/s (digest)",
                        lambda p: bench_register(p, args.users, args.registers, args.concurrency, work),
                    ),
                    (
                        "calls/s (407, 200, ACK, BYE)",
                        lambda p: bench_calls(p, args.users, args.calls, args.call_concurrency, work),
                    ),
                ):
                    before = server_cpu(s)
                    result = run(s.port)
                    result.cpu = server_cpu(s) - before
                    results[s.name][test] = result
            b2bua = find_sippy(args.sippy)
            sippy_run = (
                bench_sippy_calls(b2bua, args.users, args.calls, args.call_concurrency, work)
                if b2bua
                else None
            )
        finally:
            for s in servers:
                s.stop()
    print(
        f"\nPBX benchmark: loopback UDP, MD5 digest, {args.concurrency} concurrent REGISTERs, "
        f"{args.call_concurrency} concurrent calls, {os.cpu_count()} CPUs; "
        f"Kamailio children={args.kamailio_children}; ours on "
        f"{'asyncio' if args.no_uvloop or importlib.util.find_spec('uvloop') is None else 'uvloop'}, "
        f"load average before {load_before:.1f}"
    )
    header = (
        f"{'test':30} {'ours /s':>8} {'failed':>6} {'kamailio /s':>11} {'failed':>6} {'ours/kam':>8}"
        f" {'ours CPU ms':>11} {'kam CPU ms':>10} {'kam/ours CPU':>12}"
    )
    print(header)
    print("-" * len(header))
    for test in results["ours"]:
        o = results["ours"][test]
        k = results.get("kamailio", {}).get(test)
        cols = f"{test:30} {o.rate:8.0f} {o.failed:6d} "
        if k is None:
            cols += f"{'-':>11} {'-':>6} {'-':>8} {o.cpu_ms:11.3f} {'-':>10} {'-':>12}"
        else:
            rate_ratio = o.rate / k.rate if k.rate else 0.0
            cpu_ratio = k.cpu_ms / o.cpu_ms if o.cpu_ms else 0.0
            cols += (
                f"{k.rate:11.0f} {k.failed:6d} {rate_ratio:8.2f} {o.cpu_ms:11.3f} {k.cpu_ms:10.3f}"
                f" {cpu_ratio:12.2f}"
            )
        print(cols)
    print("CPU ms: server CPU (user + system) per completed REGISTER or call; kam/ours CPU is the")
    print("throughput ratio the two would reach with the same CPU each, whatever else runs on the machine.")
    calls = results["ours"]["calls/s (407, 200, ACK, BYE)"]
    if sippy_run is None:
        print("sippy B2BUA: not found (see --sippy); not measured")
    else:
        ratio = calls.rate / sippy_run.rate if sippy_run.rate else 0.0
        print(
            f"sippy B2BUA calls/s (no auth): {sippy_run.rate:.0f} ({sippy_run.failed} failed); "
            f"ours with auth / sippy = {ratio:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
