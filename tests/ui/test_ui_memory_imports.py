"""The desktop app keeps heavy libraries out of its process (bench/bench_app_memory.py measures it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import sys, tempfile
from pathlib import Path
from PySide6.QtWidgets import QApplication
from softphone.config import EngineConfig
from softphone.services import Profile, make_services
from ui.app import build_app
from ui.engine_link import EngineLink
import softphone.audio, softphone.engine

qt = QApplication([])
base = Path(tempfile.mkdtemp())
services = make_services(Profile(base / "c", base / "d"), config=EngineConfig(null_audio=True))
desktop = build_app(qt, EngineLink(), services, profile=Profile(base / "c", base / "d"), language="en")
desktop.window.show()
qt.processEvents()
heavy = ("numpy", "keyring", "secretstorage", "cryptography", "importlib_metadata", "rich", "pygments")
print("LOADED", [m for m in heavy if sys.modules.get(m) is not None])
services.close()
"""


@pytest.mark.integration
def test_the_app_never_imports_numpy_keyring_or_the_httpx_cli(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-c", CODE], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert "LOADED []" in proc.stdout, proc.stdout + proc.stderr[-3000:]


def test_imports_after_pyside_keep_no_source_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """shiboken's import hook read every imported module's source into linecache (~10 MB in the app)."""
    import importlib
    import linecache

    import PySide6.QtCore  # the hook is active once PySide6 is imported

    import ui.pyside_imports

    assert ui.pyside_imports.install()
    (tmp_path / "plain_module_13.py").write_text("VALUE = 1\n" * 2000)
    (tmp_path / "qt_module_13.py").write_text("from PySide6 import QtCore\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    linecache.clearcache()
    plain = importlib.import_module("plain_module_13")
    qt_user = importlib.import_module("qt_module_13")
    assert not linecache.cache
    assert not ui.pyside_imports.mentions_pyside(plain)
    assert ui.pyside_imports.mentions_pyside(qt_user)
    assert not ui.pyside_imports.mentions_pyside(PySide6.QtCore)
