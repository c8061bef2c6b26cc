"""kill -9 of the real server (`softphone-server run --demo`, SQLite) and a restart on the same ports:
bindings, queued messages and CDRs survive (PBX + SqlDirectory together)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_process import DOMAIN, Server, peer

from softphone.testing import CliPeer, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path / "data", free_port(), free_port())
    yield s
    s.kill9()


def test_kill9_and_restart_keeps_bindings_messages_and_cdrs(server: Server) -> None:
    server.start()
    peers: list[CliPeer] = []
    try:
        a = peer(server, "101")
        b = peer(server, "102")
        peers += [a, b]
        call = a.command("make_call", account_id="main", target="102")
        cb = b.wait_for(lambda e: e["event"] == "IncomingCall", 15)["call_id"]
        b.command("answer", call_id=cb)
        a.wait_state("confirmed", call)
        a.command("hangup", call_id=call)
        b.wait_state("disconnected", cb)
        a.command("send_message", account_id="main", to_uri=f"sip:103@{DOMAIN}", text="kept across a crash")
        a.wait_for(lambda e: e["event"] == "MessageStatus" and e["code"] == 202, 15)

        server.kill9()
        server.start()

        # 102 did not re-register: its binding came back from the database, so it rings
        mark = b.mark()
        call2 = a.command("make_call", account_id="main", target="102")
        cb2 = b.wait_for(lambda e: e["event"] == "IncomingCall", 20, mark)["call_id"]
        b.command("answer", call_id=cb2)
        a.wait_state("confirmed", call2)
        a.command("hangup", call_id=call2)
        # the message queued before the crash is delivered once 103 registers
        c = peer(server, "103")
        peers.append(c)
        got = c.wait_for(lambda e: e["event"] == "MessageReceived", 20)
        assert got["text"] == "kept across a crash"
        with server.db() as db:
            rows = db.execute("select caller, callee, disposition from call_records").fetchall()
        assert ("101", "102", "completed") in rows
    finally:
        for p in peers:
            p.quit(10)
            p.kill()
