"""Global hotkeys and the headset's play/pause key on a real X server (Xvfb): the keys are grabbed on the root
window and a key press synthesised with XTest, while no window of ours has the focus, reaches the app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed"),
]

SCRIPT = textwrap.dedent(
    """
    import ctypes, ctypes.util, sys, time
    from PySide6.QtWidgets import QApplication
    from ui.hotkeys import XF86_AUDIO_PLAY, GlobalHotkeys, available, x11_combo

    app = QApplication([])
    assert available(), app.platformName()
    keys = GlobalHotkeys()
    got = []
    keys.activated.connect(got.append)
    grabbed = keys.set_keys({"answer": x11_combo("Ctrl+Shift+A"), "media": (XF86_AUDIO_PLAY, 0)})
    x11 = ctypes.CDLL(ctypes.util.find_library("X11"))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    xtst = ctypes.CDLL(ctypes.util.find_library("Xtst"))
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    d = x11.XOpenDisplay(None)
    def press(*keysyms):
        codes = [x11.XKeysymToKeycode(d, k) for k in keysyms]
        for c in codes:
            xtst.XTestFakeKeyEvent(d, c, 1, 0)
        for c in reversed(codes):
            xtst.XTestFakeKeyEvent(d, c, 0, 0)
        x11.XFlush(d)
    CONTROL_L, SHIFT_L, A = 0xFFE3, 0xFFE1, ord("a")
    press(CONTROL_L, SHIFT_L, A)
    press(XF86_AUDIO_PLAY)
    press(A)  # not grabbed: nothing
    end = time.monotonic() + 5
    while len(got) < 2 and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    keys.close()
    print("grabbed", sorted(grabbed), "got", got)
    sys.exit(0 if got == ["answer", "media"] else 1)
    """
)


def test_hotkeys_reach_the_app_from_anywhere(tmp_path: Path) -> None:
    display = f":{90 + os.getpid() % 500}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        r = subprocess.run(
            [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert r.returncode == 0, r.stdout + r.stderr[-2000:]
        assert "got ['answer', 'media']" in r.stdout
    finally:
        xvfb.terminate()
        xvfb.wait(10)
