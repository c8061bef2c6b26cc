"""A new agent's walkthrough of the desktop app against the demo server, one screenshot a step.

Run it under Xvfb for real X11 rendering and look at the pictures (test-artifacts/walkthrough/)::

    scripts/walkthrough   # xvfb-run -a pytest tests/ui/test_ui_walkthrough.py with QT_QPA_PLATFORM=xcb

Welcome -> log in with the demo login -> the company account -> Activate -> dial an extension (internal) and
a phone number (out, caller ID) -> *43 echo test -> a call to 102: hold, keypad, transfer list -> chat with
delivery state -> DND -> History -> every Settings tab -> Vietnamese -> Queues and Voicemail. Checks what
the issue found confusing, by the widgets' state; the pictures are for the eye.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from test_ui_real_flows import (  # noqa: F401  (fixtures)
    agent102,
    demo_server,
    desktop,
    on_qt_loop,
    until,
)

from softphone.testing import CliPeer
from ui.views.call_view import TargetDialog
from ui.views.settings_view import AccountSettingsDialog

pytestmark = [pytest.mark.ui, pytest.mark.integration, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "walkthrough"


class Camera:
    def __init__(self) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.n = 0

    async def shot(self, widget: QWidget, name: str) -> Path:
        await asyncio.sleep(0.2)  # let posted layout and paint events run first
        self.n += 1
        path = SHOTS / f"{self.n:02d}-{name}.png"
        widget.grab().save(str(path))
        return path


@on_qt_loop
async def test_new_agent_walkthrough(desktop, agent102: CliPeer, qloop, qtbot) -> None:  # noqa: F811
    app = desktop
    w = app.window
    cam = Camera()
    w.resize(960, 680)
    w.show()
    await asyncio.sleep(0.3)
    await cam.shot(w, "welcome")
    onboarding = w.onboarding
    qtbot.mouseClick(onboarding.to_login, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(onboarding.login, "0901000101")
    qtbot.keyClicks(onboarding.password, "agent101")
    await cam.shot(w, "login-form")
    qtbot.mouseClick(onboarding.do_login, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.session.page == "accounts", 20, "accounts page after login")
    await until(onboarding.activate.isEnabled, 10, "activate button enabled")
    await cam.shot(w, "company-accounts")
    qtbot.mouseClick(onboarding.activate, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.session.page == "ready", 20, "activation")
    account_id = app.vm.accounts.records()[0].account_id
    await until(lambda: app.vm.accounts.is_registered(account_id), 20, "registered")
    await asyncio.sleep(0.5)
    await cam.shot(w, "activated")

    # dialer: an extension is an internal call, a phone number goes out with the caller ID
    w.show_page("phone")
    qtbot.keyClicks(w.dialer.number, "102")
    await asyncio.sleep(0.2)
    assert app.vm.dialer.internal
    await cam.shot(w, "dial-extension")
    app.vm.dialer.clear()
    qtbot.keyClicks(w.dialer.number, "0912345678")
    await asyncio.sleep(0.2)
    assert not app.vm.dialer.internal
    await cam.shot(w, "dial-phone-number")
    app.vm.dialer.clear()

    # the echo test: labelled, not a bare "*43"
    qtbot.mouseClick(w.dialer.test_call, Qt.MouseButton.LeftButton)
    await until(lambda: (c := app.vm.calls.active_call()) is not None and c.is_connected, 20, "echo test")
    await asyncio.sleep(0.5)
    await cam.shot(w, "echo-test")
    app.vm.calls.hangup()
    await until(lambda: not app.vm.calls.has_calls(), 15, "echo test ended")

    # a call to 102: hold, keypad, transfer list
    qtbot.keyClicks(w.dialer.number, "102")
    qtbot.mouseClick(w.dialer.call_button, Qt.MouseButton.LeftButton)
    await until(lambda: (c := app.vm.calls.active_call()) is not None and c.is_connected, 20, "102 answered")
    await asyncio.sleep(1.5)
    await cam.shot(w, "in-call")
    qtbot.mouseClick(w.call_view.hold, Qt.MouseButton.LeftButton)
    await until(lambda: app.vm.calls.active_call().held_local, 10, "held")
    await asyncio.sleep(0.5)
    await cam.shot(w, "on-hold")
    qtbot.mouseClick(w.call_view.hold, Qt.MouseButton.LeftButton)
    await until(lambda: not app.vm.calls.active_call().held_local, 10, "resumed")
    qtbot.mouseClick(w.call_view.keypad_button, Qt.MouseButton.LeftButton)
    await cam.shot(w, "in-call-keypad")
    qtbot.mouseClick(w.call_view.hide_keypad, Qt.MouseButton.LeftButton)
    # the transfer dialog as the button opens it (shown, not exec'd: a nested loop inside this coroutine)
    dialog = TargetDialog(w.call_view._colleagues, "Transfer call", [("blind", "Transfer now")], w)
    dialog.show()
    await asyncio.sleep(0.3)
    await cam.shot(dialog, "transfer-list")
    offered = [dialog.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(dialog.list.count())]
    dialog.close()
    assert "101" not in offered and "102" not in offered, offered
    app.vm.calls.hangup()
    await until(lambda: not app.vm.calls.has_calls(), 15, "hung up")

    # contacts: colleagues with presence, never yourself
    w.show_page("contacts")
    await cam.shot(w, "contacts")
    assert "101" not in [r.number for r in app.vm.contacts.colleagues()]

    # chat: a new conversation shows at once; the sent message gets its delivery state
    w.show_page("chat")
    app.vm.chat.open("sip:102@demo.local")
    await asyncio.sleep(0.3)
    await cam.shot(w, "chat-new-conversation")
    w.chat.input.setText("Chào Bình, mình là An")  # keyClicks takes ASCII only
    qtbot.mouseClick(w.chat.send, Qt.MouseButton.LeftButton)
    await asyncio.to_thread(agent102.wait_for, lambda e: e["event"] == "MessageReceived", 15)
    await asyncio.sleep(1.0)
    await cam.shot(w, "chat-delivered")

    # DND: one control in the status list
    app.vm.status.set_status("dnd")
    await asyncio.sleep(0.5)
    await cam.shot(w, "dnd")
    app.vm.status.set_status("available")

    w.show_page("history")
    await asyncio.sleep(0.3)
    await cam.shot(w, "history")

    w.show_page("settings")
    tabs = w.settings.tabs
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        await cam.shot(w, f"settings-{i}")
        if tabs.widget(i).isAncestorOf(w.settings.speaker_test):
            w.settings.speaker_test.click()  # it says it plays, until it has played
            await cam.shot(w, "settings-test-speaker")
            assert not w.settings.speaker_test.isEnabled()
    # per account: transport, SRTP, codec order, DTMF, ringtone (the dialog Edit… opens, shown not exec'd)
    record = app.vm.accounts.records()[0]
    dialog = AccountSettingsDialog(record, app.vm.settings.codecs, app.vm.settings, w)
    dialog.show()
    await cam.shot(dialog, "account-settings")
    dialog.close()
    w.settings.copy_diag.click()
    assert "softphone" in QApplication.clipboard().text().lower()

    app.vm.settings.set_language("vi")
    await asyncio.sleep(0.5)
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        await cam.shot(w, f"settings-{i}-vi")
    assert w.settings.copied.text() and "Copied" not in w.settings.copied.text()  # re-said in Vietnamese
    w.show_page("chat")
    await cam.shot(w, "chat-vi")
    w.show_page("history")
    await cam.shot(w, "history-vi")
    w.show_page("phone")
    await cam.shot(w, "dialer-vi")
    app.vm.settings.set_language("en")
    await asyncio.sleep(0.5)

    w.show_page("queues")
    await asyncio.sleep(1.0)
    await cam.shot(w, "queues")
    w.show_page("voicemail")
    await asyncio.sleep(1.0)
    await cam.shot(w, "voicemail")
