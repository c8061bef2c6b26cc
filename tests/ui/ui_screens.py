"""Builds the desktop app with a stand-in engine, fills it with realistic state and saves a PNG per screen.

Run as ``python -m tests.ui.screens OUT_DIR LANG`` (under Xvfb for real X11 rendering); test_screenshots.py
does that. Every PNG is grabbed from the real widgets.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget
from ui_fakes import FakeEngine

from softphone.account_book import HotlineChoice
from softphone.audio import AudioDevice
from softphone.events import (
    CallMediaChanged,
    CallStateChanged,
    IncomingCall,
    MessageReceived,
    MicLevel,
    PresenceChanged,
    RecordingChanged,
    RegistrationChanged,
)
from softphone.history import CallLogEntry, MemoryLog
from softphone.provisioning import AccountSummary, Colleague
from softphone.secrets import MemorySecrets
from softphone.services import Profile, Services
from ui.app import DesktopApp, build_app
from ui.engine_link import EngineLink

PAGES = ("phone", "history", "contacts", "chat", "settings")


def pump(app: QApplication, seconds: float = 0.15) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def build(qt: QApplication, tmp: Path, language: str) -> tuple[DesktopApp, FakeEngine]:
    engine = FakeEngine()
    engine.devices = [
        AudioDevice(0, "Built-in Audio Analog Stereo", "ALSA", 2, 2, True, True, 48000.0),
        AudioDevice(1, "Jabra EVOLVE 20 MS", "ALSA", 1, 2, False, False, 16000.0),
    ]
    link = EngineLink()
    engine.on_event = link.deliver
    link.attach(engine)
    log = MemoryLog()
    now = time.time()
    log.calls = [
        CallLogEntry(
            "h1",
            "101@demo.local",
            "incoming",
            "sip:0912345678@demo.local",
            "Nguyễn Văn An",
            now - 600,
            now - 595,
            now - 400,
            "answered",
            str(tmp / "rec.wav"),
        ),
        CallLogEntry(
            "h2",
            "101@demo.local",
            "incoming",
            "sip:102@demo.local",
            "Trần Thị Bình",
            now - 300,
            None,
            now - 290,
            "missed",
        ),
        CallLogEntry(
            "h3",
            "101@demo.local",
            "outgoing",
            "sip:02873001234@demo.local",
            "",
            now - 100,
            now - 95,
            now - 20,
            "answered",
        ),
    ]
    services = Services(
        engine_factory=lambda _cb: engine,
        secrets=MemorySecrets(),
        call_log=log,
        chat_log=log,
        client_factory=lambda _u: None,
    )
    profile = Profile(config_dir=tmp / "config", data_dir=tmp / "data")
    app = build_app(qt, link, services, profile=profile, language=language)
    app.vm.settings.remember(language=language)
    return app, engine


def populate(app: DesktopApp, engine: FakeEngine, qt: QApplication) -> str:
    vm = app.vm
    rec = vm.accounts.add_manual(
        extension="101", password="demo101", domain="demo.local", display_name="Nguyễn Văn An"
    )
    assert rec is not None
    vm.accounts._replace(
        rec.with_(
            hotlines=(HotlineChoice("02873001234", "Tổng đài", "viettel", True),),
            adaptive_number=True,
            company_name="Demo",
        )
    )
    engine.emit(RegistrationChanged(rec.account_id, "registered", 200, "OK"))
    vm.settings.apply_to_engine()
    engine.emit(MicLevel(0.55))
    vm.contacts.set_directory(
        [
            Colleague(2, "Trần Thị Bình", ("102",), "sip:102@demo.local", "sip:102@demo.local"),
            Colleague(3, "Lê Văn Cường", ("103",), "sip:103@demo.local", "sip:103@demo.local"),
            Colleague(4, "Phạm Thu Dung", ("104",), "sip:104@demo.local", "sip:104@demo.local"),
        ]
    )
    vm.contacts.add_personal("Khách hàng ABC", "0912345678", "Công ty ABC")
    engine.emit(PresenceChanged(rec.account_id, "sip:102@demo.local", "available", ""))
    engine.emit(PresenceChanged(rec.account_id, "sip:103@demo.local", "on_the_phone", ""))
    engine.emit(
        MessageReceived(
            rec.account_id,
            "sip:102@demo.local",
            "Anh ơi, khách 0912 345 678 gọi lại nhé",
            "text/plain",
            time.time() - 60,
        )
    )
    engine.emit(
        MessageReceived(rec.account_id, "sip:103@demo.local", "Họp lúc 3 giờ", "text/plain", time.time() - 30)
    )
    pump(qt)
    return rec.account_id


def save(widget: QWidget, path: Path, qt: QApplication) -> None:
    pump(qt, 0.2)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(path)), path


def capture_all(out: Path, language: str, tmp: Path) -> list[Path]:
    qt = QApplication.instance() or QApplication(["screens"])
    assert isinstance(qt, QApplication)
    app, engine = build(qt, tmp, language)
    w = app.window
    w.resize(900, 660)
    w.show()
    shots: list[Path] = []

    def shot(name: str, widget: QWidget | None = None) -> None:
        p = out / f"{language}-{name}.png"
        save(widget or w, p, qt)
        shots.append(p)

    app.vm.session.go("welcome")
    shot("welcome")
    app.vm.session.go("login")
    shot("login")
    app.vm.session.server_accounts = [
        AccountSummary(7, "Demo", "demo.local", "101", "Nguyễn Văn An", "desktop", "101")
    ]
    app.vm.session.go("accounts")
    shot("my-accounts")
    aid = populate(app, engine, qt)
    app.vm.session.go("ready")
    app.vm.dialer.set_number("0912345678")
    for page in PAGES:
        w.show_page(page)
        if page == "contacts":
            w.contacts.tree.setCurrentItem(w.contacts.tree.topLevelItem(0).child(0))
        if page == "chat":
            app.vm.chat.open("sip:102@demo.local")
            app.vm.chat.send("Dạ, em gọi lại ngay")
        shot(page)
    for i, tab in enumerate(("accounts", "audio", "calls", "general")):
        w.show_page("settings")
        w.settings.tabs.setCurrentIndex(i)
        shot(f"settings-{tab}")

    # a call in progress, recorded, with a second call ringing and then a consult (attended transfer)
    w.show_page("phone")
    app.vm.calls.dial(aid, "0912345678")
    pump(qt)
    cid = app.vm.calls.active_call_id
    assert cid is not None
    engine.emit(
        CallStateChanged(cid, aid, "confirmed", 200, "OK", "outgoing", "sip:0912345678@demo.local", 75.0)
    )
    engine.emit(RecordingChanged(cid, str(tmp / "r.wav"), True))
    pump(qt)
    app.vm.calls.refresh_quality()
    pump(qt)
    shot("in-call")
    engine.emit(IncomingCall("in9", aid, "sip:102@demo.local", ""))
    pump(qt)
    shot("incoming-window", app.incoming)
    app.vm.calls.decline("in9")
    engine.emit(CallStateChanged("in9", aid, "disconnected", 486, "Busy", "incoming", "sip:102@demo.local"))
    app.vm.calls.start_consult("103")
    pump(qt)
    cons = app.vm.calls.active_call_id
    assert cons is not None and cons != cid
    engine.emit(CallMediaChanged(cid, True, False, False))
    engine.emit(CallStateChanged(cons, aid, "confirmed", 200, "OK", "outgoing", "sip:103@demo.local", 5.0))
    pump(qt)
    shot("consult-transfer")

    # after the calls: Do not disturb on, and the account's registration failing (server unreachable)
    for c in app.vm.calls.calls():
        engine.emit(CallStateChanged(c.call_id, aid, "disconnected", 200, "OK", c.direction, c.remote_uri))
    app.vm.status.set_status("dnd")
    engine.emit(RegistrationChanged(aid, "failed", 408, "Request Timeout"))
    pump(qt)
    shot("dnd-registration-failed")
    app.quit()
    return shots


if __name__ == "__main__":
    import tempfile

    out_dir = Path(sys.argv[1])
    lang = sys.argv[2]
    with tempfile.TemporaryDirectory() as d:
        for p in capture_all(out_dir, lang, Path(d)):
            print(p)
