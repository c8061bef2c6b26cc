"""The agent's SIP accounts: what is configured, whether each is registered, and why not."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from softphone.account_book import AccountBook, AccountRecord, HotlineChoice
from softphone.commands import AddAccount, ModifyAccount, RemoveAccount
from softphone.events import EngineStateChanged, RegistrationChanged
from softphone.provisioning import ProvisioningDocument
from ui.engine_link import EngineLink

TRANSPORTS = ("udp", "tcp", "tls")
SRTP_MODES = ("off", "optional", "mandatory")
DTMF_METHODS = ("rfc4733", "info")


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

    def own_extensions(self) -> set[str]:
        """Extensions and user names of this desktop's accounts (never offered as people to call or chat)."""
        return {x for r in self._records for x in (r.extension, r.sip_username) if x}

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

    def update_settings(
        self,
        account_id: str,
        *,
        transport: str | None = None,
        srtp: str | None = None,
        codecs: tuple[str, ...] | None = None,
        dtmf_method: str | None = None,
        ringtone: str | None = None,
        ring_volume: float | None = None,
    ) -> AccountRecord | None:
        """The settings an agent may change on any account (provisioned ones too): transport, SRTP, codec
        order, DTMF method, ringtone and its volume. The engine gets the account again when it matters."""
        old = self.record(account_id)
        if old is None:
            return None
        record = old
        if transport is not None and transport in TRANSPORTS and transport != old.transport:
            if old.offered_transports and transport not in old.offered_transports:
                self.error.emit("transport_not_offered")
                return None
            record = record.with_transport(transport)
        if srtp is not None and srtp in SRTP_MODES:
            record = record.with_(srtp=srtp)
        if codecs is not None:
            record = record.with_(codecs=tuple(codecs))
        if dtmf_method is not None and dtmf_method in DTMF_METHODS:
            record = record.with_(dtmf_method=dtmf_method)
        if ringtone is not None:
            record = record.with_(ringtone=ringtone)
        if ring_volume is not None:
            record = record.with_(ring_volume=max(0.0, min(1.0, ring_volume)))
        if record == old:
            return old
        self._replace(record)
        if record.enabled and record.to_account_config("") != old.to_account_config(""):
            self._add_to_engine(record, modify=True)
        return record

    def install_provisioned(
        self, doc: ProvisioningDocument, *, device_id: int | None, company_name: str = ""
    ) -> AccountRecord:
        """Store an account from a provisioning document; the agent's own settings on it are kept."""
        old_record = self.record(doc.to_account_config().account_id)
        transport = old_record.transport if old_record is not None else None
        offered = {t.type: t.port for t in doc.account.transports}
        cfg = doc.to_account_config(transport=transport if transport in offered else None)
        hotlines = tuple(
            HotlineChoice(number=h.number, label=h.label or h.number, carrier=h.carrier, default=h.default)
            for h in doc.hotlines
        )
        outbound = doc.permissions.outbound
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
            revision=doc.revision,
            company_name=company_name or (old.company_name if old else ""),
            hotlines=hotlines,
            adaptive_number=doc.adaptive_number,
            echo_test=doc.echo_test or "*43",
            outbound_allowed=outbound,
            offered_transports=offered,
            codecs=old.codecs if old else (),
            dtmf_method=old.dtmf_method if old else "rfc4733",
            ringtone=old.ringtone if old else "",
            ring_volume=old.ring_volume if old else 1.0,
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
            self._link.submit(RemoveAccount(account_id))
        self.changed.emit()

    def remove(self, account_id: str) -> None:
        r = self.record(account_id)
        if r is None:
            return
        if r.enabled:
            self._link.submit(RemoveAccount(account_id))
        self._records = [x for x in self._records if x.account_id != account_id]
        self._reg.pop(account_id, None)
        self._book.forget(account_id)
        self._book.save(self._records)
        self.changed.emit()

    def wipe(self) -> None:
        """Reset: every account leaves the engine, keyring and disk."""
        for r in self._records:
            if r.enabled:
                self._link.submit(RemoveAccount(r.account_id))
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
        self._link.submit(ModifyAccount(config) if modify else AddAccount(config))
        self.changed.emit()
