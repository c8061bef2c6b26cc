"""The desktop app's resources ship inside the wheel and are found from a non-editable install; app icons."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "ui" / "resources" / "icons"
WANTED = (
    "ui/resources/__init__.py",
    "ui/resources/i18n/softphone_vi.qm",
    "ui/resources/icons/app.svg",
    "ui/resources/icons/app.ico",
    "ui/resources/icons/app.icns",
    "ui/resources/icons/call.svg",
    "ui/resources/sounds/ringtone.wav",
)
NETWORK_HINTS = ("No matching distribution", "Could not find a version", "NewConnectionError", "Network is")


def _copy_sources(dest: Path) -> None:
    """Only what the wheel is built from: other helpers' build/ or egg-info must not leak in or be touched."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("softphone", "ui", "server"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    out = tmp_path_factory.mktemp("wheel")
    _copy_sources(src)
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if r.returncode != 0 and any(h in r.stdout + r.stderr for h in NETWORK_HINTS):
        pytest.skip("pip could not fetch the build backend (setuptools>=77) from the package index")
    assert r.returncode == 0, r.stderr[-3000:]
    (whl,) = out.glob("softphone-*.whl")
    return whl


@pytest.mark.ui
@pytest.mark.slow
def test_wheel_contains_icons_translations_and_ringtone(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in WANTED if n not in names]
    assert missing == []
    svgs = {p.name for p in ICONS.glob("*.svg")}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("ui/resources/icons/")} >= svgs


@pytest.mark.ui
@pytest.mark.slow
def test_installed_wheel_loads_translation_icons_and_ringtone(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=120,
    )
    probe = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from ui.i18n import Translations\n"
        "from ui.resources import RESOURCES_DIR\n"
        "from ui.views.common import icon\n"
        "from ui.views.texts import status_text\n"
        "app = QApplication([])\n"
        "assert str(RESOURCES_DIR).startswith(sys.argv[1]), RESOURCES_DIR\n"
        "assert Translations(app).apply('vi') and status_text('dnd') == 'Không làm phiền'\n"
        "assert not icon('call').pixmap(32, 32).isNull()\n"
        "assert (RESOURCES_DIR / 'sounds' / 'ringtone.wav').stat().st_size > 1000\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run(
        [sys.executable, "-c", probe, str(target.resolve())],
        env=env,
        cwd=tmp_path,  # not the checkout, whose ui/ would shadow the installed one
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-3000:]


@pytest.mark.ui
@pytest.mark.unit
def test_windows_and_macos_icons_hold_every_size(qapp) -> None:
    from PySide6.QtGui import QImageReader

    def sizes(path: Path) -> list[int]:
        reader = QImageReader(str(path))
        out = []
        for i in range(reader.imageCount()):
            reader.jumpToImage(i)
            image = reader.read()
            assert not image.isNull() and image.width() == image.height()
            assert image.pixelColor(image.width() // 2, image.height() // 4).alpha() == 255  # not blank
            out.append(image.width())
        return sorted(out)

    assert sizes(ICONS / "app.ico") == [16, 24, 32, 48, 64, 128, 256]
    assert sizes(ICONS / "app.icns") == [16, 32, 64, 128, 256, 512, 1024]
    spec = (ROOT / "packaging" / "softphone.spec").read_text(encoding="utf-8")
    assert '"app.icns"' in spec and '"app.ico"' in spec and "icon=str(ICON)" in spec


@pytest.mark.ui
@pytest.mark.unit
def test_icon_generator_writes_decodable_containers(qapp, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import make_icons
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    shutil.copy(ICONS / "app.svg", tmp_path / "app.svg")
    written = make_icons.main(tmp_path)
    assert {p.name for p in written} == {"app.png", "app.ico", "app.icns"}
    ico = (tmp_path / "app.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00" and int.from_bytes(ico[4:6], "little") == 7
    icns = (tmp_path / "app.icns").read_bytes()
    assert icns[:4] == b"icns" and int.from_bytes(icns[4:8], "big") == len(icns)
