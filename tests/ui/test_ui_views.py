"""Views bound to view-models (stand-in engine): typing, paste, language switch, tray, shortcuts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QGuiApplication
from ui_screens import build, populate

from softphone.events import CallStateChanged, IncomingCall

pytestmark = [pytest.mark.ui, pytest.mark.unit]


@pytest.fixture
def desktop(qapp, tmp_path: Path):
    app, engine = build(qapp, tmp_path, "en")
    yield app, engine
    app.vm.shutdown()
    app.window.quitting = True
    app.window.close()
    app.incoming.close()
    app.tray.hide()


def test_dialer_typing_paste_and_call(desktop, qtbot) -> None:
    app, engine = desktop
    aid = populate(app, engine, app.qt)
    app.vm.session.go("ready")
    d = app.window.dialer
    qtbot.keyClicks(d.number, "0912 345")
    assert app.vm.dialer.number == "0912345"
    d.number.clear()
    app.vm.dialer.clear()
    mime = QMimeData()
    mime.setText("tel:+84 (912) 345-678")
    d.number.insertFromMimeData(mime)
    assert d.number.text() == "0912345678"
    assert d.formatted.text() == "0912 345 678"
    qtbot.mouseClick(d.call_button, Qt.MouseButton.LeftButton)
    assert engine.last("make_call") == (aid, "0912345678", "02873001234")


def test_language_switch_is_live(desktop, qtbot) -> None:
    app, _engine = desktop
    w = app.window
    assert w.sidebar.item(0).text().startswith("Phone")
    app.vm.settings.set_language("vi")
    qtbot.waitUntil(lambda: w.sidebar.item(0).text().startswith("Điện thoại"), timeout=3000)
    assert w.dialer.call_button.toolTip() == "Gọi (Enter)"
    assert app.tray.quit_action.text() == "Thoát"
    app.vm.settings.set_language("en")
    qtbot.waitUntil(lambda: w.sidebar.item(0).text().startswith("Phone"), timeout=3000)


def test_close_keeps_running_in_tray_and_tray_menu(desktop, qtbot) -> None:
    app, engine = desktop
    w = app.window
    w.show()
    w.close()
    assert w.isHidden() and not w.quitting
    app.tray.show_action.trigger()
    assert w.isVisible()
    app.tray.dnd_action.trigger()
    assert app.vm.status.dnd and engine.last("set_dnd") == (True,)
    assert app.tray.status_actions["dnd"].isChecked()
    app.tray.status_actions["away"].trigger()
    assert app.vm.status.status == "away" and not app.tray.dnd_action.isChecked()


def test_incoming_window_and_shortcuts(desktop, qtbot) -> None:
    app, engine = desktop
    aid = populate(app, engine, app.qt)
    app.vm.session.go("ready")
    w = app.window
    w.show()
    engine.emit(IncomingCall("in1", aid, "sip:102@demo.local", ""))
    qtbot.waitUntil(lambda: app.incoming.isVisible(), timeout=3000)
    assert app.incoming.name.text() == "Trần Thị Bình"
    assert w.current_page() == "phone" and w.phone.currentWidget() is w.call_view
    w.answer_ringing()  # what Ctrl+Shift+A triggers
    assert engine.last("answer") == ("in1",)
    engine.emit(CallStateChanged("in1", aid, "confirmed", 200, "OK", "incoming", "sip:102@demo.local"))
    qtbot.waitUntil(lambda: app.incoming.isHidden(), timeout=3000)
    app.vm.calls.hangup()  # what Ctrl+Shift+H triggers
    assert engine.last("hangup") == ("in1",)


def test_contacts_click_to_call_and_chat(desktop, qtbot) -> None:
    app, engine = desktop
    aid = populate(app, engine, app.qt)
    app.vm.session.go("ready")
    w = app.window
    w.show_page("contacts")
    colleague = w.contacts.tree.topLevelItem(0).child(0)
    w.contacts.tree.setCurrentItem(colleague)
    qtbot.mouseClick(w.contacts.call, Qt.MouseButton.LeftButton)
    assert engine.last("make_call")[:2] == (aid, "102")
    assert w.current_page() == "phone"
    w.show_page("contacts")
    w.contacts.tree.setCurrentItem(colleague)
    qtbot.mouseClick(w.contacts.chat, Qt.MouseButton.LeftButton)
    assert w.current_page() == "chat" and app.vm.chat.current == "102"


def test_contacts_import_csv(desktop, tmp_path: Path) -> None:
    app, _engine = desktop
    f = tmp_path / "khach.csv"
    f.write_text("Tên,Điện thoại\nKhách A,0912 111 222\nKhách B,+84987000111\n", encoding="utf-8")
    assert app.vm.contacts.import_file(f) == 2
    assert app.vm.contacts.resolve_name("0987000111") == "Khách B"
    assert app.vm.contacts.import_file(f) == 0  # same numbers are not duplicated


def test_history_call_back_and_play(desktop, qtbot) -> None:
    app, engine = desktop
    aid = populate(app, engine, app.qt)
    app.vm.session.go("ready")
    h = app.window.history
    app.window.show_page("history")
    qtbot.mouseClick(h.filter_buttons["missed"], Qt.MouseButton.LeftButton)
    assert [e.disposition for e in app.vm.history.entries()] == ["missed"]
    qtbot.mouseClick(h.filter_buttons["all"], Qt.MouseButton.LeftButton)
    recorded = next(
        i
        for i in range(h.tree.topLevelItemCount())
        if h.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole).recording_path
    )
    h.tree.setCurrentItem(h.tree.topLevelItem(recorded))
    app.vm.history.playRequested.disconnect()  # do not open a real media player in tests
    with qtbot.waitSignal(app.vm.history.playRequested, timeout=1000) as played:
        qtbot.mouseClick(h.play, Qt.MouseButton.LeftButton)
    assert played.args[0].endswith("rec.wav")
    qtbot.mouseClick(h.call_back, Qt.MouseButton.LeftButton)
    assert engine.last("make_call")[:2] == (aid, "0912345678")
    assert QGuiApplication.instance() is not None


def test_mic_meter_runs_only_while_the_audio_settings_are_on_screen(desktop, qtbot) -> None:
    app, engine = desktop
    populate(app, engine, app.qt)
    app.vm.session.go("ready")
    w = app.window
    w.show()
    w.show_page("settings")
    s = w.settings
    s.tabs.setCurrentWidget(s._audio_tab)
    qtbot.waitUntil(lambda: engine.names().count("set_mic_meter") >= 1, timeout=3000)
    assert engine.last("set_mic_meter") == (True,)
    w.show_page("phone")
    qtbot.waitUntil(lambda: engine.last("set_mic_meter") == (False,), timeout=3000)
    w.show_page("settings")
    qtbot.waitUntil(lambda: engine.last("set_mic_meter") == (True,), timeout=3000)
    s.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: engine.last("set_mic_meter") == (False,), timeout=3000)
