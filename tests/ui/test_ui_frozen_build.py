"""The Linux build as users get it: PyInstaller from packaging/softphone.spec and the .deb, then the frozen
app's own self-test against the real demo server (packaging/check_frozen_app.py): it starts offscreen, logs in
through its widgets, activates, registers, calls 102 and hears 102's 440 Hz tone in its recording."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.ui,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None, reason="needs the packaging extra"),
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed"),
]


@pytest.mark.timeout(900)
def test_frozen_app_logs_in_registers_and_calls(tmp_path: Path) -> None:
    dist, work = tmp_path / "dist", tmp_path / "build"
    build = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build_linux.py"), "--dist", str(dist), "--work",
         str(work)],
        capture_output=True, text=True, timeout=800, cwd=ROOT,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-4000:]
    (deb,) = dist.glob("softphone_*_amd64.deb")
    check = subprocess.run(
        [
            sys.executable, str(ROOT / "packaging" / "check_frozen_app.py"), str(dist / "Softphone"),
            "--deb", str(deb),
        ],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert '"step": "call"' in check.stdout and "heard its tone" in check.stdout
