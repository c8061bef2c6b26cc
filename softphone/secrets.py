"""Credentials (SIP passwords, API tokens) in the operating system's keyring — never in a plaintext file.

``SecretStore`` refuses keyring's fail/null backends and keyrings.alt's file backends with
:class:`NoKeyringError`, whose message tells the user what to install/unlock. On Linux the Secret Service
(GNOME Keyring, KWallet) is used, on Windows the Credential Manager, on macOS the Keychain.
"""

from __future__ import annotations

from typing import Protocol

import keyring
import keyring.errors
from keyring.backend import KeyringBackend


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
        try:
            self._backend.set_password(self.service, key, secret)
        except keyring.errors.KeyringError as exc:
            raise NoKeyringError(f"{NO_KEYRING_HELP} ({exc})") from exc

    def get(self, key: str) -> str | None:
        try:
            return self._backend.get_password(self.service, key)
        except keyring.errors.KeyringError as exc:
            raise NoKeyringError(f"{NO_KEYRING_HELP} ({exc})") from exc

    def delete(self, key: str) -> bool:
        """Remove ``key``; False when it was not stored."""
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
