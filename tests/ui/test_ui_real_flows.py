"""The desktop app against the real server (``softphone-server run --demo``) and the real pjsua2 engine.

A headless ``softphone-cli`` registered as 102 auto-answers and plays 440 Hz; the app (offscreen Qt, null
sound device) logs in as 101 through the onboarding widgets, activates, registers, calls 102 from the dialer,
records the call (the WAV must contain 440 Hz), chats both ways, rejects a call in DND and is reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt

from softphone.testing import CliPeer, free_port, tone_levels

pytestmark = [pytest.mark.ui, pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent


def run_until(
    loop: asyncio.AbstractEventLoop, pred: Callable[[], bool], timeout: float = 20.0, what: str = ""
) -> None:
    """Run the qasync loop (Qt events + coroutines) until ``pred()`` holds."""

    async def wait() -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise TimeoutError(f"not reached in {timeout}s: {what}")
            await asyncio.sleep(0.05)

    loop.run_until_complete(wait())


def run_for(loop: asyncio.AbstractEventLoop, seconds: float) -> None:
    loop.run_until_complete(asyncio.sleep(seconds))


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    data = tmp_path_factory.mktemp("server")
    http_port, sip_port = free_port(), free_port()
    log = open(data / "server.log", "wb")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [
            str(BIN / "softphone-server"),
            "run",
            "--demo",
            "--data-dir",
            str(data),
            "--http-port",
            str(http_port),
            "--sip-port",
            str(sip_port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{http_port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield {"http": http_port, "sip": sip_port}
    finally:
        with_group = os.getpgid(proc.pid) if proc.poll() is None else None
        if with_group is not None:
            os.killpg(with_group, signal.SIGTERM)  # our own session: the server and its media child
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        log.close()


def start_agent(sip_port: int, ext: str, tone: float) -> CliPeer:
    peer = CliPeer(
        [
            "--account",
            f"{ext}:demo{ext}@demo.local",
            "--registrar",
            f"127.0.0.1:{sip_port}",
            "--proxy",
            f"127.0.0.1:{sip_port}",
            "--wait",
            "--auto-answer",
            "0.3",
            "--tone",
            str(tone),
        ],
        name=f"agent{ext}",
    )
    try:
        peer.wait_for(lambda e: e["event"] == "RegistrationChanged" and e["state"] == "registered", 30)
    except BaseException:
        peer.kill()
        raise
    return peer


@pytest.fixture
def agent102(demo_server: dict[str, int]) -> Iterator[CliPeer]:
    peer = start_agent(demo_server["sip"], "102", 440.0)
    yield peer
    peer.quit()
    peer.kill()


@pytest.fixture
def agent103(demo_server: dict[str, int]) -> Iterator[CliPeer]:
    peer = start_agent(demo_server["sip"], "103", 880.0)
    yield peer
    peer.quit()
    peer.kill()


@pytest.fixture
def desktop(qapp, qloop, demo_server, tmp_path: Path):
    from softphone.config import EngineConfig
    from softphone.engine import Engine
    from softphone.store import HistoryStore
    from ui.app import build_app
    from ui.app_services import MemorySecrets, Services
    from ui.engine_link import EngineLink
    from ui.history_store import StoreLog
    from ui.server_client import client_factory
    from ui.viewmodels.app_state import Profile

    secrets = MemorySecrets()
    store = HistoryStore(tmp_path / "history.sqlite3")
    log = StoreLog(store)
    link = EngineLink()
    engine = Engine(EngineConfig(user_agent="softphone-ui-test", null_audio=True), link.deliver)
    link.attach(engine)
    services = Services(
        engine_factory=lambda _cb: engine,
        secrets=secrets,
        call_log=log,
        chat_log=log,
        client_factory=client_factory(secrets),
    )
    app = build_app(
        qapp,
        link,
        services,
        profile=Profile(tmp_path / "config", tmp_path / "data"),
        language="en",
        server_url=f"http://127.0.0.1:{demo_server['http']}",
    )
    engine.start().result(timeout=20)
    app.vm.start()
    try:
        yield app
    finally:
        app.vm.shutdown()
        engine.stop().result(timeout=20)
        store.close()
        app.window.quitting = True
        app.window.close()
        app.incoming.close()
        app.tray.hide()


def sign_in_and_activate(app, qloop, qtbot) -> str:
    """Welcome -> Log in (widgets) -> My accounts -> Activate -> registered; returns the account id."""
    w = app.window
    onboarding = w.onboarding
    assert app.vm.session.page == "welcome"
    qtbot.mouseClick(onboarding.to_login, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(onboarding.login, "0901 000 101")
    qtbot.keyClicks(onboarding.password, "agent101")
    qtbot.mouseClick(onboarding.do_login, Qt.MouseButton.LeftButton)
    run_until(qloop, lambda: app.vm.session.page == "accounts", 20, "accounts page after login")
    assert [a.extension for a in app.vm.session.server_accounts] == ["101"]
    run_until(qloop, onboarding.activate.isEnabled, 10, "activate button enabled")
    qtbot.mouseClick(onboarding.activate, Qt.MouseButton.LeftButton)
    run_until(qloop, lambda: app.vm.session.page == "ready", 20, "activation")
    account_id = app.vm.accounts.records()[0].account_id
    run_until(qloop, lambda: app.vm.accounts.is_registered(account_id), 20, "registered")
    return account_id


def test_login_activate_call_record_chat_dnd_reset(desktop, agent102: CliPeer, qloop, qtbot) -> None:
    app = desktop
    w = app.window
    sign_in_and_activate(app, qloop, qtbot)  # the phone number typed the way people type it
    assert w.root.currentWidget() is w.main
    assert "101: Registered" in w.registration.text()
    run_until(qloop, lambda: any(r.number == "102" for r in app.vm.contacts.colleagues()), 10, "directory")

    # call 102 from the dialer: typed digits, call button
    w.show_page("phone")
    qtbot.keyClicks(w.dialer.number, "102")
    qtbot.mouseClick(w.dialer.call_button, Qt.MouseButton.LeftButton)
    run_until(qloop, lambda: (c := app.vm.calls.active_call()) is not None and c.is_connected, 20, "answered")
    call = app.vm.calls.active_call()
    assert call.name == "Trần Thị Bình"
    assert w.phone.currentWidget() is w.call_view

    qtbot.mouseClick(w.call_view.record, Qt.MouseButton.LeftButton)
    run_until(qloop, lambda: app.vm.calls.active_call().recording, 10, "recording")
    assert not w.call_view.recording.isHidden()
    run_for(qloop, 2.5)
    qtbot.mouseClick(w.call_view.hangup, Qt.MouseButton.LeftButton)
    run_until(qloop, lambda: not app.vm.calls.has_calls(), 20, "hung up")
    entry = app.vm.history.entries()[0]
    assert (entry.direction, entry.disposition, entry.number) == ("outgoing", "answered", "102")
    assert entry.recording_path and Path(entry.recording_path).exists()
    levels = tone_levels(entry.recording_path, [440.0, 1000.0])
    assert levels[440.0] > 10 * max(levels[1000.0], 1e-9), levels

    # chat both ways
    app.vm.chat.open("sip:102@demo.local")
    assert app.vm.chat.send("Xin chào Bình")
    agent102.wait_for(lambda e: e["event"] == "MessageReceived" and e["text"] == "Xin chào Bình", 15)
    agent102.command("send_message", account_id="main", to_uri="sip:101@demo.local", text="Chào anh An")
    run_until(qloop, lambda: any(m.text == "Chào anh An" for m in app.vm.chat.messages()), 15, "chat reply")

    # DND: a call from 102 is rejected with 486
    app.vm.status.set_status("dnd")
    run_for(qloop, 0.5)
    mark = agent102.mark()
    agent102.command("make_call", account_id="main", target="101")
    ended = agent102.wait_state("disconnected", timeout=15, start=mark)
    assert ended["code"] == 486
    assert not app.vm.calls.has_calls()

    # reset wipes accounts and history
    app.vm.reset()
    run_until(qloop, lambda: app.vm.session.page == "welcome", 10, "welcome after reset")
    assert not app.vm.accounts.has_accounts() and app.vm.history.entries() == []


def hang_up_everything(*peers: CliPeer) -> None:
    for peer in peers:
        live = {
            e["call_id"]
            for e in peer.events
            if e["event"] == "CallStateChanged" and e["state"] == "confirmed"
        }
        ended = {
            e["call_id"]
            for e in peer.events
            if e["event"] == "CallStateChanged" and e["state"] == "disconnected"
        }
        for cid in live - ended:
            with contextlib.suppress(RuntimeError):  # ended meanwhile
                peer.command("hangup", call_id=cid)


def connected_calls(app) -> list:
    return [c for c in app.vm.calls.calls() if c.is_connected]


def test_hold_dtmf_transfers_and_conference(
    desktop, agent102: CliPeer, agent103: CliPeer, qloop, qtbot, tmp_path: Path
) -> None:
    app = desktop
    w = app.window
    sign_in_and_activate(app, qloop, qtbot)
    calls = app.vm.calls

    # hold / resume and DTMF from the in-call keypad
    app.vm.call_number("102")
    run_until(qloop, lambda: len(connected_calls(app)) == 1, 20, "102 answered")
    mark = agent102.mark()
    qtbot.mouseClick(w.call_view.hold, Qt.MouseButton.LeftButton)
    run_until(qloop, lambda: calls.active_call().held_local, 10, "held")
    agent102.wait_for(lambda e: e["event"] == "CallMediaChanged" and e["held_remote"], 10, start=mark)
    qtbot.mouseClick(w.call_view.hold, Qt.MouseButton.LeftButton)
    run_until(qloop, lambda: not calls.active_call().held_local, 10, "resumed")
    qtbot.mouseClick(w.call_view.keypad_button, Qt.MouseButton.LeftButton)
    five = next(b for b in w.call_view.keypad.findChildren(type(w.call_view.hangup)) if b.text() == "5")
    qtbot.mouseClick(five, Qt.MouseButton.LeftButton)
    agent102.wait_for(lambda e: e["event"] == "DtmfReceived" and e["digit"] == "5", 10, start=mark)

    # blind transfer 102 -> 103: our leg ends, 103 gets a call
    mark103 = agent103.mark()
    calls.blind_transfer("103")
    run_until(qloop, lambda: not calls.has_calls(), 20, "our leg ends after the blind transfer")
    agent103.wait_state("confirmed", timeout=20, start=mark103)
    hang_up_everything(agent102, agent103)
    run_for(qloop, 1.0)

    # attended transfer: call 102, consult 103, complete
    mark102, mark103 = agent102.mark(), agent103.mark()
    app.vm.call_number("102")
    run_until(qloop, lambda: len(connected_calls(app)) == 1, 20, "102 answered again")
    calls.start_consult("103")
    run_until(qloop, lambda: len(connected_calls(app)) == 2, 20, "103 answered the consultation")
    consult = calls.active_call()
    assert consult.consult_for is not None and not w.call_view.banner.isHidden()
    qtbot.mouseClick(w.call_view.complete, Qt.MouseButton.LeftButton)
    run_until(qloop, lambda: not calls.has_calls(), 20, "both our legs end after the attended transfer")
    agent102.wait_for(lambda e: e["event"] == "TransferRequested", 20, start=mark102)
    hang_up_everything(agent102, agent103)

    # conference: 102 + 103 merged; our recording hears both tones
    run_for(qloop, 1.0)
    app.vm.call_number("102")
    run_until(qloop, lambda: len(connected_calls(app)) == 1, 20, "102 answered (conference)")
    calls.add_call("103")
    run_until(qloop, lambda: len(connected_calls(app)) == 2, 20, "103 answered (conference)")
    qtbot.mouseClick(w.call_view.merge, Qt.MouseButton.LeftButton)
    run_until(qloop, lambda: all(c.in_conference for c in connected_calls(app)), 10, "merged")
    calls.toggle_recording()
    run_until(qloop, lambda: calls.active_call().recording, 10, "recording the conference")
    run_for(qloop, 2.5)
    path = calls.active_call().recording_path
    for c in list(calls.calls()):
        calls.hangup(c.call_id)
    run_until(qloop, lambda: not calls.has_calls(), 20, "conference ended")
    levels = tone_levels(path, [440.0, 880.0, 1500.0])
    assert levels[440.0] > 10 * levels[1500.0] and levels[880.0] > 10 * levels[1500.0], levels
