"""Main window: DND toggle and banner, registration failure reason, in-call quality, chat bubbles."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from ui_screens import build, populate

from softphone.events import CallMediaChanged, CallStateChanged, MessageReceived, RegistrationChanged

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


def dnd_item(w) -> str:
    return w.status.itemText(w.status.findData("dnd"))


def test_dnd_is_one_status_with_its_own_colour_and_shape(desktop, qtbot) -> None:
    from ui.views.texts import STATUS_COLORS

    app, engine, _aid = desktop
    w = app.window
    assert not hasattr(w, "dnd")  # no second DND control beside the status selector
    assert dnd_item(w) == "Do not disturb" and w.dnd_banner.isHidden()
    assert STATUS_COLORS["dnd"] != STATUS_COLORS["busy"]
    dnd_dot = w.status.itemIcon(w.status.findData("dnd")).pixmap(12, 12).toImage()
    busy_dot = w.status.itemIcon(w.status.findData("busy")).pixmap(12, 12).toImage()
    assert dnd_dot.pixelColor(6, 6).name() == "#ffffff"  # DND's white bar
    assert busy_dot.pixelColor(6, 6).name() == STATUS_COLORS["busy"]
    app.vm.status.set_status("away")
    w.status.setCurrentIndex(w.status.findData("dnd"))
    w.status.activated.emit(w.status.currentIndex())
    assert app.vm.status.dnd and engine.last("set_dnd") == (True,)
    assert w.dnd_banner.isVisible() and "incoming calls are rejected" in w.dnd_banner.text()
    assert app.tray.dnd_action.isChecked()
    app.tray.dnd_action.trigger()  # off again from the tray: back to the status before DND
    assert app.vm.status.status == "away" and engine.last("set_dnd") == (False,)
    assert w.dnd_banner.isHidden() and w.status.currentData() == "away"
    app.vm.settings.set_language("vi")
    qtbot.waitUntil(lambda: dnd_item(w) == "Không làm phiền", timeout=3000)
    app.vm.settings.set_language("en")  # translators live on the shared QApplication
    qtbot.waitUntil(lambda: dnd_item(w) == "Do not disturb", timeout=3000)


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
    assert "Packet loss: 0.0 %" in quality.toolTip() and "plain RTP (not encrypted)" in quality.toolTip()
    security = app.window.call_view.security
    assert "Not encrypted" in security.text() and "Signalling: UDP" in security.toolTip()
    engine.srtp_suite = "AES_CM_128_HMAC_SHA1_80"
    qtbot.waitUntil(lambda: "lock.svg" in security.text() and "Encrypted" in security.text(), timeout=10_000)
    assert "AES_CM_128_HMAC_SHA1_80" in security.toolTip()
    engine.mos = 2.6
    qtbot.waitUntil(lambda: "Quality: poor" in quality.text(), timeout=10_000)
    assert "#c92a2a" in quality.text()  # red bar
    engine.emit(CallMediaChanged(cid, True, False, False))  # on hold: no audio, so no quality verdict
    qtbot.waitUntil(lambda: quality.text() == "", timeout=3000)


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
    qtbot.waitUntil(lambda: dnd_item(w) == "Không làm phiền", timeout=3000)
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
        buttons = (w.settings.sign_in, w.settings.add_ext, w.settings.mobile, w.status)
        qtbot.waitUntil(lambda: all(b.width() >= b.sizeHint().width() for b in buttons), timeout=3000)
        w.show_page("history")
        qtbot.waitUntil(lambda: w.history.search.isVisible(), timeout=3000)
        search = w.history.search
        assert search.mapTo(w, search.rect().bottomRight()).x() < w.width()
    finally:
        app.vm.settings.set_language("en")
        qtbot.waitUntil(lambda: dnd_item(w) == "Do not disturb", timeout=3000)


def test_in_call_keypad_fits_and_closes_for_the_next_call(desktop, qtbot) -> None:
    from PySide6.QtWidgets import QPushButton

    app, engine, aid = desktop
    w = app.window
    w.resize(w.minimumSize())
    app.vm.calls.dial(aid, "102")
    qtbot.waitUntil(lambda: app.vm.calls.active_call_id is not None, timeout=3000)
    first = app.vm.calls.active_call_id
    engine.emit(CallStateChanged(first, aid, "confirmed", 200, "OK", "outgoing", "sip:102@demo.local"))
    view = w.call_view
    qtbot.waitUntil(lambda: view.keypad_button.isEnabled() and view.isVisible(), timeout=3000)
    view.keypad_button.setChecked(True)
    qtbot.waitUntil(lambda: view.keypad.isVisible(), timeout=3000)
    keys = [b for b in view.keypad.findChildren(QPushButton) if b.objectName() == "key"]
    for i, a in enumerate(keys):
        assert a.height() >= 44, a.text()
        assert not any(a.geometry().intersects(b.geometry()) for b in keys[i + 1 :]), a.text()
        bottom = a.mapTo(w, a.rect().bottomLeft()).y()
        assert bottom < w.height(), f"key {a.text()} clipped"
    # hang-up alone sits on the centre line of the buttons above it
    hang = view.hangup.mapTo(view, view.hangup.rect().center()).x()
    grid = view.actions.mapTo(view, view.actions.rect().center()).x()
    assert abs(hang - grid) <= 2
    engine.emit(CallStateChanged(first, aid, "disconnected", 200, "OK", "outgoing", "sip:102@demo.local"))
    app.vm.calls.dial(aid, "103")
    qtbot.waitUntil(lambda: app.vm.calls.active_call_id not in (None, first), timeout=3000)
    qtbot.waitUntil(lambda: not view.keypad_button.isChecked(), timeout=3000)
