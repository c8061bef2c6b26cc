"""`softphone-server run` on a port that is already taken: one clear line and exit code 2, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.cli import demo_command
from softphone.testing import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SOFTPHONE_SERVER_")}


@pytest.fixture
def held_tcp() -> Iterator[int]:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        yield port


@pytest.fixture
def held_udp() -> Iterator[int]:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", port))
        yield port


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def test_http_port_in_use(tmp_path: Path, held_tcp: int, clean_env: dict[str, str]) -> None:
    argv = demo_command(tmp_path, http_port=held_tcp, sip_port=free_port(), media=False)
    result = _run(argv, clean_env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"HTTP port {held_tcp}/tcp" in lines[0] and "already in use" in lines[0]
    assert "--http-port" in lines[0] and "'http_port'" in lines[0]


def test_sip_port_in_use(tmp_path: Path, held_udp: int, clean_env: dict[str, str]) -> None:
    argv = demo_command(tmp_path, http_port=free_port(), sip_port=held_udp, media=False)
    result = _run(argv, clean_env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"SIP port {held_udp}/udp" in lines[0]
    assert "--sip-port" in lines[0] and "'sip_port'" in lines[0]


def test_tls_port_in_use_names_config_key(tmp_path: Path, held_tcp: int, clean_env: dict[str, str]) -> None:
    config = tmp_path / "server.toml"
    config.write_text(f"sip_tls_port = {held_tcp}\n")
    argv = demo_command(tmp_path, http_port=free_port(), sip_port=free_port(), media=False)
    result = _run([*argv, "--config", str(config)], clean_env)
    assert result.returncode == 2, result.stderr
    assert f"SIP TLS port {held_tcp}/tcp" in result.stderr and "'sip_tls_port'" in result.stderr
    assert "Traceback" not in result.stderr


def test_https_port_in_use(tmp_path: Path, held_tcp: int, clean_env: dict[str, str]) -> None:
    argv = demo_command(tmp_path, http_port=free_port(), sip_port=free_port(), media=False)
    result = _run([*argv, "--https-port", str(held_tcp)], clean_env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"HTTPS port {held_tcp}/tcp" in lines[0]
    assert "--https-port" in lines[0] and "'https_port'" in lines[0]
