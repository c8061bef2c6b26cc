"""The sans-IO SIP core stays clean under ``mypy --strict`` (STYLE.md: a worthy target, kept)."""

from __future__ import annotations

import importlib.util
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
    from mypy import api  # in-process: no subprocess for a unit test

    files = [
        str(ROOT / "server" / "sip" / name) for name in CORE if (ROOT / "server" / "sip" / name).exists()
    ]
    stdout, stderr, status = api.run(
        ["--strict", "--follow-imports=silent", "--cache-dir", str(tmp_path), "--no-error-summary", *files]
    )
    assert status == 0, stdout + stderr
