"""Main window: DND toggle and banner, registration failure reason, in-call quality, chat bubbles."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from ui_screens import build, populate

from softphone.events import CallStateChanged, MessageReceived, RegistrationChanged

pytestmark = [pytest.mark.ui, pytest.mark.unit]


@pytest.fixture
def desktop(qapp, tmp_path: Path):
    app, engine = build(qapp, tmp_path, "en")
    aid = populate(app, engine, app.qt)
    app.vm.session.go("ready")
    app.window.show()
    yield app, engine, aid
    app.vm.shutdown()
    app.window.quitting = True
    app.window.close()
    app.incoming.close()
    app.tray.hide()


def test_dnd_toggle_in_main_window_follows_tray_and_status(desktop, qtbot) -> None:
    app, engine, _aid = desktop
    w = app.window
    assert w.dnd.isVisible() and w.dnd.text().strip() == "Do not disturb" and not w.dnd.isChecked()
    assert w.dnd_banner.isHidden()
    qtbot.mouseClick(w.dnd, Qt.MouseButton.LeftButton)
    assert app.vm.status.dnd and engine.last("set_dnd") == (True,)
    assert w.dnd.isChecked() and w.dnd_banner.isVisible()
    assert "incoming calls are rejected" in w.dnd_banner.text()
    assert w.status.currentData() == "dnd" and app.tray.dnd_action.isChecked()
    app.tray.dnd_action.trigger()  # off again from the tray
    assert not app.vm.status.dnd and engine.last("set_dnd") == (False,)
    assert not w.dnd.isChecked() and w.dnd_banner.isHidden()
    app.vm.settings.set_language("vi")
    qtbot.waitUntil(lambda: w.dnd.text().strip() == "Không làm phiền", timeout=3000)
    app.vm.settings.set_language("en")  # translators live on the shared QApplication
    qtbot.waitUntil(lambda: w.dnd.text().strip() == "Do not disturb", timeout=3000)


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        (401, "Unauthorized", "Registration failed: wrong password (401)"),
        (408, "Request Timeout", "Registration failed: server not reachable (408)"),
        (0, "", "Registration failed: server not reachable"),
        (500, "Server Internal Error", "Registration failed: Server Internal Error (500)"),
    ],
)
def test_registration_failure_says_why(desktop, qtbot, code: int, reason: str, expected: str) -> None:
    app, engine, aid = desktop
    label = app.window.registration
    engine.emit(RegistrationChanged(aid, "failed", code, reason))
    qtbot.waitUntil(lambda: label.text() == f"101: {expected}", timeout=3000)
    assert label.objectName() == "error" and "Settings" in label.toolTip()
    assert label.wordWrap()  # a long Vietnamese reason wraps instead of being cut
    engine.emit(RegistrationChanged(aid, "registered", 200, "OK"))
    qtbot.waitUntil(lambda: label.text() == "101: Registered", timeout=3000)
    assert label.objectName() == "subtitle" and label.toolTip() == ""


def test_in_call_quality_indicator_refreshes_by_itself(desktop, qtbot) -> None:
    app, engine, aid = desktop
    app.vm.calls.dial(aid, "0912345678")
    qtbot.waitUntil(lambda: app.vm.calls.active_call_id is not None, timeout=3000)
    cid = app.vm.calls.active_call_id
    engine.emit(CallStateChanged(cid, aid, "confirmed", 200, "OK", "outgoing", "sip:0912345678@demo.local"))
    quality = app.window.call_view.quality
    # no refresh_quality() call here: the call timer asks the engine for stats on its own
    qtbot.waitUntil(lambda: "Quality: excellent" in quality.text(), timeout=10_000)
    assert "call_stats" in engine.names()
    assert "▂▄▆█" in quality.text() and quality.isVisible()
    assert "PCMU 8 kHz" in quality.toolTip() and "MOS: 4.2" in quality.toolTip()
    assert "Packet loss: 0.0 %" in quality.toolTip() and "Not encrypted" in quality.toolTip()
    engine.mos = 2.6
    qtbot.waitUntil(lambda: "Quality: poor" in quality.text(), timeout=10_000)
    assert "#c92a2a" in quality.text()  # red bar


def test_chat_bubble_keeps_phone_numbers_on_one_line(desktop, qtbot) -> None:
    app, engine, aid = desktop
    w = app.window
    w.resize(900, 660)
    w.show_page("chat")
    app.vm.chat.open("sip:102@demo.local")
    engine.emit(MessageReceived(aid, "sip:102@demo.local", "Gọi 0912 345 678", "text/plain", 1.7e9))

    def bubble() -> QLabel | None:
        labels = w.chat.findChildren(QLabel)
        return next(
            (b for b in labels if b.objectName() == "bubbleIn" and b.isVisible() and "Gọi" in b.text()), None
        )

    qtbot.waitUntil(lambda: bubble() is not None, timeout=3000)
    b = bubble()
    assert b is not None and "0912\u00a0345\u00a0678" in b.text()
    assert b.width() >= b.fontMetrics().horizontalAdvance("Gọi 0912 345 678")


def test_smallest_window_fits_vietnamese_without_overlap_or_clipping(desktop, qtbot) -> None:
    from PySide6.QtWidgets import QPushButton

    app, _engine, _aid = desktop
    w = app.window
    app.vm.settings.set_language("vi")
    qtbot.waitUntil(lambda: w.dnd.text().strip() == "Không làm phiền", timeout=3000)
    try:
        w.resize(w.minimumSize())
        w.show_page("phone")
        qtbot.waitUntil(lambda: w.size() == w.minimumSize() and w.dialer.isVisible(), timeout=3000)
        keys = [b for b in w.dialer.keypad.findChildren(QPushButton) if b.objectName() == "key"]
        assert len(keys) == 12
        for i, a in enumerate(keys):
            assert a.height() >= 44, a.text()
            assert not any(a.geometry().intersects(b.geometry()) for b in keys[i + 1 :]), a.text()
        w.show_page("settings")
        qtbot.waitUntil(lambda: w.settings.sign_in.isVisible(), timeout=3000)
        buttons = (w.settings.sign_in, w.settings.add_ext, w.settings.mobile, w.dnd)
        qtbot.waitUntil(lambda: all(b.width() >= b.sizeHint().width() for b in buttons), timeout=3000)
        w.show_page("history")
        qtbot.waitUntil(lambda: w.history.search.isVisible(), timeout=3000)
        search = w.history.search
        assert search.mapTo(w, search.rect().bottomRight()).x() < w.width()
    finally:
        app.vm.settings.set_language("en")
        qtbot.waitUntil(lambda: w.dnd.text().strip() == "Do not disturb", timeout=3000)
