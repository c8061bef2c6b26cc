"""Single instance: a second launch forwards tel:/sip:/callto: links and --call to the running app."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ui.single_instance import SingleInstance, default_server_name

BIN = Path(sys.executable).parent


@pytest.mark.ui
@pytest.mark.unit
def test_forward_reaches_the_primary(qtbot, tmp_path: Path) -> None:
    name = default_server_name(str(tmp_path))
    primary = SingleInstance(name)
    second = SingleInstance(name)
    assert not second.forward("show"), "nobody listens yet"
    assert primary.listen()
    try:
        with qtbot.waitSignal(primary.messageReceived, timeout=3000) as got:
            assert second.forward("call 0912345678")
        assert got.args == ["call 0912345678"]
    finally:
        primary.close()
        qtbot.wait(50)


@pytest.mark.ui
@pytest.mark.slow
def test_second_launch_forwards_a_tel_link_and_exits(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SOFTPHONE_NULL_AUDIO": "1", "SOFTPHONE_LOG": "INFO"}
    profile = str(tmp_path / "profile")
    log_path = tmp_path / "first.log"
    with open(log_path, "wb") as log:
        first = subprocess.Popen(
            [str(BIN / "softphone"), "--profile", profile, "--language", "en"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 30
        while "pjsua version" not in log_path.read_text(errors="replace"):
            assert first.poll() is None, log_path.read_text()[-2000:]
            assert time.monotonic() < deadline, "first instance did not start"
            time.sleep(0.2)
        second = subprocess.run(
            [str(BIN / "softphone"), "--profile", profile, "tel:+84 912 345 678"],
            env=env,
            timeout=30,
            capture_output=True,
        )
        assert second.returncode == 0
        deadline = time.monotonic() + 10
        while "request from another launch: call 0912345678" not in log_path.read_text(errors="replace"):
            assert time.monotonic() < deadline, log_path.read_text()[-2000:]
            time.sleep(0.1)
    finally:
        first.terminate()
        try:
            first.wait(15)
        except subprocess.TimeoutExpired:
            first.kill()
            first.wait(5)
