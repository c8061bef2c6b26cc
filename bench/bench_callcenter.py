"""Call-center load: callers waiting with hold music across queues while agents answer and hang up.

The product as shipped (`softphone-server run --config`, media on, a company made by `create-company`),
configured through the admin API as an admin would: `--agents` agents (bulk-created, an IP-phone device each),
`--queues` queues (longest idle, wrap-up 0) each with its own hotline routed straight to it, every agent
logged in to one queue.  Agents are asyncio SIP phones (one socket; digest REGISTER; they answer every
INVITE at once with an SDP and hang up after `--talk` seconds).  Callers are RTP/SIP probes from 127.0.0.1
(the hotlines' carrier) arriving at `--rate` calls/s until `--callers` have called; each waits (hold music
from rtpengine) until an agent takes it and hangs up.

Reported: CPU of the server and of rtpengine over the run; "free -> ring": for each agent, from the BYE it
sends (it is free: wrap-up 0) to the next INVITE it gets while callers are still waiting (p50/p99/max);
callers served, lost (never connected) and served out of arrival order per queue (from the queue log).

Run:  .venv/bin/python bench/bench_callcenter.py [--callers 200 --agents 50 --queues 4 --rate 20 --talk 2]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server" / "sip"))
from benchlib import ProductServer, process_cpu
from sip_load import LoadClient

from server.media.rtp_probe import ProbeLeg, SipProbe, pcmu_tone
from server.sip.message import SipRequest, SipResponse, make_response, new_branch, new_tag
from server.sip.parser import parse_message

DOMAIN = "bench.local"
ENGINE_PID = re.compile(r"rtpengine running \(pid (\d+)")
LOG_LINE = re.compile(r"queue_log company=\d+ queue=(\d+) call=(\S+) (\w+) ")


class Agents(LoadClient):
    """Many agents on one socket: answer every INVITE with an SDP, hang up after `talk` seconds."""

    def __init__(self, pbx: tuple[str, int], domain: str) -> None:
        super().__init__(pbx, domain)
        self.talk = 2.0
        self.freed: dict[str, float] = {}  # agent -> when its last BYE went out
        self.free_to_ring: list[float] = []
        self.waiting = lambda: True  # whether callers are still waiting (only then is a gap a delay)
        self.answered = 0

    def _received(self, data: bytes) -> None:
        if not data.startswith(b"INVITE "):
            super()._received(data)
            return
        try:
            msg = parse_message(data)
        except Exception:
            return
        assert isinstance(msg, SipRequest)
        now = time.monotonic()
        agent = msg.uri.user or ""
        freed = self.freed.pop(agent, None)
        if freed is not None and self.waiting():
            self.free_to_ring.append(now - freed)
        ok = make_response(msg, 200, to_tag=new_tag())
        ok.headers.add("Contact", f"<sip:{agent}@127.0.0.1:{self.port}>")
        ok.headers.add("Content-Type", "application/sdp")
        ok.body = (
            f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {self.port + 1} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
        ).encode()
        self._send(ok)
        self.answered += 1
        asyncio.get_running_loop().call_later(self.talk, self._hang_up, msg, ok, agent)

    def _hang_up(self, invite: SipRequest, ok: SipResponse, agent: str) -> None:
        contact = invite.contacts[0].uri if invite.contacts else invite.uri
        bye = SipRequest("BYE", contact)
        bye.headers.add("Via", f"SIP/2.0/UDP 127.0.0.1:{self.port};branch={new_branch()};rport")
        bye.headers.add("Max-Forwards", "70")
        for rr in invite.headers.get_all("Record-Route"):
            bye.headers.add("Route", rr)
        bye.headers.add("From", ok.headers.get("To") or "")
        bye.headers.add("To", invite.headers.get("From") or "")
        bye.headers.add("Call-ID", invite.call_id)
        bye.headers.add("CSeq", "1 BYE")
        self._send(bye)
        self.freed[agent] = time.monotonic()


def api(server: ProductServer, method: str, path: str, body: object = None) -> object:
    r = httpx.request(method, f"{server.api}{path}", json=body, headers=server.admin_headers(), timeout=60)
    if r.status_code >= 300:
        raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:500]}")
    return r.json() if r.content else None


def configure(server: ProductServer, n_agents: int, n_queues: int) -> list[str]:
    """Agents, queues, hotlines routed to them, members logged in; the hotline numbers."""
    exts = [str(1000 + i) for i in range(n_agents)]
    server.bulk_create(
        [
            {
                "full_name": f"Agent {e}",
                "phone": f"0913{int(e):06d}",
                "extensions": [e],
                "devices": [{"kind": "ip_phone", "sip_username": e, "sip_password": f"demo{e}"}],
            }
            for e in exts
        ]
    )
    users = {u["extensions"][0]: u["id"] for u in api(server, "GET", "/admin/users") if u["extensions"]}  # type: ignore[union-attr]
    numbers = []
    for q in range(n_queues):
        queue = api(
            server, "POST", "/admin/queues", {"name": f"Q{q}", "config": {"wrapup": 0, "ring_timeout": 15}}
        )
        qid = queue["id"]  # type: ignore[index]
        members = [users[e] for i, e in enumerate(exts) if i % n_queues == q]
        api(server, "PUT", f"/admin/queues/{qid}/members", {"members": [{"user_id": u} for u in members]})
        for u in members:
            api(server, "PUT", f"/admin/queues/{qid}/agents/{u}", {"logged_in": True})
        number = f"0287310000{q}"
        hotline = api(
            server,
            "POST",
            "/admin/hotlines",
            {"number": number, "trunk_host": "127.0.0.1", "trunk_port": 5090},
        )
        api(
            server,
            "PUT",
            f"/admin/hotlines/{hotline['id']}/route",
            {"destination": {"kind": "queue", "id": qid}},
        )  # type: ignore[index]
        numbers.append(number)
    return exts


async def run(args: argparse.Namespace) -> None:
    server = ProductServer(
        domain=DOMAIN, media=True, settings={"sip_trusted_networks": ["127.0.0.1"], "media_limit": 1000}
    )
    server.create_company()
    server.start()
    try:
        configure(server, args.agents, args.queues)
        numbers = [f"0287310000{q}" for q in range(args.queues)]
        engine_pid = int(ENGINE_PID.findall(server.log.read_text(errors="replace"))[-1])
        agents = await Agents.open(server.sip_port, DOMAIN)
        agents.talk = args.talk
        for ext in (f"{1000 + i}" for i in range(args.agents)):
            resp = await agents.register(ext, f"demo{ext}", call_id=f"reg-{ext}", cseq=1)
            assert resp.status == 200, resp.status
        await asyncio.sleep(1.5)  # the call center's presence sync sees them registered
        carrier = SipProbe(("127.0.0.1", server.sip_port))
        await carrier.open()
        calls = []
        served = 0
        agents.waiting = lambda: served < args.callers - args.agents
        cpu0, engine0, t0 = server.cpu(), process_cpu(engine_pid), time.monotonic()
        for i in range(args.callers):
            leg = ProbeLeg("127.0.0.1", 700.0, pcmu_tone(700.0))
            await leg.open()
            calls.append(asyncio.create_task(carrier.invite(numbers[i % args.queues], leg, timeout=20)))
            await asyncio.sleep(1.0 / args.rate)
        answered = [await c for c in calls]
        deadline = time.monotonic() + args.callers * args.talk / max(1, args.agents) + 30
        while time.monotonic() < deadline:
            served = sum(1 for c in answered if c.got_bye)
            if served == len(answered):
                break
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - t0
        cpu, engine_cpu = server.cpu() - cpu0, process_cpu(engine_pid) - engine0
        carrier.close()
        agents.close()
        order: dict[str, list[str]] = defaultdict(list)
        connected: dict[str, list[str]] = defaultdict(list)
        abandons = 0
        for queue, call_id, event in LOG_LINE.findall(server.log.read_text(errors="replace")):
            if event == "ENTERQUEUE":
                order[queue].append(call_id)
            elif event == "CONNECT":
                connected[queue].append(call_id)
            elif event == "ABANDON":
                abandons += 1
        out_of_order = sum(
            sum(1 for a, b in zip(order[q], connected[q], strict=False) if a != b) for q in order
        )
        gaps = sorted(agents.free_to_ring)
        ok = sum(1 for c in answered if c.status == 200)
        print(
            f"callers {args.callers} at {args.rate}/s, agents {args.agents}, queues {args.queues}, ", end=""
        )
        print(f"talk {args.talk} s")
        print(
            f"answered by the PBX {ok}, served by an agent {served}, lost {len(answered) - served}, ", end=""
        )
        print(f"abandons {abandons}, out of order {out_of_order}")
        print(f"run {elapsed:.1f} s: server CPU {100 * cpu / elapsed:.1f} %, ", end="")
        print(f"rtpengine CPU {100 * engine_cpu / elapsed:.1f} % (100 = one core)")
        if gaps:
            p99 = gaps[min(len(gaps) - 1, int(0.99 * len(gaps)))] * 1000
            print(f"free -> ring ms: p50 {statistics.median(gaps) * 1000:.1f}  p99 {p99:.1f}  ", end="")
            print(f"max {gaps[-1] * 1000:.1f}  (n={len(gaps)})")
    finally:
        server.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--queues", type=int, default=4)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--talk", type=float, default=2.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
