"""First run: welcome, log in, register with an SMS code, pick and activate an account."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.viewmodels.session import PAGES, SessionViewModel
from ui.views.common import icon
from ui.views.texts import error_text


def _primary(text_parent: QWidget) -> QPushButton:
    b = QPushButton(text_parent)
    b.setObjectName("primary")
    return b


def _link(parent: QWidget) -> QPushButton:
    b = QPushButton(parent)
    b.setObjectName("link")
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    return b


def _actions(primary: QPushButton, secondary: QPushButton | None = None) -> QVBoxLayout:
    """A form's buttons: the main one across the form, a secondary link centred under it."""
    col = QVBoxLayout()
    col.setContentsMargins(0, 8, 0, 0)
    col.addWidget(primary)
    if secondary is not None:
        col.addWidget(secondary, 0, Qt.AlignmentFlag.AlignHCenter)
    return col


class OnboardingView(QWidget):
    def __init__(
        self,
        vm: SessionViewModel,
        *,
        on_manual_account: Callable[[], None],
        on_skip: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.vm = vm
        self.setObjectName("page")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        card = QFrame(self)
        card.setObjectName("card")
        card.setFixedWidth(440)
        c = QVBoxLayout(card)
        c.setContentsMargins(28, 24, 28, 24)
        c.setSpacing(10)
        logo = QLabel(card)
        logo.setPixmap(icon("app").pixmap(56, 56))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        c.addWidget(logo)
        self.heading = QLabel(card)
        self.heading.setObjectName("title")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.heading.setWordWrap(True)
        self.explain = QLabel(card)
        self.explain.setObjectName("subtitle")
        self.explain.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.explain.setWordWrap(True)
        c.addWidget(self.heading)
        c.addWidget(self.explain)
        self.stack = QStackedWidget(card)
        c.addWidget(self.stack)
        self.progress = QProgressBar(card)
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(6)
        self.progress.setTextVisible(False)
        c.addWidget(self.progress)
        self.error = QLabel(card)
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        c.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        # welcome
        w = QWidget()
        wl = QVBoxLayout(w)
        self.to_login = _primary(w)
        self.to_login.clicked.connect(lambda: vm.go("login"))
        self.to_register = QPushButton(w)
        self.to_register.clicked.connect(lambda: vm.go("register_phone"))
        self.manual = _link(w)
        self.manual.clicked.connect(on_manual_account)
        self.server = QLineEdit(w)
        self.server.setText(vm.server_url)
        self.server.editingFinished.connect(lambda: vm.set_server_url(self.server.text()))
        self.server_label = QLabel(w)
        self.server_label.setObjectName("subtitle")
        for x in (self.to_login, self.to_register, self.manual):
            wl.addWidget(x)
        wl.addSpacing(12)
        wl.addWidget(self.server_label)
        wl.addWidget(self.server)
        self.pages: dict[str, QWidget] = {"welcome": w}

        # login
        lw = QWidget()
        lf = QFormLayout(lw)
        self.login = QLineEdit(lw)
        self.password = QLineEdit(lw)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self._login)
        self.do_login = _primary(lw)
        self.do_login.clicked.connect(self._login)
        self.back_login = _link(lw)
        self.back_login.clicked.connect(lambda: vm.go("welcome"))
        self.lbl_login, self.lbl_password = QLabel(lw), QLabel(lw)
        self.login.setPlaceholderText("0912 345 678 / ten@congty.vn")
        lf.addRow(self.lbl_login, self.login)
        lf.addRow(self.lbl_password, self.password)
        lf.addRow(_actions(self.do_login, self.back_login))
        self.pages["login"] = lw

        # register: phone
        pw = QWidget()
        pf = QFormLayout(pw)
        self.phone = QLineEdit(pw)
        self.phone.setPlaceholderText("0912 345 678")
        self.send_code = _primary(pw)
        self.send_code.clicked.connect(lambda: vm.request_code(self.phone.text()))
        self.back_phone = _link(pw)
        self.back_phone.clicked.connect(lambda: vm.go("welcome"))
        self.lbl_phone = QLabel(pw)
        pf.addRow(self.lbl_phone, self.phone)
        pf.addRow(_actions(self.send_code, self.back_phone))
        self.pages["register_phone"] = pw

        # register: code
        cw = QWidget()
        cf = QFormLayout(cw)
        self.code = QLineEdit(cw)
        self.code.setMaxLength(8)
        self.code.returnPressed.connect(lambda: vm.verify_code(self.code.text()))
        self.verify = _primary(cw)
        self.verify.clicked.connect(lambda: vm.verify_code(self.code.text()))
        self.resend = _link(cw)
        self.resend.clicked.connect(lambda: vm.request_code(self.phone.text()))
        self.lbl_code = QLabel(cw)
        cf.addRow(self.lbl_code, self.code)
        cf.addRow(_actions(self.verify, self.resend))
        self.pages["register_code"] = cw

        # register: details
        dw = QWidget()
        df = QFormLayout(dw)
        self.full_name = QLineEdit(dw)
        self.company = QLineEdit(dw)
        self.email = QLineEdit(dw)
        self.new_password = QLineEdit(dw)
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.create = _primary(dw)
        self.create.clicked.connect(
            lambda: vm.register(
                self.new_password.text(), self.full_name.text(), self.company.text(), self.email.text()
            )
        )
        self.lbl_name, self.lbl_company, self.lbl_email, self.lbl_new_password = (
            QLabel(dw) for _ in range(4)
        )
        df.addRow(self.lbl_name, self.full_name)
        df.addRow(self.lbl_company, self.company)
        df.addRow(self.lbl_email, self.email)
        df.addRow(self.lbl_new_password, self.new_password)
        df.addRow(_actions(self.create))
        self.pages["register_details"] = dw

        # accounts
        aw = QWidget()
        al = QVBoxLayout(aw)
        self.accounts = QListWidget(aw)
        self.accounts.setMinimumHeight(120)
        self.activate = _primary(aw)
        self.activate.clicked.connect(self._activate)
        self.skip = _link(aw)
        self.skip.clicked.connect(on_skip)
        al.addWidget(self.accounts)
        al.addWidget(self.activate)
        al.addWidget(self.skip, 0, Qt.AlignmentFlag.AlignHCenter)
        self.pages["accounts"] = aw

        for name in PAGES[:-1]:
            self.stack.addWidget(self.pages[name])
        vm.changed.connect(self.refresh)
        self.retranslate()

    def _login(self) -> None:
        self.vm.login(self.login.text(), self.password.text())

    def _activate(self) -> None:
        it = self.accounts.currentItem() or (self.accounts.item(0) if self.accounts.count() == 1 else None)
        if it is not None and it.data(Qt.ItemDataRole.UserRole) is not None:
            self.vm.activate(int(it.data(Qt.ItemDataRole.UserRole)))

    def refresh(self) -> None:
        page = self.vm.page if self.vm.page in self.pages else "welcome"
        # The stack takes the height of its current page only, so short pages are not padded.
        for name, widget in self.pages.items():
            policy = QSizePolicy.Policy.Preferred if name == page else QSizePolicy.Policy.Ignored
            widget.setSizePolicy(policy, policy)
        self.stack.setCurrentWidget(self.pages[page])
        self.stack.adjustSize()
        if page != "login":
            self.password.clear()
        if page != "register_details":
            self.new_password.clear()
        busy = self.vm.busy or self.vm.activating_device is not None
        self.progress.setVisible(busy)
        for b in (self.do_login, self.send_code, self.verify, self.create, self.activate):
            b.setEnabled(not busy)
        self.error.setText(error_text(self.vm.error, self.vm.error_detail) if self.vm.error else "")
        headings = {
            "welcome": (
                self.tr("Welcome"),
                self.tr("Sign in to your company's phone system to start calling."),
            ),
            "login": (
                self.tr("Log in"),
                self.tr("Use the phone number or e-mail and the password of your account."),
            ),
            "register_phone": (
                self.tr("Create an account"),
                self.tr("We will send a code by SMS to this number."),
            ),
            "register_code": (
                self.tr("Enter the code"),
                self.tr("Type the code we sent by SMS to %1.").replace("%1", self.phone.text()),
            ),
            "register_details": (self.tr("About you"), self.tr("Choose a password (at least 8 characters).")),
            "accounts": (self.tr("My accounts"), self.tr("Choose the extension to use on this computer.")),
        }
        h, e = headings[page]
        if page == "login" and self.vm.relogin:
            e = self.tr("Your session has expired. Please log in again.")
        if self.vm.activating_device is not None:
            e = self.tr("Installing your configuration and connecting…")
        self.heading.setText(h)
        self.explain.setText(e)
        self.accounts.clear()
        ext = self.tr("ext.")
        for a in self.vm.server_accounts:
            done = self.tr(" (active on this computer)") if self.vm.is_activated(a) else ""
            it = QListWidgetItem(
                f"{a.display_name} · {ext} {a.extension}\n{a.company_name} · {a.sip_domain}{done}"
            )
            it.setData(Qt.ItemDataRole.UserRole, a.device_id)
            self.accounts.addItem(it)
        if not self.vm.server_accounts:
            it = QListWidgetItem(self.tr("Your administrator has not given you an extension yet."))
            it.setFlags(Qt.ItemFlag.NoItemFlags)
            self.accounts.addItem(it)
        elif self.accounts.currentRow() < 0:
            self.accounts.setCurrentRow(0)

    def retranslate(self) -> None:
        self.to_login.setText(self.tr("Log in"))
        self.to_register.setText(self.tr("Create an account"))
        self.manual.setText(self.tr("I have a SIP extension (enter it by hand)"))
        self.server_label.setText(self.tr("Server address"))
        self.lbl_login.setText(self.tr("Phone or e-mail"))
        self.lbl_password.setText(self.tr("Password"))
        self.do_login.setText(self.tr("Log in"))
        self.back_login.setText(self.tr("Back"))
        self.lbl_phone.setText(self.tr("Mobile number"))
        self.send_code.setText(self.tr("Send code"))
        self.back_phone.setText(self.tr("Back"))
        self.lbl_code.setText(self.tr("Code"))
        self.verify.setText(self.tr("Continue"))
        self.resend.setText(self.tr("Send again"))
        self.lbl_name.setText(self.tr("Full name"))
        self.lbl_company.setText(self.tr("Company"))
        self.lbl_email.setText(self.tr("E-mail (optional)"))
        self.lbl_new_password.setText(self.tr("Password"))
        self.create.setText(self.tr("Create account"))
        self.activate.setText(self.tr("Activate on this computer"))
        self.skip.setText(self.tr("Not now"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
