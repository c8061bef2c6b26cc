"""Random values come from one OS read per page, are never handed out twice, and a forked child does not
repeat its parent's."""

from __future__ import annotations

import os

from server.sip.entropy import random_bytes, random_hex
from server.sip.message import new_branch, new_tag


def test_values_are_the_requested_size_and_never_repeat() -> None:
    values = [random_hex(6) for _ in range(5000)]  # crosses several pages
    assert all(len(v) == 12 and int(v, 16) >= 0 for v in values)
    assert len(set(values)) == len(values)
    assert len(random_bytes(5000)) == 5000  # more than a page at once
    assert new_branch().startswith("z9hG4bK") and len(new_tag()) == 12


def test_a_forked_child_draws_fresh_bytes() -> None:
    random_hex(1)  # the parent has a pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, random_bytes(16))
        os._exit(0)
    os.close(write)
    child = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    assert child != random_bytes(16)
