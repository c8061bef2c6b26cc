"""Credentials (SIP passwords, API tokens) in the operating system's keyring — never in a plaintext file.

``SecretStore`` refuses keyring's fail/null backends and keyrings.alt's file backends with
:class:`NoKeyringError`, whose message tells the user what to install/unlock. On Linux the Secret Service
(GNOME Keyring, KWallet) is used, on Windows the Credential Manager, on macOS the Keychain.

The desktop app reaches the keyring through :class:`KeyringProcess`: keyring with its backends (on Linux
secretstorage, cryptography, importlib_metadata) costs about 20 MB resident (bench/bench_app_memory.py) for
a few reads at start-up and a write now and then, so a short-lived child process (``python -m
softphone.secrets``, or the frozen app with ``--keyring-helper``) makes the keyring calls and exits once idle.
This module imports keyring only inside ``SecretStore``.
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)


class Secrets(Protocol):
    """What the app keeps secrets in: ``SecretStore`` (the keyring) or ``MemorySecrets``."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, secret: str) -> None: ...

    def delete(self, key: str) -> bool: ...


# Backends that either do nothing or store secrets readable by anyone who can read the user's files.
_REFUSED_MODULES = (
    "keyring.backends.fail",
    "keyring.backends.null",
    "keyrings.alt.file",
    "keyrings.alt.Windows",
)
_REFUSED_NAMES = ("Plaintext", "Null", "Fail")

NO_KEYRING_HELP = (
    "No secure keyring is available to store your credentials. On Linux install and unlock a Secret Service "
    "provider (GNOME Keyring: 'gnome-keyring', or KWallet) and make sure a D-Bus session is running; the "
    "softphone never stores passwords in plain text."
)


class NoKeyringError(RuntimeError):
    """No secure keyring backend; the message explains how to get one."""


def _leaf_backends(backend: KeyringBackend) -> list[KeyringBackend]:
    inner = getattr(backend, "backends", None)  # keyring.backends.chainer.ChainerBackend
    if isinstance(inner, list | tuple):
        return [b for sub in inner for b in _leaf_backends(sub)]
    return [backend]


def is_secure_backend(backend: KeyringBackend) -> bool:
    """True when ``backend`` (or every backend of a chain) is a real keyring, not a stub or a plain file."""
    leaves = _leaf_backends(backend)
    if not leaves:
        return False
    for leaf in leaves:
        cls = type(leaf)
        if cls.__module__.startswith(_REFUSED_MODULES) or any(n in cls.__name__ for n in _REFUSED_NAMES):
            return False
    return True


class SecretStore:
    """get/set/delete secrets under one service name: ``SecretStore().set("sip:alice@demo.local", pw)``."""

    def __init__(self, service: str = "softphone", backend: KeyringBackend | None = None) -> None:
        import keyring

        self.service = service
        chosen = backend if backend is not None else keyring.get_keyring()
        if not is_secure_backend(chosen):
            found = f"{type(chosen).__module__}.{type(chosen).__name__}"
            raise NoKeyringError(f"{NO_KEYRING_HELP} (backend found: {found})")
        self._backend = chosen

    @property
    def backend_name(self) -> str:
        return f"{type(self._backend).__module__}.{type(self._backend).__name__}"

    def set(self, key: str, secret: str) -> None:
        import keyring.errors

        try:
            self._backend.set_password(self.service, key, secret)
        except keyring.errors.KeyringError as exc:
            raise NoKeyringError(f"{NO_KEYRING_HELP} ({exc})") from exc

    def get(self, key: str) -> str | None:
        import keyring.errors

        try:
            return self._backend.get_password(self.service, key)
        except keyring.errors.KeyringError as exc:
            raise NoKeyringError(f"{NO_KEYRING_HELP} ({exc})") from exc

    def delete(self, key: str) -> bool:
        """Remove ``key``; False when it was not stored."""
        import keyring.errors

        try:
            self._backend.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as exc:
            raise NoKeyringError(f"{NO_KEYRING_HELP} ({exc})") from exc
        return True


class MemorySecrets:
    """Session-only secrets, used when the OS has no keyring: nothing is written to disk in clear."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def set(self, key: str, secret: str) -> None:
        self._values[key] = secret

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def delete(self, key: str) -> bool:
        return self._values.pop(key, None) is not None


def helper_command() -> list[str]:
    """How to start the keyring helper: this interpreter with ``-m softphone.secrets``, or the frozen app."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--keyring-helper"]
    return [sys.executable, "-m", "softphone.secrets"]


