"""Company directory with live presence, plus the agent's personal contacts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from softphone.commands import SubscribePresence
from softphone.contact_import import Contact, ContactBook, merge, read_contacts_file
from softphone.events import PresenceChanged
from softphone.phone_numbers import user_part
from softphone.provisioning import Colleague
from ui.engine_link import EngineLink


def extension_of(c: Colleague) -> str:
    return c.extensions[0] if c.extensions else user_part(c.sip_uri or "")


def numbers_of(c: Colleague) -> set[str]:
    return {*c.extensions, user_part(c.sip_uri or "")} - {""}


@dataclass(frozen=True, slots=True)
class ContactRow:
    kind: str  # colleague | personal
    name: str
    number: str
    uri: str
    presence: str  # available | away | busy | dnd | on_the_phone | offline | "" (unknown)
    company: str = ""


class ContactsViewModel(QObject):
    changed = Signal()
    callRequested = Signal(str)
    chatRequested = Signal(str, str)  # uri, display name
    imported = Signal(int)  # how many new contacts
    error = Signal(str)

    def __init__(
        self,
        link: EngineLink,
        book: ContactBook,
        *,
        own_numbers: Callable[[], set[str]] = set,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._link = link
        self._book = book
        self._own_numbers = own_numbers  # this desktop's own extensions: never listed as colleagues
        self._personal = book.load()
        self._colleagues: list[Colleague] = []
        self._presence: dict[str, str] = {}
        self._search = ""
        self._subscribed: set[tuple[str, str]] = set()
        link.eventReceived.connect(self.handle)

    def set_directory(self, colleagues: list[Colleague]) -> None:
        self._colleagues = [c for c in colleagues if c.sip_uri]
        self.changed.emit()

    def _others(self) -> list[Colleague]:
        own = self._own_numbers()
        return [c for c in self._colleagues if not numbers_of(c) & own]

    def subscribe_all(self, account_id: str) -> None:
        for c in self._others():
            key = (account_id, c.presence_uri or c.sip_uri or "")
            if key not in self._subscribed and key[1]:
                self._subscribed.add(key)
                self._link.submit(SubscribePresence(account_id, key[1]))

    def set_search(self, text: str) -> None:
        self._search = text
        self.changed.emit()

    def colleagues(self) -> list[ContactRow]:
        rows = [
            ContactRow(
                "colleague",
                c.full_name,
                extension_of(c),
                c.sip_uri or "",
                self._presence.get(_key(c.presence_uri or c.sip_uri or ""), ""),
            )
            for c in self._others()
        ]
        return [r for r in rows if self._matches(r)]

    def personal(self) -> list[ContactRow]:
        rows = [ContactRow("personal", c.name, c.number, c.number, "", c.company) for c in self._personal]
        return [r for r in rows if self._matches(r)]

    def resolve_name(self, number: str) -> str | None:
        """Display name of a number or extension from the directory, then personal contacts."""
        if not number:
            return None
        for c in self._colleagues:
            if number in numbers_of(c):
                return c.full_name
        for p in self._personal:
            if p.number == number:
                return p.name
        return None

    def add_personal(self, name: str, number: str, company: str = "") -> None:
        if name.strip() and number.strip():
            self._personal = merge(self._personal, [Contact(name.strip(), number.strip(), company.strip())])
            self._book.save(self._personal)
            self.changed.emit()

    def remove_personal(self, number: str) -> None:
        self._personal = [c for c in self._personal if c.number != number]
        self._book.save(self._personal)
        self.changed.emit()

    def import_file(self, path: Path) -> int:
        try:
            new = read_contacts_file(path)
        except Exception as exc:  # a malformed file must not take the app down
            self.error.emit(str(exc))
            return 0
        before = len(self._personal)
        self._personal = merge(self._personal, new)
        self._book.save(self._personal)
        added = len(self._personal) - before
        self.imported.emit(added)
        self.changed.emit()
        return added

    def call(self, row: ContactRow) -> None:
        self.callRequested.emit(row.number)

    def chat(self, row: ContactRow) -> None:
        self.chatRequested.emit(row.uri or row.number, row.name)

    def presence_of(self, uri: str) -> str:
        return self._presence.get(_key(uri), "")

    def wipe(self) -> None:
        self._personal = []
        self._book.delete()
        self._colleagues = []
        self._presence.clear()
        self._subscribed.clear()
        self.changed.emit()

    def handle(self, event: object) -> None:
        if isinstance(event, PresenceChanged):
            self._presence[_key(event.uri)] = event.status
            self.changed.emit()

    def _matches(self, row: ContactRow) -> bool:
        needle = self._search.strip().lower()
        return not needle or needle in row.name.lower() or needle in row.number


def _key(uri: str) -> str:
    return user_part(uri)
