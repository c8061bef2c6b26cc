"""Full stack: SIGKILL of the whole server and a restart on the same data dir keeps registrations, CDRs and
messages queued for an offline agent."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from fullstack_audio import describe, seconds_of_tone
from fullstack_support import (
    DEMO_DOMAIN,
    Agents,
    ServerProcess,
    call,
    hangup,
    heard,
    wait_audio_flowing,
    wait_registered,
    wait_until,
)

from softphone.config import AccountConfig
from softphone.testing import CliPeer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TONE_101 = 440.0
TONE_102 = 880.0


def _long_registration(peer: CliPeer, server: ServerProcess, ext: str) -> None:
    """Re-register with a one-hour expiry so nothing refreshes the binding during the test."""
    account = AccountConfig(
        account_id="main", display_name=ext, sip_username=ext, sip_password=f"demo{ext}",
        sip_domain=DEMO_DOMAIN, registrar=server.registrar, register_expires=3600,
        reg_retry_interval_s=5, reg_first_retry_s=1,
    )
    mark = peer.mark()
    peer.command("modify_account", account=dataclasses.asdict(account))
    wait_registered(peer, start=mark)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cdrs(server: ServerProcess) -> list[tuple[str, str, float | None, float | None, str]]:
    return [
        (str(r[0]), str(r[1]), r[2], r[3], str(r[4]))
        for r in server.query('SELECT caller, callee, answer, "end", disposition FROM call_records '
                              'ORDER BY id')
    ]


def test_server_sigkill_and_restart_keeps_bindings_cdrs_and_queued_messages(
    start_server: Callable[[], ServerProcess], agents: Agents, tmp_path: Path
) -> None:
    server = start_server()
    a101 = agents.start(server, "101", "--tone", str(TONE_101))
    a102 = agents.start(server, "102", "--tone", str(TONE_102), "--auto-answer=0")
    _long_registration(a102, server, "102")

    # Before the crash: one answered call 101 -> 102 and a MESSAGE to 103, who is offline.
    call_id = call(a101, "102")
    wait_audio_flowing(a101, call_id, packets=25)
    hangup(a101, call_id)
    answered = wait_until(
        lambda: [c for c in _cdrs(server) if c[2] is not None and c[3] is not None], 10
    )
    assert answered, f"no finished CDR before the crash: {_cdrs(server)}"
    mark = a101.mark()
    message_id = a101.command(
        "send_message", account_id="main", to_uri=f"sip:103@{DEMO_DOMAIN}", text="hẹn 3h"
    )
    status = a101.wait_for(
        lambda e: e["event"] == "MessageStatus" and e["message_id"] == message_id, 15, mark
    )
    assert status["code"] // 100 == 2, status
    assert wait_until(
        lambda: server.query("SELECT 1 FROM queued_messages WHERE delivered_at IS NULL"), 10
    ), "MESSAGE to offline 103 not stored"

    binding_sql = "SELECT contact, call_id, cseq, expires_at FROM sip_bindings WHERE username = '102'"
    binding = server.query(binding_sql)
    assert len(binding) == 1, binding
    assert binding[0][3] - time.time() > 1800, f"102's binding is not the long one: {binding}"
    media_pid = server.media_pid()
    server.kill9()
    # The media child notices its parent is gone and exits by itself.
    assert media_pid is not None
    assert wait_until(lambda: not _alive(media_pid), 15), "media child outlived the killed server"

    mark102 = a102.mark()
    server.start()

    # 102 never re-registers, yet the restarted PBX still knows where it is.
    heard(a101, tmp_path / "heard101.wav")
    call_id = call(a101, "102")
    wait_audio_flowing(a101, call_id)
    hangup(a101, call_id)
    a101.command("stop_monitor")
    wav = tmp_path / "heard101.wav"
    assert seconds_of_tone(wav, TONE_102) >= 1.0, describe(wav, (TONE_101, TONE_102))
    again = a102.find(lambda e: e["event"] == "RegistrationChanged", mark102)
    assert again is None, f"102 re-registered, so the test proves nothing: {again}"
    assert server.query(binding_sql) == binding, "102's binding was refreshed, so the test proves nothing"

    # The CDR from before the crash is still there, next to the new one.
    def both_completed() -> bool:
        return [c[4] for c in _cdrs(server) if c[:2] == ("101", "102")] == ["completed", "completed"]

    assert wait_until(both_completed, 10), _cdrs(server)
    assert answered[0] in _cdrs(server)

    # 103 comes online: the MESSAGE queued before the crash is delivered, once.
    a103 = agents.start(server, "103", register=False)
    got = a103.wait_for(lambda e: e["event"] == "MessageReceived", 30)
    assert got["text"] == "hẹn 3h" and "101" in got["from_uri"], got
    assert wait_until(
        lambda: not server.query("SELECT 1 FROM queued_messages WHERE delivered_at IS NULL"), 10
    ), "delivered message still pending"
    assert len([e for e in a103.events if e["event"] == "MessageReceived"]) == 1


def test_call_up_across_a_server_restart_can_still_be_hung_up(
    start_server: Callable[[], ServerProcess], agents: Agents
) -> None:
    server = start_server()
    a101 = agents.start(server, "101", "--tone", str(TONE_101))
    a102 = agents.start(server, "102", "--tone", str(TONE_102), "--auto-answer=0")
    call_id = call(a101, "102")
    wait_audio_flowing(a101, call_id, packets=25)
    server.kill9()
    server.start()
    mark102 = a102.mark()
    hangup(a101, call_id)

    def ended() -> bool:
        bye = a102.find(lambda e: e["event"] == "CallStateChanged" and e["state"] == "disconnected", mark102)
        return bye is not None

    assert wait_until(ended, 6), "102 never got 101's BYE: its call is still up"
