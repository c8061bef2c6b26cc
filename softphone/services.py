"""The Qt-free services the desktop app is built on, made once by its composition root (``ui.app.main``):
the engine factory, the keyring (or session-only secrets), the history logs and the provisioning client."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from softphone.config import EngineConfig
from softphone.history import CallLog, ChatLog
from softphone.provisioning import ProvisioningClient
from softphone.secrets import MemorySecrets, Secrets

log = logging.getLogger(__name__)

USER_AGENT = "Softphone-Desktop/0.1"


@dataclass(frozen=True, slots=True)
class Profile:
    """Where this user's data lives (platformdirs locations by default, a temp dir in tests)."""

    config_dir: Path
    data_dir: Path

    @property
    def preferences(self) -> Path:
        return self.config_dir / "preferences.json"

    @property
    def accounts(self) -> Path:
        return self.config_dir / "accounts.json"

    @property
    def contacts(self) -> Path:
        return self.data_dir / "contacts.json"

    @property
    def history_db(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def recordings(self) -> Path:
        return self.data_dir / "recordings"

    @property
    def voicemail(self) -> Path:
        """Voicemail downloaded to be played."""
        return self.data_dir / "voicemail"


@dataclass
class Services:
    engine_factory: Callable[[Callable[[object], None]], Any]
    secrets: Secrets
    call_log: CallLog
    chat_log: ChatLog
    client_factory: Callable[[str], ProvisioningClient]
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for c in self.closers:
            try:
                c()
            except Exception as exc:
                log.warning("close: %s", exc)


def make_secrets() -> Secrets:
    """The OS keyring through its helper process (softphone.secrets.KeyringProcess), else session memory."""
    from softphone.secrets import KeyringProcess

    store = KeyringProcess(service="softphone")
    try:
        store.get("probe")  # raises NoKeyringError when no real backend
        return store
    except Exception as exc:
        store.close()
        log.warning("keyring unavailable (%s): secrets kept in memory for this session", exc)
        return MemorySecrets()


def client_factory(token_store: Secrets) -> Callable[[str], ProvisioningClient]:
    from softphone.provisioning import api_base

    return lambda server_url: ProvisioningClient(api_base(server_url), token_store)


def make_services(profile: Profile, *, config: EngineConfig) -> Services:
    from softphone.engine import Engine
    from softphone.history import open_history

    secrets = make_secrets()
    log_store, close_log = open_history(profile.history_db)
    services = Services(
        engine_factory=lambda on_event: Engine(config, on_event),
        secrets=secrets,
        call_log=log_store,
        chat_log=log_store,
        client_factory=client_factory(secrets),
    )
    services.closers.append(close_log)
    if hasattr(secrets, "close"):
        services.closers.append(secrets.close)
    return services
