"""The compiled SIP core: stale extensions are refused, and a build is all-or-nothing."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

from server.native_build import COMPILED, SIP_DIR, extensions
from server.native_check import stale_extensions

pytestmark = pytest.mark.unit


def test_an_extension_older_than_its_source_is_stale(tmp_path: Path) -> None:
    (tmp_path / "parser.py").write_text("x = 1\n")
    ext = tmp_path / "parser.cpython-311-x86_64-linux-gnu.so"
    ext.write_bytes(b"")
    (tmp_path / "native__mypyc.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")  # no source: never stale
    (tmp_path / "uri.py").write_text("y = 2\n")  # no extension: pure Python
    os.utime(ext, (1_000_000, 1_000_000))
    assert stale_extensions(str(tmp_path)) == ["parser.py"]
    os.utime(ext, None)
    os.utime(tmp_path / "parser.py", (1_000_000, 1_000_000))
    assert stale_extensions(str(tmp_path)) == []


def test_the_sip_core_is_either_fully_compiled_or_pure_python() -> None:
    built = {e.name.split(".", 1)[0] for e in extensions()}
    loaded = {name: importlib.import_module(f"server.sip.{name}").__file__ or "" for name in COMPILED}
    if not built:
        assert all(path.endswith(".py") for path in loaded.values())
        return
    assert set(COMPILED) <= built, "partial build: run python -m server.native_build --force"
    assert all(Path(path).suffix in (".so", ".pyd") for path in loaded.values()), loaded
    assert not stale_extensions(str(SIP_DIR))
