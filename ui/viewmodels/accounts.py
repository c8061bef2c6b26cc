"""The agent's SIP accounts: what is configured, whether each is registered, and why not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from softphone.events import EngineStateChanged, RegistrationChanged
from ui.account_book import AccountBook, AccountRecord, HotlineChoice
from ui.engine_link import EngineLink


@dataclass(frozen=True, slots=True)
class AccountRow:
    record: AccountRecord
    state: str  # registering | registered | unregistered | failed | disabled
    code: int
    reason: str

    @property
    def account_id(self) -> str:
        return self.record.account_id


class AccountsViewModel(QObject):
    changed = Signal()
    error = Signal(str)

    def __init__(self, link: EngineLink, book: AccountBook, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._link = link
        self._book = book
        self._records: list[AccountRecord] = book.load()
        self._reg: dict[str, tuple[str, int, str]] = {}
        self.engine_problem = ""  # why the phone engine stopped, if it did
        link.eventReceived.connect(self.handle)

    # ------------------------------------------------------------------ state

    def rows(self) -> list[AccountRow]:
        out = []
        for r in self._records:
            state, code, reason = self._reg.get(r.account_id, ("unregistered", 0, ""))
            if not r.enabled:
                state, code, reason = "disabled", 0, ""
            out.append(AccountRow(r, state, code, reason))
        return out

    def records(self) -> list[AccountRecord]:
        return list(self._records)

    def record(self, account_id: str) -> AccountRecord | None:
        return next((r for r in self._records if r.account_id == account_id), None)

    def has_accounts(self) -> bool:
        return bool(self._records)

    def calling_account(self) -> AccountRecord | None:
        """The account that places calls: the first registered enabled one, else the first enabled."""
        enabled = [r for r in self._records if r.enabled]
        registered = [r for r in enabled if self._reg.get(r.account_id, ("",))[0] == "registered"]
        return (registered or enabled or [None])[0]

    def registered_ids(self) -> list[str]:
        return [
            r.account_id
            for r in self._records
            if r.enabled and self._reg.get(r.account_id, ("",))[0] == "registered"
        ]

    def is_registered(self, account_id: str) -> bool:
        return self._reg.get(account_id, ("",))[0] == "registered"

    # ------------------------------------------------------------------ commands

    def register_all(self) -> None:
        """Give every enabled account to the engine (at start-up)."""
        for r in self._records:
            if r.enabled:
                self._add_to_engine(r)

    def add_manual(
        self,
        *,
        extension: str,
        password: str,
        domain: str,
        proxy: str = "",
        transport: str = "udp",
        display_name: str = "",
    ) -> AccountRecord | None:
        extension, domain = extension.strip(), domain.strip()
        if not extension or not domain or not password:
            self.error.emit("missing")
            return None
        account_id = f"{extension}@{domain}"
        record = AccountRecord(
            account_id=account_id,
            display_name=display_name.strip() or extension,
            sip_username=extension,
            sip_domain=domain,
            proxy=proxy.strip() or None,
            transport=transport,
            extension=extension,
        )
        self._book.set_password(account_id, password)
        self._replace(record)
        self._add_to_engine(record, modify=False)
        return record

    def update_manual(
        self,
        account_id: str,
        *,
        password: str = "",
        domain: str,
        proxy: str = "",
        transport: str = "udp",
        display_name: str = "",
    ) -> AccountRecord | None:
        """Edit a hand-entered account; an empty password keeps the saved one."""
        old = self.record(account_id)
        if old is None or old.source != "manual" or not domain.strip():
            self.error.emit("missing")
            return None
        record = old.with_(
            sip_domain=domain.strip(),
            proxy=proxy.strip() or None,
            transport=transport,
            display_name=display_name.strip() or old.display_name,
        )
        if password:
            self._book.set_password(account_id, password)
        self._replace(record)
        if record.enabled:
            self._add_to_engine(record, modify=True)
        return record

    def install_provisioned(
        self, doc: Any, *, device_id: int | None, company_name: str = ""
    ) -> AccountRecord:
        """Store an account from a provisioning document (softphone.provisioning.ProvisioningDocument)."""
        cfg = doc.to_account_config()
        hotlines = tuple(
            HotlineChoice(number=h.number, label=h.label or h.number, carrier=h.carrier, default=h.default)
            for h in getattr(doc, "hotlines", ())
        )
        permissions = getattr(doc, "permissions", None)
        outbound = bool(getattr(permissions, "outbound", True)) if permissions is not None else True
        old = self.record(cfg.account_id)
        record = AccountRecord(
            account_id=cfg.account_id,
            display_name=cfg.display_name,
            sip_username=cfg.sip_username,
            sip_domain=cfg.sip_domain,
            registrar=cfg.registrar,
            proxy=cfg.proxy,
            transport=cfg.transport,
            srtp=cfg.srtp,
            register_expires=cfg.register_expires,
            extension=cfg.extension,
            enabled=old.enabled if old else True,
            source="provisioned",
            device_id=device_id,
            revision=int(getattr(doc, "revision", 0)),
            company_name=company_name or (old.company_name if old else ""),
            hotlines=hotlines,
            adaptive_number=bool(getattr(doc, "adaptive_number", False)),
            echo_test=str(getattr(doc, "echo_test", "*43") or "*43"),
            outbound_allowed=outbound,
        )
        self._book.set_password(cfg.account_id, cfg.sip_password)
        self._replace(record)
        if record.enabled:
            self._add_to_engine(record, modify=old is not None and old.enabled)
        return record

    def set_enabled(self, account_id: str, enabled: bool) -> None:
        r = self.record(account_id)
        if r is None or r.enabled == enabled:
            return
        r = r.with_(enabled=enabled)
        self._replace(r)
        if enabled:
            self._add_to_engine(r)
        else:
            self._reg.pop(account_id, None)
            self._link.call("remove_account", account_id)
        self.changed.emit()

    def remove(self, account_id: str) -> None:
        r = self.record(account_id)
        if r is None:
            return
        if r.enabled:
            self._link.call("remove_account", account_id)
        self._records = [x for x in self._records if x.account_id != account_id]
        self._reg.pop(account_id, None)
        self._book.forget(account_id)
        self._book.save(self._records)
        self.changed.emit()

    def wipe(self) -> None:
        """Reset: every account leaves the engine, keyring and disk."""
        for r in self._records:
            if r.enabled:
                self._link.call("remove_account", r.account_id)
        self._book.wipe(self._records)
        self._records = []
        self._reg.clear()
        self.changed.emit()

    # ------------------------------------------------------------------ events

    def handle(self, event: object) -> None:
        if isinstance(event, RegistrationChanged):
            self._reg[event.account_id] = (event.state, event.code, event.reason)
            self.changed.emit()
        elif isinstance(event, EngineStateChanged):
            self.engine_problem = event.reason if event.state == "failed" else ""
            self.changed.emit()

    # ------------------------------------------------------------------ helpers

    def _replace(self, record: AccountRecord) -> None:
        for i, r in enumerate(self._records):
            if r.account_id == record.account_id:
                self._records[i] = record
                break
        else:
            self._records.append(record)
        self._book.save(self._records)
        self.changed.emit()

    def _add_to_engine(self, record: AccountRecord, *, modify: bool = False) -> None:
        if not modify:  # a modified account keeps its state until the engine reports a new one
            self._reg[record.account_id] = ("registering", 0, "")
        config = record.to_account_config(self._book.password(record.account_id))
        self._link.call("modify_account" if modify else "add_account", config)
        self.changed.emit()
