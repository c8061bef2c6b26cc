"""Company directory with presence, personal contacts, import; click to call or chat."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from softphone.phone_numbers import format_vn_number
from ui.viewmodels.contacts import ContactRow, ContactsViewModel
from ui.views.common import presence_icon, titled_page
from ui.views.texts import status_text


class AddContactDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("New contact"))
        form = QFormLayout(self)
        self.name = QLineEdit(self)
        self.number = QLineEdit(self)
        self.company = QLineEdit(self)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Number"), self.number)
        form.addRow(self.tr("Company"), self.company)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)


class ContactsView(QWidget):
    def __init__(self, vm: ContactsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.vm = vm
        lay, self.title = titled_page(self)
        bar = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(vm.set_search)
        self.add = QPushButton(self)
        self.add.clicked.connect(self._add)
        self.import_button = QPushButton(self)
        self.import_button.clicked.connect(self._import)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.add)
        bar.addWidget(self.import_button)
        lay.addLayout(bar)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.itemDoubleClicked.connect(lambda it, _c: self._call(it))
        lay.addWidget(self.tree, 1)
        actions = QHBoxLayout()
        self.status = QLabel(self)
        self.status.setObjectName("subtitle")
        self.delete = QPushButton(self)
        self.delete.clicked.connect(self._delete)
        self.chat = QPushButton(self)
        self.chat.clicked.connect(lambda: self._chat(self.tree.currentItem()))
        self.call = QPushButton(self)
        self.call.setObjectName("primary")
        self.call.clicked.connect(lambda: self._call(self.tree.currentItem()))
        actions.addWidget(self.status, 1)
        actions.addWidget(self.delete)
        actions.addWidget(self.chat)
        actions.addWidget(self.call)
        lay.addLayout(actions)
        self.tree.currentItemChanged.connect(lambda *_: self._sync())
        vm.changed.connect(self.refresh)
        vm.imported.connect(lambda n: self.status.setText(self.tr("%n contact(s) imported.", "", n)))
        vm.error.connect(lambda text: self.status.setText(self.tr("Import failed: %1").replace("%1", text)))
        self.retranslate()

    def _row(self, item: QTreeWidgetItem | None) -> ContactRow | None:
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def _call(self, item: QTreeWidgetItem | None) -> None:
        row = self._row(item)
        if row is not None:
            self.vm.call(row)

    def _chat(self, item: QTreeWidgetItem | None) -> None:
        row = self._row(item)
        if row is not None:
            self.vm.chat(row)

    def _delete(self) -> None:
        row = self._row(self.tree.currentItem())
        if row is not None and row.kind == "personal":
            self.vm.remove_personal(row.number)

    def _add(self) -> None:
        d = AddContactDialog(self)
        if d.exec():
            self.vm.add_personal(d.name.text(), d.number.text(), d.company.text())

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import contacts"), "", self.tr("Contacts (*.csv *.xlsx)")
        )
        if path:
            self.vm.import_file(Path(path))

    def _sync(self) -> None:
        row = self._row(self.tree.currentItem())
        self.call.setEnabled(row is not None)
        self.chat.setEnabled(row is not None and row.kind == "colleague")
        self.delete.setVisible(row is not None and row.kind == "personal")

    def refresh(self) -> None:
        current = self._row(self.tree.currentItem())
        self.tree.clear()
        for heading, rows in (
            (self.tr("Colleagues"), self.vm.colleagues()),
            (self.tr("My contacts"), self.vm.personal()),
        ):
            top = QTreeWidgetItem([f"{heading} ({len(rows)})"])
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(top)
            for r in rows:
                third = status_text(r.presence) if r.kind == "colleague" and r.presence else r.company
                it = QTreeWidgetItem([r.name, format_vn_number(r.number), third])
                it.setData(0, Qt.ItemDataRole.UserRole, r)
                if r.kind == "colleague":
                    it.setIcon(0, presence_icon(r.presence))
                top.addChild(it)
                if current is not None and current.number == r.number:
                    self.tree.setCurrentItem(it)
            top.setExpanded(True)
        self.tree.resizeColumnToContents(0)
        self.tree.resizeColumnToContents(1)
        self._sync()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Contacts"))
        self.search.setPlaceholderText(self.tr("Search name or number"))
        self.add.setText(self.tr("New contact"))
        self.import_button.setText(self.tr("Import CSV / Excel…"))
        self.tree.setHeaderLabels([self.tr("Name"), self.tr("Number"), self.tr("Status")])
        self.chat.setText(self.tr("Chat"))
        self.delete.setText(self.tr("Delete"))
        self.call.setText(self.tr("Call"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
