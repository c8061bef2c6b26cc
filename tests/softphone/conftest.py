"""Fixtures for engine tests: softphone-cli peers in subprocesses, killed at teardown."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from softphone.testing import CliPeer


@pytest.fixture
def peers() -> Iterator[Callable[..., CliPeer]]:
    """``peers("alice", "--tone", "600", ...)`` starts a CLI peer with --json-events --commands."""
    started: list[CliPeer] = []

    def start(name: str, *args: str) -> CliPeer:
        # SOFTPHONE_PEER_ARGS="--log-level 4" (with SOFTPHONE_KEEP_LOGS=1) to debug a failing test.
        extra = os.environ.get("SOFTPHONE_PEER_ARGS", "").split()
        peer = CliPeer(["--user", name, *extra, *args], name=name)
        started.append(peer)
        return peer

    yield start
    for p in started:
        p.quit(timeout=10)
    for p in started:
        p.kill()
