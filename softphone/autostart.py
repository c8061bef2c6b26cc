"""Start the app when the user logs in (XDG autostart on Linux; Run key on Windows). Qt-free."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=Softphone
Exec={exec} --minimized
X-GNOME-Autostart-enabled=true
"""


def autostart_path(config_home: Path | None = None) -> Path:
    base = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "autostart" / "softphone.desktop"


def set_start_at_login(enabled: bool, *, command: str | None = None, config_home: Path | None = None) -> None:
    if sys.platform == "win32":
        _set_windows(enabled, command)
        return
    path = autostart_path(config_home)
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(DESKTOP_ENTRY.format(exec=command or "softphone"), encoding="utf-8")
    else:
        path.unlink(missing_ok=True)


def _set_windows(enabled: bool, command: str | None) -> None:
    import winreg  # type: ignore[import-not-found]

    key = winreg.OpenKey(
        winreg.HKEY_CURRENT_USER, r"Software\Microsoft\Windows\CurrentVersion\Run", 0, winreg.KEY_SET_VALUE
    )
    with key:
        if enabled:
            winreg.SetValueEx(
                key, "Softphone", 0, winreg.REG_SZ, f'"{command or sys.executable}" --minimized'
            )
        else:
            with contextlib.suppress(FileNotFoundError):
                winreg.DeleteValue(key, "Softphone")
