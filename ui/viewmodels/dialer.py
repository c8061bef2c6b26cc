"""The dialer: the number being typed, which hotline shows as caller ID, and placing the call.

The call mode follows what is dialled (an extension or feature code: internal; a phone number: out, with the
hotline as caller ID) until the agent picks the other mode for this number.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from softphone.account_book import AccountRecord
from softphone.phone_numbers import format_vn_number, is_internal, normalize_dial_string
from ui.viewmodels.accounts import AccountsViewModel
from ui.viewmodels.calls import CallsViewModel

ADAPTIVE = "adaptive"
DIAL_CHARS = set("0123456789*#+")


@dataclass(frozen=True, slots=True)
class HotlineOption:
    value: str | None  # a number, "adaptive", or None = the PBX default
    label: str
    number: str


class DialerViewModel(QObject):
    changed = Signal()
    error = Signal(str)  # "no_account" | "outbound_forbidden"

    def __init__(
        self, accounts: AccountsViewModel, calls: CallsViewModel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._accounts = accounts
        self._calls = calls
        self._number = ""
        self._hotline: str | None = None
        self._internal_override: bool | None = None  # the agent's choice for the number being typed
        self._account_id: str | None = None  # None: the default calling account
        accounts.changed.connect(self._on_accounts_changed)

    @property
    def number(self) -> str:
        return self._number

    @property
    def display_number(self) -> str:
        return format_vn_number(self._number)

    @property
    def internal(self) -> bool:
        """Internal call (no caller ID): what the number looks like, unless the agent chose otherwise."""
        if self._internal_override is not None:
            return self._internal_override
        return is_internal(self._number) if self._number else False

    @property
    def mode_overridden(self) -> bool:
        return self._internal_override is not None

    @property
    def hotline(self) -> str | None:
        return self._hotline

    def account_choices(self) -> list[tuple[str, str]]:
        """(account_id, label) of every enabled account; the view shows a picker when there are several."""
        return [
            (r.account_id, f"{r.display_name} ({r.extension or r.sip_username}@{r.sip_domain})")
            for r in self._accounts.records()
            if r.enabled
        ]

    @property
    def account_id(self) -> str | None:
        record = self._record()
        return record.account_id if record else None

    def set_account(self, account_id: str | None) -> None:
        if account_id != self._account_id:
            self._account_id = account_id
            self._hotline = None
            self._on_accounts_changed()
            self.changed.emit()

    def _record(self) -> AccountRecord | None:
        chosen = self._accounts.record(self._account_id) if self._account_id else None
        return chosen if chosen is not None and chosen.enabled else self._accounts.calling_account()

    def hotline_options(self) -> list[HotlineOption]:
        """Hotlines of the calling account; "adaptive" first when the company enables it."""
        record = self._record()
        if record is None:
            return []
        opts: list[HotlineOption] = []
        if record.adaptive_number:
            opts.append(HotlineOption(ADAPTIVE, "", ""))
        for h in record.hotlines:
            opts.append(HotlineOption(h.number, h.label, format_vn_number(h.number)))
        return opts

    def set_number(self, text: str) -> None:
        n = "".join(ch for ch in text if ch in DIAL_CHARS) if "@" not in text else text.strip()
        if n != self._number:
            if not n:
                self._internal_override = None
            self._number = n
            self.changed.emit()

    def press(self, key: str) -> None:
        if key in DIAL_CHARS:
            self.set_number(self._number + key)

    def backspace(self) -> None:
        self.set_number(self._number[:-1])

    def clear(self) -> None:
        self.set_number("")

    def paste(self, text: str) -> None:
        self.set_number(normalize_dial_string(text))

    def set_hotline(self, value: str | None) -> None:
        if value != self._hotline:
            self._hotline = value
            self.changed.emit()

    def set_internal(self, internal: bool) -> None:
        if internal != self.internal:
            self._internal_override = internal
            self.changed.emit()

    def can_call(self) -> bool:
        return bool(self._number) and self._record() is not None

    def call(self, target: str | None = None) -> bool:
        number = normalize_dial_string(target) if target else self._number
        record = self._record()
        if record is None:
            self.error.emit("no_account")
            return False
        if not number:
            return False
        internal = self.internal if target is None else is_internal(number)
        external = not internal
        if external and not record.outbound_allowed:
            self.error.emit("outbound_forbidden")
            return False
        hotline = self._hotline if external else None
        self._calls.dial(record.account_id, number, hotline)
        if target is None:
            self.clear()
            self._internal_override = None
        return True

    def test_call(self) -> bool:
        record = self._record()
        if record is None:
            self.error.emit("no_account")
            return False
        self._calls.dial(record.account_id, record.echo_test or "*43")
        return True

    def _on_accounts_changed(self) -> None:
        values = [o.value for o in self.hotline_options()]
        if self._hotline not in values:
            record = self._record()
            default = next((h.number for h in record.hotlines if h.default), None) if record else None
            self._hotline = default if default in values else (values[0] if values else None)
            self.changed.emit()
