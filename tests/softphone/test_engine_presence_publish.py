"""The status an agent picks reaches colleagues through the real PBX: softphone-cli agents 101 and 102
registered to `softphone-server run --demo`; 101 PUBLISHes (PIDF/RPID), the PBX NOTIFYs 102."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.testing import CliPeer, DemoServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DOMAIN = "demo.local"
URI_101 = f"sip:101@{DOMAIN}"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DemoServer]:
    s = DemoServer(tmp_path / "data", media=False)
    try:
        s.start()
    except RuntimeError:
        s.stop()  # another process may have taken the port between free_port() and bind: one retry
        s = DemoServer(tmp_path / "data", media=False)
        s.start()
    yield s
    s.stop()


@pytest.fixture
def agents(server: DemoServer) -> Iterator[Callable[[str], CliPeer]]:
    started: list[CliPeer] = []

    def start(ext: str) -> CliPeer:
        peer = CliPeer(
            [
                "--account", f"{ext}:demo{ext}@{DOMAIN}",
                "--registrar", f"127.0.0.1:{server.sip_port}",
                "--wait",
            ],
            name=f"agent{ext}",
        )
        started.append(peer)
        peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
        return peer

    yield start
    for p in started:
        p.quit(10)
        p.kill()


def presence_of_101(peer: CliPeer, status: str, start: int) -> dict[str, Any]:
    return peer.wait_for(
        lambda e: e["event"] == "PresenceChanged" and e["uri"] == URI_101 and e["status"] == status, 15, start
    )


def test_published_status_reaches_a_watcher_through_the_pbx(agents: Callable[[str], CliPeer]) -> None:
    a101, a102 = agents("101"), agents("102")
    mark = a102.mark()
    a102.command("subscribe_presence", account_id="main", uri=URI_101)
    presence_of_101(a102, "available", mark)

    for status, note in (("away", ""), ("busy", "in a meeting"), ("available", ""), ("away", "lunch")):
        mark = a102.mark()
        a101.command("publish_presence", account_id="main", status=status, note=note)
        ev = presence_of_101(a102, status, mark)
        if note:
            assert ev["note"] == note

    # DND chosen in the app: a busy activity noted "Do Not Disturb", which the PBX passes on
    mark = a102.mark()
    a101.command("publish_presence", account_id="main", status="dnd", note="")
    presence_of_101(a102, "dnd", mark)
    mark = a102.mark()
    a101.command("publish_presence", account_id="main", status="available", note="")
    presence_of_101(a102, "available", mark)

    # The PBX's own view still wins over what was published: on a call -> on the phone
    mark = a102.mark()
    a101.command("publish_presence", account_id="main", status="away", note="")
    presence_of_101(a102, "away", mark)
    a103 = agents("103")
    mark = a102.mark()
    call = a101.command("make_call", account_id="main", target="103")
    incoming = a103.wait_for(lambda e: e["event"] == "IncomingCall", 15)
    a103.command("answer", call_id=incoming["call_id"])
    presence_of_101(a102, "on_the_phone", mark)
    mark = a102.mark()
    a101.command("hangup", call_id=call)
    presence_of_101(a102, "away", mark)  # the published status is back once the call ends

    # Removing the account unpublishes and unregisters: the watcher sees 101 go offline
    mark = a102.mark()
    a101.command("remove_account", account_id="main")
    presence_of_101(a102, "offline", mark)


def test_status_is_published_again_after_re_registration(
    server: DemoServer, agents: Callable[[str], CliPeer]
) -> None:
    a101, a102 = agents("101"), agents("102")
    mark = a102.mark()
    a102.command("subscribe_presence", account_id="main", uri=URI_101)
    a101.command("publish_presence", account_id="main", status="busy", note="report due")
    presence_of_101(a102, "busy", mark)

    # A PBX restart keeps published states (the journal stores them with the registrations).
    server.stop()
    server.start()
    a102.command("unsubscribe_presence", account_id="main", uri=URI_101)
    mark = a102.mark()
    a102.command("subscribe_presence", account_id="main", uri=URI_101)
    ev = presence_of_101(a102, "busy", mark)
    assert ev["note"] == "report due"

    # 101 registers again (here: told the network changed) and publishes its status with it.
    a101.command("publish_presence", account_id="main", status="away", note="")
    mark = a102.mark()
    a101.command("handle_network_change")
    a101.command("publish_presence", account_id="main", status="busy", note="back at desk")
    ev = presence_of_101(a102, "busy", mark)
    assert ev["note"] == "back at desk"
