"""Translations are complete and compiled; every main screen renders under Xvfb in vi and en."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "ui" / "resources" / "i18n" / "softphone_vi.ts"
QM = ROOT / "ui" / "resources" / "i18n" / "softphone_vi.qm"
BIN = Path(sys.executable).parent
SHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.mark.ui
@pytest.mark.unit
def test_every_ui_string_has_a_vietnamese_translation(tmp_path: Path) -> None:
    lupdate = BIN / "pyside6-lupdate"
    if not lupdate.exists():
        pytest.skip("pyside6-lupdate not installed")
    fresh = tmp_path / "vi.ts"
    shutil.copy(TS, fresh)
    subprocess.run(
        [str(lupdate), "-silent", "-extensions", "py", "-no-obsolete", str(ROOT / "ui"), "-ts", str(fresh)],
        check=True,
        timeout=60,
    )
    untranslated = [
        m.findtext("source")
        for m in ET.parse(fresh).getroot().iter("message")
        if (m.find("translation").get("type") == "unfinished")
    ]
    assert untranslated == [], f"add Vietnamese for: {untranslated}"
    compiled = tmp_path / "vi.qm"
    subprocess.run(
        [str(BIN / "pyside6-lrelease"), "-silent", str(TS), "-qm", str(compiled)], check=True, timeout=60
    )
    assert compiled.read_bytes() == QM.read_bytes(), "softphone_vi.qm is stale: run pyside6-lrelease"


@pytest.mark.ui
def test_vietnamese_is_applied_live(qapp, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    from ui.i18n import Translations
    from ui.views.texts import status_text

    t = Translations(qapp)
    assert t.apply("vi")
    assert status_text("dnd") == "Không làm phiền"
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Hủy"  # Qt ships no qtbase_vi
    t.apply("en")
    assert status_text("dnd") == "Do not disturb"


@pytest.fixture
def xvfb_display() -> str:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb not installed")
    r, w = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(w,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    try:
        with os.fdopen(r) as f:
            number = f.readline().strip()
        assert number, "Xvfb did not report a display"
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.ui
@pytest.mark.slow
def test_screenshots_of_every_main_screen_vi_and_en(xvfb_display: str) -> None:
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb"}
    env.pop("WAYLAND_DISPLAY", None)
    shots: dict[str, list[Path]] = {}
    for lang in ("vi", "en"):
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("ui_screens.py")), str(SHOTS), lang],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert out.returncode == 0, out.stderr[-3000:]
        shots[lang] = [Path(line) for line in out.stdout.split() if line.endswith(".png")]
    assert len(shots["vi"]) == len(shots["en"]) >= 15
    for vi, en in zip(shots["vi"], shots["en"], strict=True):
        assert vi.stat().st_size > 3000 and en.stat().st_size > 3000
        assert vi.read_bytes() != en.read_bytes(), f"{vi.name} is not translated"


@pytest.mark.ui
def test_language_from_the_command_line_is_what_settings_shows_and_switches(qapp, tmp_path: Path) -> None:
    from ui_fakes import FakeEngine

    from softphone.history import MemoryLog
    from softphone.secrets import MemorySecrets
    from softphone.services import Profile, Services
    from ui.app import build_app
    from ui.engine_link import EngineLink

    engine, link, log = FakeEngine(), EngineLink(), MemoryLog()
    engine.on_event = link.deliver
    link.attach(engine)
    services = Services(
        engine_factory=lambda _cb: engine, secrets=MemorySecrets(), call_log=log, chat_log=log,
        client_factory=lambda _u: None,
    )
    # the preference defaults to Vietnamese; --language en wins and becomes the preference
    profile = Profile(tmp_path / "config", tmp_path / "data")
    app = build_app(qapp, link, services, profile=profile, language="en")
    try:
        settings = app.window.settings
        assert settings.language.currentData() == "en"
        assert settings.lbl_language.text() == "Language"
        app.vm.settings.set_language("vi")
        qapp.processEvents()  # LanguageChange events are posted
        assert settings.lbl_language.text() == "Ngôn ngữ"
        assert settings.language.currentData() == "vi"
    finally:
        app.translations.apply("en")
        app.window.quitting = True
        app.window.close()
        app.tray.hide()
