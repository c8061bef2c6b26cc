"""The desktop app against the real server (``softphone-server run --demo``) and the real pjsua2 engine.

A headless ``softphone-cli`` registered as 102 auto-answers and plays 440 Hz; the app (offscreen Qt, null
sound device) logs in as 101 through the onboarding widgets, activates, registers, calls 102 from the dialer,
records the call (the WAV must contain 440 Hz), chats both ways, rejects a call in DND and is reset.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt

from softphone.testing import CliPeer, free_port, stop_process_group, tone_levels

pytestmark = [pytest.mark.ui, pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def snapshot(widget, name: str) -> None:
    """Keep what the real app showed at this step (offscreen rendering) next to the Xvfb screenshots."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.resize(900, 660)
    widget.grab().save(str(SHOTS / f"real-{name}.png"))


async def until(pred: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Let the app run (Qt events and coroutines on the qasync loop) until ``pred()`` holds."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not reached in {timeout}s: {what}")
        await asyncio.sleep(0.05)


def on_qt_loop(test: Callable[..., Any]) -> Callable[..., Any]:
    """Run an async test body on the qasync loop (the app's coroutines need a running loop, as in main())."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> Any:
        return kwargs["qloop"].run_until_complete(test(*args, **kwargs))

    return run


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    stop_process_group(proc, grace=10)


def _start_server(data: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]] | None:
    http_port, sip_port = free_port(), free_port()
    log_path = data / f"server-{http_port}.log"
    with open(log_path, "wb") as log:
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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{http_port}/api/v1/health", timeout=1).status_code == 200:
                return proc, {"http": http_port, "sip": sip_port, "log": log_path}
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    _stop_group(proc)
    return None


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("server")
    for _attempt in range(3):  # a free port can be taken by someone else between probe and bind
        started = _start_server(data)
        if started is not None:
            break
    else:
        logs = "\n".join(p.read_text(errors="replace")[-1500:] for p in data.glob("server-*.log"))
        raise RuntimeError(f"softphone-server did not start:\n{logs}")
    proc, info = started
    try:
        yield info
    finally:
        _stop_group(proc)


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
def agent102(demo_server: dict[str, Any]) -> Iterator[CliPeer]:
    peer = start_agent(demo_server["sip"], "102", 440.0)
    yield peer
    peer.quit()
    peer.kill()


@pytest.fixture
def agent103(demo_server: dict[str, Any]) -> Iterator[CliPeer]:
    peer = start_agent(demo_server["sip"], "103", 880.0)
    yield peer
    peer.quit()
    peer.kill()


@pytest.fixture
def desktop(qapp, qloop, demo_server, tmp_path: Path):
    from softphone.config import EngineConfig
    from softphone.engine import Engine
    from softphone.history import StoreLog
    from softphone.secrets import MemorySecrets
    from softphone.services import Profile, Services, client_factory
    from softphone.store import HistoryStore
    from ui.app import build_app
    from ui.engine_link import EngineLink

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


async def sign_in_and_activate(app, qtbot) -> str:
    """Welcome -> Log in (widgets) -> My accounts -> Activate -> registered; returns the account id."""
    w = app.window
    onboarding = w.onboarding
    assert app.vm.session.page == "welcome"
    qtbot.mouseClick(onboarding.to_login, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(onboarding.login, "0901 000 101")
    qtbot.keyClicks(onboarding.password, "agent101")
    qtbot.mouseClick(onboarding.do_login, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.session.page == "accounts", 20, "accounts page after login")
    assert [a.extension for a in app.vm.session.server_accounts] == ["101"]
    await until(onboarding.activate.isEnabled, 10, "activate button enabled")
    qtbot.mouseClick(onboarding.activate, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.session.page == "ready", 20, "activation")
    account_id = app.vm.accounts.records()[0].account_id
    await until(lambda: app.vm.accounts.is_registered(account_id), 20, "registered")
    return account_id


@on_qt_loop
async def test_login_activate_call_record_chat_dnd_reset(
    desktop, agent102: CliPeer, demo_server, qloop, qtbot
) -> None:
    app = desktop
    w = app.window
    # a colleague writes while we are offline: the PBX keeps it until we register
    await asyncio.to_thread(
        agent102.command,
        "send_message",
        account_id="main",
        to_uri="sip:101@demo.local",
        text="Tin nhắn lúc offline",
    )
    await sign_in_and_activate(app, qtbot)  # the phone number typed the way people type it
    await until(
        lambda: any(c.last_text == "Tin nhắn lúc offline" for c in app.vm.chat.conversations()),
        20,
        "offline message delivered on login",
    )
    assert app.vm.chat.unread_total() == 1
    assert w.root.currentWidget() is w.main
    assert "101: Registered" in w.registration.text()
    snapshot(w, "registered")
    await until(lambda: any(r.number == "102" for r in app.vm.contacts.colleagues()), 10, "directory")

    # call 102 from the dialer: typed digits, call button
    w.show_page("phone")
    qtbot.keyClicks(w.dialer.number, "102")
    qtbot.mouseClick(w.dialer.call_button, Qt.MouseButton.LeftButton)
    await until(lambda: (c := app.vm.calls.active_call()) is not None and c.is_connected, 20, "answered")
    call = app.vm.calls.active_call()
    assert call.name == "Trần Thị Bình"
    snapshot(w, "in-call-with-102")
    # live presence: the PBX reports 102 on the phone while we talk to them
    await until(
        lambda: app.vm.contacts.presence_of("sip:102@demo.local") in ("on_the_phone", "busy"),
        15,
        f"102 shown on the phone ({app.vm.contacts.presence_of('sip:102@demo.local')})",
    )
    assert w.phone.currentWidget() is w.call_view

    qtbot.mouseClick(w.call_view.record, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.calls.active_call().recording, 10, "recording")
    assert not w.call_view.recording.isHidden()
    await asyncio.sleep(2.5)
    qtbot.mouseClick(w.call_view.hangup, Qt.MouseButton.LeftButton)
    await until(lambda: not app.vm.calls.has_calls(), 20, "hung up")
    entry = app.vm.history.entries()[0]
    assert (entry.direction, entry.disposition, entry.number) == ("outgoing", "answered", "102")
    assert entry.recording_path and Path(entry.recording_path).exists()
    levels = tone_levels(entry.recording_path, [440.0, 1000.0])
    assert levels[440.0] > 10 * max(levels[1000.0], 1e-9), levels

    # the test-call button reaches the PBX's echo service
    qtbot.mouseClick(w.dialer.test_call, Qt.MouseButton.LeftButton)
    await until(
        lambda: (c := app.vm.calls.active_call()) is not None and c.is_connected, 20, "echo test answered"
    )
    assert app.vm.calls.active_call().number == "*43"
    app.vm.calls.hangup()
    await until(lambda: not app.vm.calls.has_calls(), 15, "echo test ended")

    # chat both ways
    app.vm.chat.open("sip:102@demo.local")
    assert app.vm.chat.send("Xin chào Bình")
    await asyncio.to_thread(
        agent102.wait_for, lambda e: e["event"] == "MessageReceived" and e["text"] == "Xin chào Bình", 15
    )
    await asyncio.to_thread(
        agent102.command, "send_message", account_id="main", to_uri="sip:101@demo.local", text="Chào anh An"
    )
    await until(lambda: any(m.text == "Chào anh An" for m in app.vm.chat.messages()), 15, "chat reply")

    # 102 calls us: the notification window names the caller from the directory; answer from it
    mark = agent102.mark()
    await asyncio.to_thread(agent102.command, "make_call", account_id="main", target="101")
    await until(
        lambda: app.incoming.call_id is not None and not app.incoming.isHidden(), 15, "incoming window"
    )
    assert app.incoming.name.text() == "Trần Thị Bình"
    qtbot.mouseClick(app.incoming.answer, Qt.MouseButton.LeftButton)
    await until(
        lambda: len([c for c in app.vm.calls.calls() if c.is_connected]) == 1, 15, "answered incoming"
    )
    await asyncio.to_thread(agent102.wait_state, "confirmed", timeout=10, start=mark)
    assert app.incoming.isHidden()
    qtbot.mouseClick(w.call_view.hangup, Qt.MouseButton.LeftButton)
    await until(lambda: not app.vm.calls.has_calls(), 15, "hung up incoming")

    # auto-answer after a 2 s countdown shown in the notification window
    countdowns: list[str] = []
    app.vm.calls.changed.connect(lambda: countdowns.append(app.incoming.countdown.text()))
    app.vm.settings.set_auto_answer(True, 2)
    mark = agent102.mark()
    await asyncio.to_thread(agent102.command, "make_call", account_id="main", target="101")
    await asyncio.to_thread(agent102.wait_state, "confirmed", timeout=15, start=mark)
    assert any(c.endswith(("2 s", "1 s")) for c in countdowns), countdowns
    app.vm.calls.hangup()
    await until(lambda: not app.vm.calls.has_calls(), 15, "hung up auto-answered call")
    app.vm.settings.set_auto_answer(False)

    # DND: a call from 102 is rejected with 486
    app.vm.status.set_status("dnd")
    await asyncio.sleep(0.5)
    mark = agent102.mark()
    await asyncio.to_thread(agent102.command, "make_call", account_id="main", target="101")
    ended = await asyncio.to_thread(agent102.wait_state, "disconnected", timeout=15, start=mark)
    assert ended["code"] == 486
    assert not app.vm.calls.has_calls()

    # reset wipes accounts, keyring entries (SIP password, API tokens), history and chats
    secrets = app.services.secrets
    token_key = f"api:http://127.0.0.1:{demo_server['http']}/api/v1:refresh_token"
    assert secrets.get("sip-password:101@demo.local") and secrets.get(token_key)
    app.vm.reset()
    await until(lambda: app.vm.session.page == "welcome", 10, "welcome after reset")
    await until(lambda: secrets.get(token_key) is None, 10, "API tokens forgotten")
    assert secrets.get("sip-password:101@demo.local") is None
    assert not app.vm.accounts.has_accounts() and app.vm.history.entries() == []
    assert app.vm.chat.conversations() == [] and app.services.call_log.list_calls() == []


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


@on_qt_loop
async def test_hold_dtmf_transfers_and_conference(
    desktop, agent102: CliPeer, agent103: CliPeer, qloop, qtbot, tmp_path: Path
) -> None:
    app = desktop
    w = app.window
    await sign_in_and_activate(app, qtbot)
    calls = app.vm.calls

    # hold / resume and DTMF from the in-call keypad
    app.vm.call_number("102")
    await until(lambda: len(connected_calls(app)) == 1, 20, "102 answered")
    mark = agent102.mark()
    qtbot.mouseClick(w.call_view.hold, Qt.MouseButton.LeftButton)
    await until(lambda: calls.active_call().held_local, 10, "held")
    await asyncio.to_thread(
        agent102.wait_for, lambda e: e["event"] == "CallMediaChanged" and e["held_remote"], 10, start=mark
    )
    qtbot.mouseClick(w.call_view.hold, Qt.MouseButton.LeftButton)
    await until(lambda: not calls.active_call().held_local, 10, "resumed")
    qtbot.mouseClick(w.call_view.keypad_button, Qt.MouseButton.LeftButton)
    five = next(b for b in w.call_view.keypad.findChildren(type(w.call_view.hangup)) if b.text() == "5")
    qtbot.mouseClick(five, Qt.MouseButton.LeftButton)
    await asyncio.to_thread(
        agent102.wait_for, lambda e: e["event"] == "DtmfReceived" and e["digit"] == "5", 10, start=mark
    )

    # blind transfer 102 -> 103: our leg ends, 103 gets a call
    mark103 = agent103.mark()
    calls.blind_transfer("103")
    await until(lambda: not calls.has_calls(), 20, "our leg ends after the blind transfer")
    await asyncio.to_thread(agent103.wait_state, "confirmed", timeout=20, start=mark103)
    await asyncio.to_thread(hang_up_everything, agent102, agent103)
    await asyncio.sleep(1.0)

    # attended transfer: call 102, consult 103, complete
    mark102, mark103 = agent102.mark(), agent103.mark()
    app.vm.call_number("102")
    await until(lambda: len(connected_calls(app)) == 1, 20, "102 answered again")
    calls.start_consult("103")
    await until(lambda: len(connected_calls(app)) == 2, 20, "103 answered the consultation")
    consult = calls.active_call()
    assert consult.consult_for is not None and not w.call_view.banner.isHidden()
    qtbot.mouseClick(w.call_view.complete, Qt.MouseButton.LeftButton)
    await until(lambda: not calls.has_calls(), 20, "both our legs end after the attended transfer")
    await asyncio.to_thread(agent102.wait_for, lambda e: e["event"] == "TransferRequested", 20, start=mark102)
    await asyncio.to_thread(hang_up_everything, agent102, agent103)

    # conference: 102 + 103 merged; our recording hears both tones
    await asyncio.sleep(1.0)
    app.vm.call_number("102")
    await until(lambda: len(connected_calls(app)) == 1, 20, "102 answered (conference)")
    calls.add_call("103")
    await until(lambda: len(connected_calls(app)) == 2, 20, "103 answered (conference)")
    qtbot.mouseClick(w.call_view.merge, Qt.MouseButton.LeftButton)
    await until(lambda: all(c.in_conference for c in connected_calls(app)), 10, "merged")
    calls.toggle_recording()
    await until(lambda: calls.active_call().recording, 10, "recording the conference")
    await asyncio.sleep(2.5)
    path = calls.active_call().recording_path
    for c in list(calls.calls()):
        calls.hangup(c.call_id)
    await until(lambda: not calls.has_calls(), 20, "conference ended")
    levels = tone_levels(path, [440.0, 880.0, 1500.0])
    assert levels[440.0] > 10 * levels[1500.0] and levels[880.0] > 10 * levels[1500.0], levels


def api(demo_server: dict[str, Any]) -> str:
    return f"http://127.0.0.1:{demo_server['http']}/api/v1"


@on_qt_loop
async def test_register_with_sms_code(desktop, demo_server, qloop, qtbot) -> None:
    import re

    app = desktop
    onboarding = app.window.onboarding
    qtbot.mouseClick(onboarding.to_register, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(onboarding.phone, "0912 777 001")
    qtbot.mouseClick(onboarding.send_code, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.session.page == "register_code", 20, "code page")
    log_path: Path = demo_server["log"]
    code = ""

    def sms_arrived() -> bool:
        nonlocal code
        found = re.findall(r"SMS to 84912777001: .*?(\d{4,8})", log_path.read_text(errors="replace"))
        code = found[-1] if found else ""
        return bool(code)

    await until(sms_arrived, 10, "SMS in the console sender's log")
    qtbot.keyClicks(onboarding.code, code)
    qtbot.mouseClick(onboarding.verify, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.session.page == "register_details", 20, "details page")
    # (QTest cannot synthesise key events for Vietnamese letters: set them like an input method would)
    onboarding.full_name.setText("Đặng Thu Hà")
    onboarding.company.setText("Công ty Hà Thu")
    qtbot.keyClicks(onboarding.new_password, "matkhau-2026")
    qtbot.mouseClick(onboarding.create, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.session.page == "accounts", 20, "my accounts after sign-up")
    assert app.vm.session.user.full_name == "Đặng Thu Hà"


@on_qt_loop
async def test_config_refresh_settings_mobile_qr_and_relogin(desktop, demo_server, qloop, qtbot) -> None:
    app = desktop
    account_id = await sign_in_and_activate(app, qtbot)
    assert app.vm.accounts.record(account_id).outbound_allowed

    # the admin forbids outside calls: the next refresh sees a new revision and re-installs the account
    admin = httpx.post(
        f"{api(demo_server)}/auth/login", json={"login": "84901000100", "password": "admin1234"}
    )
    headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
    users = httpx.get(f"{api(demo_server)}/admin/users", headers=headers).json()
    an = next(u for u in users if u["phone"] == "84901000101")
    before = app.vm.accounts.record(account_id).revision
    r = httpx.patch(
        f"{api(demo_server)}/admin/users/{an['id']}", json={"allow_outbound": False}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert await app.vm.session.refresh_provisioning_async() == 1
    record = app.vm.accounts.record(account_id)
    assert record.revision > before and not record.outbound_allowed
    with qtbot.waitSignal(app.vm.dialer.error, timeout=2000) as err:
        app.vm.dialer.call("0912345678")
    assert err.args == ["outbound_forbidden"]
    await until(lambda: app.vm.accounts.is_registered(account_id), 20, "still registered after modify")

    # ring method self-setting reaches the server
    assert app.vm.settings.set_ring_method("mobile", "0912 345 678")
    key = f"api:{api(demo_server)}"
    mine = {"Authorization": f"Bearer {app.services.secrets.get(f'{key}:access_token')}"}

    def server_settings() -> dict[str, Any]:
        return httpx.get(f"{api(demo_server)}/me/settings", headers=mine).json()

    await until(
        lambda: server_settings().get("ring_method") == "mobile", 10, "ring method saved on the server"
    )
    assert server_settings()["mobile_number"] == "84912345678"

    # "Provision my mobile" shows the server's one-time QR code
    from ui.views.mobile_dialog import MobileProvisioningDialog

    dialog = MobileProvisioningDialog(app.vm.session)
    await until(lambda: dialog.qr.pixmap() is not None and not dialog.qr.pixmap().isNull(), 15, "QR shown")
    assert dialog.qr.pixmap().width() >= 200
    dialog.close()

    # the session ends on the server (refresh token revoked, access token stale): back to the login page
    secrets = app.services.secrets
    refresh = secrets.get(f"{key}:refresh_token")
    httpx.post(f"{api(demo_server)}/auth/logout", json={"refresh_token": refresh})
    secrets.set(f"{key}:access_token", "stale")
    await app.vm.session.refresh_provisioning_async()
    assert app.vm.session.page == "login" and app.vm.session.relogin
    assert app.window.root.currentWidget() is app.window.onboarding
    assert app.window.onboarding.password.text() == ""  # never left filled in
    app.window.onboarding.login.clear()
    qtbot.keyClicks(app.window.onboarding.login, "agent101@demo.local")
    qtbot.keyClicks(app.window.onboarding.password, "agent101")
    qtbot.mouseClick(app.window.onboarding.do_login, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.session.page == "ready", 20, "back to work after re-login")
    assert app.vm.accounts.is_registered(account_id)


@on_qt_loop
async def test_outbound_call_shows_the_chosen_hotline(desktop, demo_server, qloop, qtbot) -> None:
    """The hotline picked in the dialer (or 'adaptive') is the caller ID the carrier trunk receives."""
    app = desktop
    carrier_port = free_port()
    admin = httpx.post(
        f"{api(demo_server)}/auth/login", json={"login": "84901000100", "password": "admin1234"}
    )
    headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
    an = next(
        u
        for u in httpx.get(f"{api(demo_server)}/admin/users", headers=headers).json()
        if u["phone"] == "84901000101"
    )
    assert (
        httpx.patch(
            f"{api(demo_server)}/admin/users/{an['id']}", json={"allow_outbound": True}, headers=headers
        ).status_code
        == 200
    )  # other tests of this module may have forbidden it
    for h in httpx.get(f"{api(demo_server)}/admin/hotlines", headers=headers).json():
        r = httpx.patch(
            f"{api(demo_server)}/admin/hotlines/{h['id']}", json={"trunk_port": carrier_port}, headers=headers
        )
        assert r.status_code == 200, r.text
    carrier = CliPeer(
        ["--listen-port", str(carrier_port), "--user", "carrier", "--wait", "--auto-answer", "0.2"],
        name="carrier",
    )
    try:
        await sign_in_and_activate(app, qtbot)
        d = app.window.dialer
        assert d.hotline.count() == 3  # adaptive + two company hotlines
        for choice, number, shown in (
            ("02873005678", "0912345678", "02873005678"),
            ("adaptive", "0961234567", "02873001234"),
        ):  # 096: Viettel -> Viettel line
            d.hotline.setCurrentIndex(d.hotline.findData(choice))
            d.hotline.activated.emit(d.hotline.currentIndex())
            assert app.vm.dialer.hotline == choice
            mark = carrier.mark()
            app.vm.dialer.set_number(number)
            qtbot.mouseClick(d.call_button, Qt.MouseButton.LeftButton)
            incoming = await asyncio.to_thread(
                carrier.wait_for, lambda e: e["event"] == "IncomingCall", 20, start=mark
            )
            assert shown in incoming["remote_uri"], incoming
            assert "x-hotline" not in {k.lower() for k in incoming.get("headers", {})}
            await until(lambda: app.vm.calls.has_calls(), 10, "call listed")
            app.vm.calls.hangup()
            await until(lambda: not app.vm.calls.has_calls(), 20, "hung up")
    finally:
        carrier.quit()
        carrier.kill()


@on_qt_loop
async def test_call_forwarding_from_settings(desktop, demo_server, qloop, qtbot) -> None:
    """Settings > Calls > Call forwarding: a wrong extension is refused next to its rule; the fixed rules
    are stored on the server (`/me/forwarding`), in English and Vietnamese."""
    app = desktop
    await sign_in_and_activate(app, qtbot)
    admin = httpx.post(
        f"{api(demo_server)}/auth/login", json={"login": "84901000100", "password": "admin1234"}
    )
    headers = {"Authorization": f"Bearer {admin.json()['access_token']}"}
    users = httpx.get(f"{api(demo_server)}/admin/users", headers=headers).json()
    me = next(u for u in users if u["phone"] == "84901000101")
    r = httpx.patch(
        f"{api(demo_server)}/admin/users/{me['id']}", json={"allow_outbound": True}, headers=headers
    )
    assert r.status_code == 200, r.text

    w = app.window
    w.show()
    w.show_page("settings")
    view = w.settings
    view.tabs.setCurrentIndex(2)  # Calls
    box = view.forwarding
    vm = app.vm.forwarding
    await until(lambda: vm.state == "" and box.save.isEnabled(), 15, "forwarding loaded")
    busy = box.rows["busy"]
    busy.enabled.setChecked(True)
    busy.kind.setCurrentIndex(busy.kind.findData("extension"))
    busy.target.setText("999")
    qtbot.mouseClick(box.save, Qt.MouseButton.LeftButton)
    await until(lambda: vm.state == "invalid", 15, "the server refuses extension 999")
    assert "No such extension" in busy.error.text() and busy.error.isVisible()
    assert not box.rows["always"].error.isVisible()
    snapshot(w, "forwarding-error")

    busy.target.setText("102")
    no_answer = box.rows["no_answer"]
    no_answer.enabled.setChecked(True)
    no_answer.target.setText("103")
    no_answer.seconds.setValue(8)
    unreachable = box.rows["unreachable"]
    unreachable.enabled.setChecked(True)
    unreachable.kind.setCurrentIndex(unreachable.kind.findData("external"))
    unreachable.target.setText("0912 345 678")
    qtbot.mouseClick(box.save, Qt.MouseButton.LeftButton)
    await until(lambda: vm.state == "saved", 15, "saved")
    assert not busy.error.isVisible() and "Saved" in box.status.text()
    assert unreachable.target.text() == "84912345678"  # as the server stores it
    snapshot(w, "forwarding-saved")

    key = f"api:{api(demo_server)}"
    mine = {"Authorization": f"Bearer {app.services.secrets.get(f'{key}:access_token')}"}
    stored = httpx.get(f"{api(demo_server)}/me/forwarding", headers=mine).json()
    assert stored["busy"] == {
        "enabled": True, "target_kind": "extension", "target": "102", "seconds": 20, "target_missing": False
    }
    assert stored["no_answer"]["seconds"] == 8 and stored["no_answer"]["target"] == "103"
    assert stored["unreachable"]["target"] == "84912345678" and not stored["always"]["enabled"]

    app.vm.settings.set_language("en")  # the preference may say vi while this test app started in en
    app.vm.settings.set_language("vi")
    await until(lambda: box.title() == "Chuyển tiếp cuộc gọi", 5, "Vietnamese")
    assert busy.enabled.text() == "Khi tôi bận"
    snapshot(w, "forwarding-saved-vi")
    app.vm.settings.set_language("en")
    httpx.put(f"{api(demo_server)}/me/forwarding", json={}, headers=mine)