class KeyringProcess:
    """``SecretStore``'s get/set/delete made by a helper process that exits ``idle_s`` after its last request.

    Reads are kept for the session (a secret the app read is in its memory anyway: the SIP password goes to
    pjsua2); writes and deletes reach the keyring before they return, and fail with :class:`NoKeyringError`
    as ``SecretStore``'s do. Thread-safe; a call blocks while the helper starts (a fraction of a second).
    """

    def __init__(
        self,
        service: str = "softphone",
        *,
        command: Sequence[str] | None = None,
        idle_s: float = 5.0,
        answer_timeout_s: float = 60.0,
    ) -> None:
        self.service = service
        self._command = [*(command or helper_command()), service]
        self._idle_s = idle_s
        # Long enough to type the keyring's password when the Secret Service asks to unlock it.
        self._answer_timeout_s = answer_timeout_s
        self._answers: queue.Queue[str] = queue.Queue()
        self._cache: dict[str, str | None] = {}
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._idle: threading.Timer | None = None

    def get(self, key: str) -> str | None:
        with self._lock:
            if key not in self._cache:
                value = self._call("get", key)
                self._cache[key] = value if isinstance(value, str) else None
            return self._cache[key]

    def set(self, key: str, secret: str) -> None:
        with self._lock:
            self._call("set", key, secret)
            self._cache[key] = secret

    def delete(self, key: str) -> bool:
        with self._lock:
            existed = self._call("delete", key)
            self._cache[key] = None
            return existed is True

    @property
    def helper_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        """End the helper now (it also ends by itself once idle); the cache stays usable."""
        with self._lock:
            self._stop()

    def _call(self, op: str, key: str, secret: str | None = None) -> object:
        proc = self._proc if self._proc is not None and self._proc.poll() is None else self._start()
        assert proc.stdin is not None
        line = ""
        try:
            proc.stdin.write(json.dumps({"op": op, "key": key, "secret": secret}) + "\n")
            proc.stdin.flush()
            line = self._answers.get(timeout=self._answer_timeout_s)
        except OSError as exc:
            log.warning("keyring helper: %s", exc)
        except queue.Empty:
            log.warning("keyring helper: no answer in %.0f s", self._answer_timeout_s)
        if not line:
            self._stop(kill=True)
            raise NoKeyringError(f"{NO_KEYRING_HELP} (the keyring helper did not answer)")
        self._arm_idle_timer()
        answer = json.loads(line)
        if "error" in answer:
            raise NoKeyringError(str(answer["error"]))
        return answer.get("value")

    def _start(self) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            self._command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console window on Windows
        )
        self._proc = proc
        answers: queue.Queue[str] = queue.Queue()
        self._answers = answers
        stdout = proc.stdout
        assert stdout is not None

        def read() -> None:  # a thread, so that a helper that never answers cannot hang the app
            with stdout:
                for line in stdout:
                    answers.put(line)
            answers.put("")

        threading.Thread(target=read, name="keyring-helper-reader", daemon=True).start()
        return proc

    def _arm_idle_timer(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = threading.Timer(self._idle_s, self.close)
        self._idle.daemon = True
        self._idle.start()

    def _stop(self, *, kill: bool = False) -> None:
        proc, self._proc = self._proc, None
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        if proc is None:
            return
        try:
            if kill:
                proc.kill()
            if proc.stdin is not None:
                proc.stdin.close()  # end of input: the helper exits
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()


def serve(service: str, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """The keyring helper: one JSON request per line in (``{"op", "key", "secret"}``), one answer per line out
    (``{"value": ...}`` or ``{"error": message}``), until end of input."""
    rd = stdin or sys.stdin
    wr = stdout or sys.stdout
    store: SecretStore | None = None
    problem = ""
    try:
        store = SecretStore(service=service)
    except NoKeyringError as exc:
        problem = str(exc)
    except Exception as exc:  # a backend that fails to load
        problem = f"{NO_KEYRING_HELP} ({exc})"
    for line in rd:
        request = json.loads(line)
        answer: dict[str, object]
        try:
            if store is None:
                raise NoKeyringError(problem)
            op, key = request["op"], request["key"]
            if op == "get":
                answer = {"value": store.get(key)}
            elif op == "set":
                store.set(key, request["secret"])
                answer = {"value": True}
            elif op == "delete":
                answer = {"value": store.delete(key)}
            else:
                answer = {"error": f"unknown operation {op!r}"}
        except Exception as exc:
            answer = {"error": str(exc) or type(exc).__name__}
        wr.write(json.dumps(answer) + "\n")
        wr.flush()
    return 0


if __name__ == "__main__":
    for stream in (sys.stdin, sys.stdout):
        stream.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    raise SystemExit(serve(sys.argv[1] if len(sys.argv) > 1 else "softphone"))
