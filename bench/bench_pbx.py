"""Our PBX as shipped against Kamailio 5.6 and the sippy B2BUA, measured in the same run: the highest rate of
digest REGISTERs and of calls each passes on a sipp rate ladder, and the server CPU each spends.

The product as shipped: `softphone-server run --config <file>` on its own database (SQLite file, and a
PostgreSQL cluster with default durability), a company made with `softphone-server create-company`, 1,000
agents made through the admin API (`POST /admin/users/bulk`: extension N, an IP-phone device with SIP user
N and password demoN), flood limits lifted for the load generator by the config (`sip_trusted_networks`).
Kamailio 5.6 runs bench/kamailio/kamailio.cfg (registrar + record-routing proxy with digest auth, the same
users and passwords); sippy's b2bua_simple relays calls without auth (it has none).  One extra row runs our
SIP core alone over an in-memory directory with nothing persisted: labelled as such, it is not the product.

The ladder: each rate runs `--step` seconds of sipp traffic (`-r rate`, calls unbounded in number); a rate
passes with 0 failed, at most 1 % retransmitted requests and the backlog drained (sipp done within 0.5 s
of the last call's planned end).  Climbing stops at the first rate that fails.  Scenarios
(tests/interop/sipp): REGISTER -> 401 -> REGISTER with credentials -> 200; INVITE -> 407 -> ACK ->
INVITE -> 100/180/200 -> ACK -> 1 s -> BYE -> 200, to a sipp UAS registered as extension 2000.
"CPU ms" is the server's CPU (all its processes and threads) per completed REGISTER or call at the
highest passing rate.

Run:  .venv/bin/python bench/bench_pbx.py [--db sqlite,postgres] [--agents 1000] [--step 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import ROOT, ProductServer, free_port, postgres_cluster, process_cpu

SCENARIOS = ROOT / "tests" / "interop" / "sipp"
KAMAILIO_CFG = ROOT / "bench" / "kamailio" / "kamailio.cfg"
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules"
DOMAIN = "bench.local"
CALLEE = "2000"
HOLD_MS = 1000
REGISTER_LADDER = (500, 1000, 2000, 3000, 3500, 4000, 4500, 5000, 6000, 7000, 8000, 10000, 12000)
CALL_LADDER = (25, 50, 100, 200, 300, 400, 500, 600, 800, 1000, 1250, 1500, 2000, 2500)


def agents(n: int) -> list[str]:
    return [str(1000 + i) for i in range(n)]


# ---------------------------------------------------------------------------------------------- servers
@dataclass
class Target:
    name: str
    port: int
    cpu: Callable[[], float]
    stop: Callable[[], None]


def start_product(n_agents: int, database_url: str | None, label: str) -> tuple[Target, float]:
    """The shipped server with `n_agents` agents (+ the callee); returns it and the bulk creation time."""
    server = ProductServer(
        domain=DOMAIN, database_url=database_url, settings={"sip_trusted_networks": ["127.0.0.1"]}
    )
    server.create_company()
    server.start()
    rows: list[dict[str, object]] = [
        {
            "full_name": f"Agent {u}",
            "phone": f"0913{int(u):06d}",
            "extensions": [u],
            "devices": [{"kind": "ip_phone", "sip_username": u, "sip_password": f"demo{u}"}],
        }
        for u in [*agents(n_agents), CALLEE]
    ]
    seconds = server.bulk_create(rows)
    return Target(label, server.sip_port, server.cpu, server.cleanup), seconds


def serve_in_memory(port: int, n_agents: int) -> None:
    """--serve: our SIP core alone over an InMemoryDirectory, nothing persisted (not the product)."""
    sys.path.insert(0, str(ROOT))
    from server.sip.aio.service import event_loop_factory, start_sip_service, tune_gc_for_serving
    from server.sip.flood import FloodPolicy
    from server.sip.memory_directory import InMemoryDirectory
    from server.sip.proxy import ProxySettings

    async def main() -> None:
        d = InMemoryDirectory()
        for i, u in enumerate([*agents(n_agents), CALLEE]):
            d.add_user(i + 1, u, domain=DOMAIN)
            d.add_device(i + 1, u, f"demo{u}")
        settings = ProxySettings(flood=FloodPolicy(trusted_networks=("127.0.0.1",)))
        service = await start_sip_service(directory=d, udp_port=port, tcp_port=None, settings=settings)
        tune_gc_for_serving()
        print("ready", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await service.stop()

    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(main())


def start_in_memory(n_agents: int) -> Target:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--agents", str(n_agents)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    if not proc.stdout.readline().startswith(b"ready"):
        proc.kill()
        raise RuntimeError("in-memory core did not start")
    return Target(
        "ours, SIP core in memory (not shipped)", port, lambda: process_cpu(proc.pid), _stopper(proc)
    )


def _stopper(proc: subprocess.Popen[bytes], group: bool = False) -> Callable[[], None]:
    def stop() -> None:
        if group:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            if group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.kill()
            proc.wait(5)

    return stop


def start_kamailio(children: int, workdir: Path) -> Target | None:
    binary = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not Path(binary).exists():
        return None
    port = free_port()
    cfg = workdir / "kamailio.cfg"
    text = KAMAILIO_CFG.read_text().replace("@PORT@", str(port)).replace("@CHILDREN@", str(children))
    cfg.write_text(text.replace("demo.local", DOMAIN))
    proc = subprocess.Popen(
        [
            *(binary, "-f", str(cfg), "-DD", "-E", "-L", KAMAILIO_MODULES, "-m", "256", "-M", "16"),
            *("-P", str(workdir / "kamailio.pid"), "-Y", str(workdir)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    target = Target(
        "kamailio 5.6", port, lambda: process_cpu(proc.pid, group=True), _stopper(proc, group=True)
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if options_ping(port):
            return target
        time.sleep(0.1)
    target.stop()
    return None


def options_ping(port: int) -> bool:
    import socket

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


def find_sippy() -> str | None:
    """sippy's b2bua_simple, in a venv of its own (it ships a top-level `tests` package that shadows ours):
    $SIPPY_B2BUA, or ~/.cache/softphone-bench/sippy-venv, created from PyPI when missing."""
    explicit = os.environ.get("SIPPY_B2BUA")
    if explicit and Path(explicit).exists():
        return explicit
    venv = Path.home() / ".cache" / "softphone-bench" / "sippy-venv"
    binary = venv / "bin" / "b2bua_simple"
    if not binary.exists():
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120
            )
            subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", "sippy"],
                check=True,
                capture_output=True,
                timeout=600,
            )
    return str(binary) if binary.exists() else None


@contextlib.contextmanager
def sippy_b2bua(uas_port: int) -> Iterator[Target | None]:
    binary = find_sippy()
    if binary is None:
        yield None
        return
    port = free_port()
    proc = subprocess.Popen(
        [binary, "-f", "-l", "127.0.0.1", "-p", str(port), "-n", f"127.0.0.1:{uas_port}", "-L", "/dev/null"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    target = Target("sippy B2BUA (no auth)", port, lambda: process_cpu(proc.pid), _stopper(proc))
    deadline = time.monotonic() + 15
    while not options_ping(port):
        if time.monotonic() > deadline or proc.poll() is not None:
            target.stop()
            yield None
            return
        time.sleep(0.2)
    try:
        yield target
    finally:
        target.stop()


# ---------------------------------------------------------------------------------------------- sipp
@dataclass
class Step:
    rate: int
    ok: int = 0
    failed: int = 0
    sent: int = 0
    retrans: int = 0
    elapsed: float = 0.0
    planned: float = 0.0
    cpu: float = 0.0
    load_cpu: float = 0.0  # the load generator's (sipp's) CPU seconds in the step

    @property
    def cores(self) -> tuple[float, float]:
        """(server, sipp) CPU as a share of one core over the step."""
        span = max(self.elapsed, 1e-9)
        return self.cpu / span, self.load_cpu / span

    @property
    def retrans_pct(self) -> float:
        return 100.0 * self.retrans / self.sent if self.sent else 0.0

    @property
    def drained(self) -> bool:
        return self.elapsed <= self.planned + 0.5

    @property
    def passed(self) -> bool:
        return self.ok > 0 and self.failed == 0 and self.retrans_pct <= 1.0 and self.drained

    @property
    def cpu_ms(self) -> float:
        return 1000.0 * self.cpu / self.ok if self.ok else 0.0

    def verdict(self) -> str:
        if self.passed:
            return "pass"
        why = []
        if self.failed:
            why.append(f"{self.failed} failed")
        if self.retrans_pct > 1.0:
            why.append(f"{self.retrans_pct:.1f}% retrans")
        if not self.drained:
            why.append(f"backlog {self.elapsed - self.planned:.1f} s")
        return ", ".join(why) or "nothing completed"


_SENT = re.compile(r"^\s*\S+\s+---------->\s+(\d+)\s+(\d+)", re.M)
_TOTAL_TIME = re.compile(r"(\d+\.\d+) s\s+\d+\s+\S+\(UDP\)")


def _counter(screen: str, name: str) -> int:
    found = re.findall(rf"{name}\s*\|\s*\d+\s*\|\s*(\d+)", screen)
    return int(found[-1]) if found else 0


def sipp_args(port: int, scenario: Path, inf: Path, workdir: Path, *extra: str) -> list[str]:
    return [
        "sipp",
        f"127.0.0.1:{port}",
        "-sf",
        str(scenario),
        "-inf",
        str(inf),
        "-i",
        "127.0.0.1",
        "-p",
        str(free_port()),
        "-nostdin",
        "-buff_size",
        str(8 << 20),
        "-max_recv_loops",
        "10000",
        "-cid_str",
        f"%u-%p-{os.urandom(3).hex()}@%s",
        "-trace_err",
        "-error_file",
        str(workdir / f"{scenario.stem}.err"),
        *extra,
    ]


def rows_file(workdir: Path, name: str, rows: list[str]) -> Path:
    path = workdir / name
    path.write_text("SEQUENTIAL\n" + "\n".join(rows) + "\n")
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_step(
    target: Target,
    scenario: Path,
    inf: Path,
    rate: int,
    seconds: float,
    hold: float,
    workdir: Path,
    peer_cpu: Callable[[], float] = lambda: 0.0,
) -> Step:
    count = int(rate * seconds)
    args = sipp_args(
        target.port, scenario, inf, workdir, "-r", str(rate), "-m", str(count), "-l", str(max(1000, rate * 4))
    )
    args += ["-timeout", f"{seconds + hold + 30:.0f}", "-timeout_error", "-recv_timeout", "8000"]
    step = Step(rate, planned=seconds + hold)
    before = target.cpu()
    load_before = _children_cpu() + peer_cpu()
    start = time.monotonic()
    out = subprocess.run(args, capture_output=True, cwd=workdir, timeout=seconds + hold + 90).stdout.decode(
        errors="replace"
    )
    wall = time.monotonic() - start
    step.cpu = target.cpu() - before
    step.load_cpu = _children_cpu() + peer_cpu() - load_before
    step.ok, step.failed = _counter(out, "Successful call"), _counter(out, "Failed call")
    step.sent = sum(int(m) for m, _ in _SENT.findall(out))
    step.retrans = sum(int(r) for _, r in _SENT.findall(out))
    total = _TOTAL_TIME.findall(out)
    step.elapsed = float(total[-1]) if total else wall
    if step.ok + step.failed < count:
        step.failed += count - step.ok - step.failed
    return step


@dataclass
class Ladder:
    steps: list[Step] = field(default_factory=list)

    @property
    def best(self) -> Step | None:
        passed = [s for s in self.steps if s.passed]
        return passed[-1] if passed else None

    @property
    def first_failure(self) -> Step | None:
        return next((s for s in self.steps if not s.passed), None)


def climb(rates: tuple[int, ...], one: Callable[[int], Step], label: str) -> Ladder:
    ladder = Ladder()
    for rate in rates:
        step = one(rate)
        ladder.steps.append(step)
        print(
            f"  {label:42} {rate:6d}/s  ok {step.ok:7d}  failed {step.failed:5d}"
            f"  retrans {step.retrans_pct:5.2f}%  {step.elapsed:5.1f}/{step.planned:.1f} s"
            f"  {step.cpu_ms:6.3f} CPU-ms  cores {step.cores[0]:.2f} + sipp {step.cores[1]:.2f}"
            f"  {step.verdict()}",
            flush=True,
        )
        if not step.passed:
            break
        time.sleep(1.0)  # registrations and dialogs of this step settle before the next one
    return ladder


def register_ladder(target: Target, n_agents: int, seconds: float, workdir: Path) -> Ladder:
    inf = rows_file(
        workdir,
        f"reg-{target.port}.csv",
        [f"{u};[authentication username={u} password=demo{u}];{DOMAIN}" for u in agents(n_agents)],
    )
    return climb(
        REGISTER_LADDER,
        lambda r: run_step(target, SCENARIOS / "register_auth.xml", inf, r, seconds, 0.0, workdir),
        f"{target.name} REGISTER",
    )


@contextlib.contextmanager
def callee_uas(
    target_port: int, workdir: Path, register: bool = True
) -> Iterator[tuple[int, Callable[[], float]]]:
    """A sipp UAS answering every call with 200 (registered as extension 2000 when `register`): its port
    and its CPU seconds so far."""
    uas_port = free_port()
    if register:
        inf = rows_file(
            workdir,
            "callee.csv",
            [f"{CALLEE};[authentication username={CALLEE} password=demo{CALLEE}];{DOMAIN};{uas_port}"],
        )
        subprocess.run(
            sipp_args(
                target_port, SCENARIOS / "register_contact.xml", inf, workdir, "-m", "1", "-timeout", "20"
            ),
            capture_output=True,
            cwd=workdir,
            timeout=40,
        )
    inf = rows_file(workdir, "uas.csv", ["x"])
    args = sipp_args(target_port, SCENARIOS / "uas_answer_200.xml", inf, workdir, "-m", "100000000")
    args[args.index("-p") + 1] = str(uas_port)
    uas = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    time.sleep(0.5)
    try:
        yield uas_port, lambda: process_cpu(uas.pid)
    finally:
        uas.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            uas.wait(10)
        if uas.poll() is None:
            uas.kill()


def call_scenario(workdir: Path, auth: bool) -> Path:
    """The tests' call scenario, holding each call `HOLD_MS` before the BYE."""
    source = SCENARIOS / ("uac_call.xml" if auth else "uac_call_noauth.xml")
    text = re.sub(r'<pause milliseconds="\d+"/>', f'<pause milliseconds="{HOLD_MS}"/>', source.read_text())
    path = workdir / f"hold-{source.name}"
    path.write_text(text)
    return path


