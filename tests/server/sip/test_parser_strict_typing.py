"""The sans-IO SIP core stays clean under ``mypy --strict`` (STYLE.md: a worthy target, kept)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.unit,
    pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy not installed"),
]

ROOT = Path(__file__).resolve().parents[3]
CORE = [
    "errors.py", "address.py", "grammar.py", "uri.py", "headers.py", "message.py", "parser.py",
    "transaction.py", "dialog.py", "transport.py", "tls.py", "timers.py", "endpoint.py",
]  # fmt: skip


def test_sip_core_is_mypy_strict_clean(tmp_path: Path) -> None:
    files = [
        str(ROOT / "server" / "sip" / name) for name in CORE if (ROOT / "server" / "sip" / name).exists()
    ]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path),
            *files,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
