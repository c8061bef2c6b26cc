"""PySide6's import hook, without the source cache it leaves behind.

shiboken6 replaces ``builtins.__import__``: for every Python module imported after it, its
``_mod_uses_pyside`` calls ``inspect.getsource(module)`` to learn whether the module mentions "PySide6" (for
``from __feature__ import ...``). ``inspect.getsource`` keeps every such file's lines in ``linecache`` for the
life of the process: about 10 MB in the app (pjsua2's SWIG module alone is 570 KB of source), measured with
tracemalloc in ``bench/bench_app_memory.py``. :func:`install` swaps in the same test made on the file's
bytes, which are dropped at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

_FEATURE_MODULE = "shibokensupport.feature"


def mentions_pyside(module: ModuleType) -> bool:
    """What shiboken's ``_mod_uses_pyside`` answers ("PySide6" in the module's source), without linecache."""
    origin = getattr(getattr(module, "__spec__", None), "origin", None) or getattr(module, "__file__", None)
    if not isinstance(origin, str) or not origin.endswith(".py"):
        return False  # built-in, extension or source-less module: shiboken's own answer is False too
    try:
        return b"PySide6" in Path(origin).read_bytes()
    except OSError:
        return False


def install() -> bool:
    """Replace shiboken's check (once PySide6 is imported); False if this PySide6 has no such hook."""
    import shiboken6  # noqa: F401  (installs the hook and its feature module)

    feature: Any = sys.modules.get(_FEATURE_MODULE)
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = mentions_pyside
    return True