def call_ladder(
    target: Target,
    n_agents: int,
    seconds: float,
    workdir: Path,
    *,
    auth: bool = True,
    uas_cpu: Callable[[], float] = lambda: 0.0,
) -> Ladder:
    scenario = call_scenario(workdir, auth)
    creds = "[authentication username={u} password=demo{u}]" if auth else "-"
    inf = rows_file(
        workdir,
        f"calls-{target.port}.csv",
        [f"{u};{creds.format(u=u)};{DOMAIN};{CALLEE}" for u in agents(n_agents)],
    )
    return climb(
        CALL_LADDER,
        lambda r: run_step(target, scenario, inf, r, seconds, HOLD_MS / 1000 + 0.2, workdir, uas_cpu),
        f"{target.name} calls",
    )


# ---------------------------------------------------------------------------------------------- report
@dataclass
class Row:
    target: str
    register: Ladder | None = None
    calls: Ladder | None = None
    setup: str = ""


def _cell(ladder: Ladder | None) -> tuple[str, str, float]:
    if ladder is None:
        return "-", "-", 0.0
    best = ladder.best
    fail = ladder.first_failure
    top = "top" if fail is None else f"fails {fail.rate}: {fail.verdict()}"
    if best is None:
        return "none", top, 0.0
    return f"{best.rate}", top, best.cpu_ms


