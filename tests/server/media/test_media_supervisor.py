"""MediaSupervisor with the conference mixer as its child: restart after kill -9 on the same port, clean
stop, start failures, no child outliving its supervisor, backoff of a crash loop."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from server.media.supervisor import READY_PREFIX, MediaServiceError, MediaSupervisor

pytestmark = [pytest.mark.integration]

MIXER = "server.media.mixer_process"


def mixer(**kwargs: object) -> MediaSupervisor:
    return MediaSupervisor(module=MIXER, args=["--host", "127.0.0.1"], **kwargs)  # type: ignore[arg-type]


async def wait_for_new_child(media: MediaSupervisor, old_pid: int, timeout: float) -> float:
    """Seconds until a different child is listening."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if media.ready and media.pid not in (None, old_pid):
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"media child not restarted within {timeout} s")


async def test_kill_9_restarts_on_the_same_port_and_calls_the_exit_hook():
    exits: list[int] = []
    media = mixer(backoff_initial=0.1, backoff_max=1.0, on_exit=lambda: exits.append(1))
    address = await media.start()
    try:
        old_pid = media.pid
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)
        recovery_s = await wait_for_new_child(media, old_pid, timeout=20.0)
        print(f"mixer back after kill -9 in {recovery_s:.2f} s")
        assert media.address == address
        assert media.crashes == 1 and media.restarts == 1 and exits == [1]
    finally:
        await media.stop()


async def test_stop_ends_the_child_and_frees_the_port():
    media = mixer()
    host, port = await media.start()
    pid = media.pid
    assert pid is not None
    await media.stop()
    assert media.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, port))  # free again


async def test_start_fails_cleanly_when_the_port_is_taken():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        media = mixer(port=sock.getsockname()[1], ready_timeout=15.0)
        with pytest.raises(MediaServiceError):
            await media.start()
        assert media.pid is None
        await media.stop()


def test_child_exits_when_its_supervisor_is_gone():
    """A dead supervisor closes the child's stdin and leaves its stdout/stderr as broken pipes:
    the child must still stop, so it cannot linger on the port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", MIXER, "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None and proc.stdin is not None
        ready = proc.stdout.readline()
        assert ready.decode().startswith(READY_PREFIX)
        proc.stdout.close()
        proc.stderr.close()
        proc.stdin.close()
        proc.wait(timeout=10.0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


CRASHING_CHILD = """#!{python}
import sys, time
port = sys.argv[sys.argv.index("--port") + 1]
print("MEDIA READY " + port, flush=True)
time.sleep(0.05)
sys.exit(3)
"""


async def test_crash_loop_backs_off_exponentially_up_to_the_cap(tmp_path, caplog):
    fake = tmp_path / "fake-python"
    fake.write_text(CRASHING_CHILD.format(python=sys.executable))
    fake.chmod(0o755)
    media = MediaSupervisor(python=str(fake), module=MIXER, backoff_initial=0.05, backoff_max=0.2)
    caplog.set_level("ERROR", logger="server.media")
    try:
        await media.start()
        deadline = time.monotonic() + 20.0
        while media.crashes < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await media.stop()
    delays = [
        float(r.getMessage().split("restarting in ")[1].split(" s")[0])
        for r in caplog.records
        if "restarting in" in r.getMessage()
    ]
    assert delays[:4] == [0.05, 0.1, 0.2, 0.2]
    assert all("exited with 3" in r.getMessage() for r in caplog.records if "restarting in" in r.getMessage())
