"""Icons, translations (.qm) and the ringtone, shipped inside the ``ui`` package (wheel and PyInstaller).

Code finds them through :data:`RESOURCES_DIR`, a path relative to this package, so an editable checkout,
an installed wheel and a PyInstaller bundle (which keeps ``ui/resources`` under ``sys._MEIPASS``) all work.
"""

from __future__ import annotations

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