def report(rows: list[Row], reference: Row | None, args: argparse.Namespace) -> None:
    uv = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    print(
        f"\nPBX benchmark ({time.strftime('%Y-%m-%d %H:%M')}): sipp rate ladder on loopback UDP, "
        f"{args.step:g} s per rate, {args.agents} agents, MD5 digest, calls held {HOLD_MS} ms; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; ours on {uv}; "
        f"Kamailio children={args.kamailio_children}"
    )
    header = (
        f"{'server':44} {'REGISTER/s':>10} {'CPU ms':>7} {'x Kam':>6}   "
        f"{'calls/s':>7} {'CPU ms':>7} {'x Kam':>6}  {'x sippy':>7}"
    )
    print(header)
    print("-" * len(header))
    kam_reg = (
        reference.register.best.rate if reference and reference.register and reference.register.best else 0
    )
    kam_calls = reference.calls.best.rate if reference and reference.calls and reference.calls.best else 0
    sippy = next((r for r in rows if r.target.startswith("sippy")), None)
    sippy_calls = sippy.calls.best.rate if sippy and sippy.calls and sippy.calls.best else 0
    for row in rows:
        reg, reg_top, reg_cpu = _cell(row.register)
        calls, calls_top, calls_cpu = _cell(row.calls)
        reg_x = f"{int(reg) / kam_reg:.2f}" if reg.isdigit() and kam_reg else "-"
        calls_x = f"{int(calls) / kam_calls:.2f}" if calls.isdigit() and kam_calls else "-"
        sippy_x = f"{int(calls) / sippy_calls:.2f}" if calls.isdigit() and sippy_calls else "-"
        print(
            f"{row.target:44} {reg:>10} {reg_cpu:7.3f} {reg_x:>6}   "
            f"{calls:>7} {calls_cpu:7.3f} {calls_x:>6}  {sippy_x:>7}"
        )
        print(f"{'':44} {reg_top:>27}   {calls_top}{('   ' + row.setup) if row.setup else ''}")
        cores = [
            f"{what} at {best.rate}/s: server {best.cores[0]:.2f} + sipp {best.cores[1]:.2f}"
            for what, ladder in (("REGISTER", row.register), ("calls", row.calls))
            if ladder is not None and (best := ladder.best) is not None
        ]
        if cores:
            print(f"{'':44} cores used: {'; '.join(cores)}")
    print(
        "Rates are the highest passing rung (0 failed, <= 1 % retransmissions, backlog drained); CPU ms is\n"
        "the server's CPU per completed transaction at that rung; x Kam / x sippy: ratio of passing rates;\n"
        f"cores used: CPU as a share of one core over the rung, the server's and sipp's "
        f"({os.cpu_count()} cores here)."
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    p.add_argument("--agents", type=int, default=1000)
    p.add_argument("--db", default="sqlite,postgres", help="databases the shipped server runs on")
    p.add_argument("--step", type=float, default=5.0, help="seconds of traffic per rate")
    p.add_argument("--kamailio-children", type=int, default=2)
    p.add_argument("--skip", default="", help="comma-separated: kamailio,sippy,memory,register,calls")
    args = p.parse_args()
    if args.serve is not None:
        serve_in_memory(args.serve, args.agents)
        return 0
    if shutil.which("sipp") is None:
        print("sipp is not installed (scripts/bootstrap installs it)")
        return 2
    skip = set(args.skip.split(","))
    rows: list[Row] = []
    reference: Row | None = None
    with tempfile.TemporaryDirectory(prefix="bench-pbx-") as tmp:
        work = Path(tmp)

        def measure(target: Target, *, auth: bool = True, calls_only: bool = False) -> Row:
            row = Row(target.name)
            if not calls_only and "register" not in skip:
                row.register = register_ladder(target, args.agents, args.step, work)
            if "calls" not in skip:
                with callee_uas(target.port, work, register=auth) as (_port, uas_cpu):
                    row.calls = call_ladder(target, args.agents, args.step, work, auth=auth, uas_cpu=uas_cpu)
            return row

        if "kamailio" not in skip:
            kam = start_kamailio(args.kamailio_children, work)
            if kam is None:
                print("kamailio not available: no reference")
            else:
                try:
                    reference = measure(kam)
                    rows.append(reference)
                finally:
                    kam.stop()
        for db in [d for d in args.db.split(",") if d]:
            with contextlib.ExitStack() as stack:
                url = stack.enter_context(postgres_cluster()) if db == "postgres" else None
                target, seconds = start_product(args.agents, url, f"ours as shipped, {db}")
                stack.callback(target.stop)
                row = measure(target)
                row.setup = f"({args.agents + 1} agents created through the bulk API in {seconds:.1f} s)"
                rows.append(row)
        if "memory" not in skip:
            target = start_in_memory(args.agents)
            try:
                rows.append(measure(target))
            finally:
                target.stop()
        if "sippy" not in skip:
            with (
                callee_uas(5060, work, register=False) as (uas_port, uas_cpu),
                sippy_b2bua(uas_port) as sippy,
            ):
                if sippy is None:
                    print("sippy B2BUA not available")
                else:
                    row = Row(sippy.name)
                    row.calls = call_ladder(sippy, args.agents, args.step, work, auth=False, uas_cpu=uas_cpu)
                    rows.append(row)
    report(rows, reference, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
