"""Full stack: a call answered before a SIGKILL of the server is hung up after the restart; the BYE
reaches the other party (Record-Route proof, server/sip/dialog.py) and the CDR written before the
crash gets its end."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fullstack_support import Agents, ServerProcess, call, hangup, wait_audio_flowing, wait_until

from softphone.testing import CliPeer

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _disconnected(peer: CliPeer, mark: int) -> bool:
    found = peer.find(lambda e: e["event"] == "CallStateChanged" and e["state"] == "disconnected", mark)
    return found is not None


def test_callee_hangs_up_after_restart_and_the_cdr_is_closed(
    start_server: Callable[[], ServerProcess], agents: Agents
) -> None:
    server = start_server()
    a101 = agents.start(server, "101", "--tone", "440")
    a102 = agents.start(server, "102", "--tone", "880", "--auto-answer=0")
    call_id = call(a101, "102")
    wait_audio_flowing(a101, call_id, packets=25)
    rows = server.query('SELECT answer, "end" FROM call_records')
    assert len(rows) == 1 and rows[0][0] is not None and rows[0][1] is None, rows
    server.kill9()
    server.start()
    mark101 = a101.mark()
    incoming = a102.find(lambda e: e["event"] == "CallStateChanged" and e["state"] == "confirmed")
    assert incoming is not None
    hangup(a102, incoming["call_id"])
    assert wait_until(lambda: _disconnected(a101, mark101), 6), "101 never got 102's BYE"

    def closed() -> list[tuple[object, ...]]:
        return server.query(
            "SELECT disposition, hangup_cause FROM call_records "
            'WHERE "end" IS NOT NULL AND answer IS NOT NULL'
        )

    assert wait_until(closed, 10), server.query("SELECT * FROM call_records")
    assert closed() == [("completed", "callee BYE")]
