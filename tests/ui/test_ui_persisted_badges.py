"""Unread chat and missed-call badges survive an app restart (real SQLite HistoryStore, real prefs)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from ui_fakes import FakeEngine

from softphone.events import CallStateChanged, IncomingCall, MessageReceived
from softphone.history import open_history
from softphone.secrets import MemorySecrets
from softphone.services import Profile, Services
from ui.app import DesktopApp, build_app
from ui.engine_link import EngineLink
from ui.views.main_window import PAGES

pytestmark = [pytest.mark.ui, pytest.mark.unit]

AID = "101@demo.local"


def badge(app: DesktopApp, page: str) -> int:
    row = PAGES.index(page)
    m = re.search(r"\((\d+)\)", app.window.sidebar.item(row).text())
    return int(m.group(1)) if m else 0


@pytest.fixture
def launch(qapp: QApplication, tmp_path: Path) -> Iterator[Callable[[], tuple[DesktopApp, FakeEngine]]]:
    """Starts the app on one profile; each call is a fresh launch after the previous one quit."""
    profile = Profile(config_dir=tmp_path / "config", data_dir=tmp_path / "data")
    running: list[tuple[DesktopApp, Callable[[], None]]] = []

    def stop() -> None:
        while running:
            app, close_log = running.pop()
            app.vm.shutdown()
            app.window.quitting = True
            app.window.close()
            app.incoming.close()
            app.tray.hide()
            close_log()

    def start() -> tuple[DesktopApp, FakeEngine]:
        stop()
        engine = FakeEngine()
        link = EngineLink()
        engine.on_event = link.deliver
        link.attach(engine)
        log, close_log = open_history(profile.history_db)
        services = Services(
            engine_factory=lambda _cb: engine,
            secrets=MemorySecrets(),
            call_log=log,
            chat_log=log,
            client_factory=lambda _u: None,
        )
        app = build_app(qapp, link, services, profile=profile, language="en")
        running.append((app, close_log))
        return app, engine

    yield start
    stop()


def test_unread_chats_and_missed_calls_survive_restart(launch, qtbot) -> None:
    app, engine = launch()
    now = time.time()
    engine.emit(MessageReceived(AID, "sip:102@demo.local", "Anh ơi gọi lại", "text/plain", now - 50))
    engine.emit(MessageReceived(AID, "sip:102@demo.local", "Khách đang chờ", "text/plain", now - 40))
    engine.emit(MessageReceived(AID, "sip:103@demo.local", "Họp lúc 3 giờ", "text/plain", now - 30))
    engine.emit(IncomingCall("in1", AID, "sip:0912345678@demo.local", "Khách"))
    engine.emit(CallStateChanged("in1", AID, "disconnected", 487, "Request Terminated", "incoming"))
    qtbot.waitUntil(lambda: badge(app, "chat") == 3 and badge(app, "history") == 1, timeout=5000)

    app, engine = launch()
    qtbot.waitUntil(lambda: badge(app, "chat") == 3, timeout=5000)
    assert {c.peer: c.unread for c in app.vm.chat.conversations()} == {"102": 2, "103": 1}
    assert badge(app, "history") == 1
    app.window.show_page("chat")
    app.vm.chat.open("sip:102@demo.local")
    qtbot.waitUntil(lambda: badge(app, "chat") == 1, timeout=5000)
    app.window.show_page("history")
    qtbot.waitUntil(lambda: badge(app, "history") == 0, timeout=5000)

    app, engine = launch()
    qtbot.waitUntil(lambda: badge(app, "chat") == 1, timeout=5000)
    assert {c.peer: c.unread for c in app.vm.chat.conversations()} == {"102": 0, "103": 1}
    assert badge(app, "history") == 0
    # a call missed after the agent last looked at history counts again
    engine.emit(IncomingCall("in2", AID, "sip:0912000111@demo.local", ""))
    engine.emit(CallStateChanged("in2", AID, "disconnected", 487, "Request Terminated", "incoming"))
    qtbot.waitUntil(lambda: badge(app, "history") == 1, timeout=5000)


def test_message_read_while_conversation_is_open_is_not_unread_after_restart(launch, qtbot) -> None:
    app, engine = launch()
    app.vm.session.go("ready")
    app.window.show()
    app.window.show_page("chat")
    app.vm.chat.open("sip:102@demo.local")
    qtbot.waitUntil(lambda: app.window.chat.isVisible(), timeout=5000)
    engine.emit(MessageReceived(AID, "sip:102@demo.local", "Đã xong", "text/plain", time.time()))
    qtbot.waitUntil(lambda: len(app.vm.chat.messages()) == 1, timeout=5000)
    assert badge(app, "chat") == 0
    app, engine = launch()
    assert app.vm.chat.unread_total() == 0
    assert [c.unread for c in app.vm.chat.conversations()] == [0]
