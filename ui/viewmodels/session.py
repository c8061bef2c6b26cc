"""Signing in to the company server: first-run pages, activation, token expiry and config refresh.

Theory of operation: ``page`` is the single piece of state the onboarding view shows
(welcome -> login | register_phone -> register_code -> register_details -> accounts -> ready).
Every server call goes through ``_server`` so one place turns API errors into user-facing codes and
treats 401 as "the token expired": the page goes back to login with ``relogin`` set, and after the
agent signs in again the work continues. Provisioned accounts are re-fetched every
``refresh_interval_ms``; a higher ``revision`` re-installs the account (engine modify_account).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from softphone.phone_numbers import normalize_dial_string
from softphone.provisioning import AccountSummary, ApiError, Me, ProvisioningClient
from softphone.tasks import TaskRunner
from ui.viewmodels.accounts import AccountsViewModel
from ui.viewmodels.contacts import ContactsViewModel

log = logging.getLogger(__name__)
T = TypeVar("T")

DESKTOP_KINDS = ("desktop", "web", "")
PAGES = ("welcome", "login", "register_phone", "register_code", "register_details", "accounts", "ready")


class SessionViewModel(QObject):
    changed = Signal()
    activated = Signal(str)  # account_id
    provisioned = Signal(object)  # a ProvisioningDocument just installed (server-side settings to apply)
    signedOut = Signal()

    def __init__(
        self,
        client_factory: Callable[[str], ProvisioningClient],
        accounts: AccountsViewModel,
        contacts: ContactsViewModel,
        *,
        server_url: str,
        refresh_interval_ms: int = 300_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._client_factory = client_factory
        self._server_url = server_url
        self._client: ProvisioningClient | None = None
        self._accounts = accounts
        self._contacts = contacts
        self._runner = TaskRunner(self._on_task_error)
        self.page = "ready" if accounts.has_accounts() else "welcome"
        self.busy = False
        self._busy_calls = 0
        self.error = ""  # error code, translated by the view
        self.error_detail = ""
        self.relogin = False
        self.user: Me | None = None
        self.server_accounts: list[AccountSummary] = []
        self.activating_device: int | None = None
        self._phone = ""
        self._otp_token = ""
        self._refresh = QTimer(self)
        self._refresh.setInterval(refresh_interval_ms)
        self._refresh.timeout.connect(self.refresh_provisioning)

    # ------------------------------------------------------------------ plumbing

    @property
    def server_url(self) -> str:
        return self._server_url

    def set_server_url(self, url: str) -> None:
        url = url.strip().rstrip("/")
        if url and url != self._server_url:
            self._server_url = url
            self._client = None

    @property
    def client(self) -> ProvisioningClient:
        if self._client is None:
            self._client = self._client_factory(self._server_url)
        return self._client

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def go(self, page: str) -> None:
        if page in PAGES:
            self.page = page
            self.error = ""
            self.error_detail = ""
            self.changed.emit()

    def _set(self, **changes: Any) -> None:
        for k, v in changes.items():
            setattr(self, k, v)
        self.changed.emit()

    async def _server(self, call: Callable[[], Awaitable[T]], *, quiet: bool = False) -> T | None:
        """Run one API call. ``quiet`` calls (background refreshes) neither show progress nor errors."""
        if not quiet:
            self._busy_calls += 1
            self._set(busy=True, error="", error_detail="")
        try:
            return await call()
        except Exception as exc:
            status = exc.status if isinstance(exc, ApiError) else None
            if status == 401 and self.user is not None:
                self._set(relogin=True, page="login", error="session_expired")
                self._refresh.stop()
            elif quiet:
                log.warning("background server call failed: %s", exc)
            elif isinstance(exc, ApiError) and exc.status:
                self._set(error=exc.code or f"http_{exc.status}", error_detail=exc.message)
            else:
                log.warning("server unreachable: %s", exc)
                self._set(error="network", error_detail=str(exc))
            return None
        finally:
            if not quiet:
                self._busy_calls -= 1
                self._set(busy=self._busy_calls > 0)

    def _on_task_error(self, exc: BaseException) -> None:
        self._set(busy=False, error="unexpected", error_detail=str(exc))

    # ------------------------------------------------------------------ login and sign-up

    def login(self, login: str, password: str) -> None:
        self._runner.spawn(self.login_async(login, password))

    async def login_async(self, login: str, password: str) -> bool:
        login = login.strip()
        if "@" not in login:
            login = normalize_dial_string(login)
        if not login or not password:
            self._set(error="missing_fields")
            return False
        if await self._server(lambda: self.client.login(login, password)) is None:
            return False
        return await self._after_sign_in()

    def request_code(self, phone: str) -> None:
        self._runner.spawn(self.request_code_async(phone))

    async def request_code_async(self, phone: str) -> bool:
        phone = normalize_dial_string(phone)
        if not phone.isdigit() or len(phone) < 9:
            self._set(error="invalid_phone")
            return False
        self._phone = phone
        await self._server(lambda: self.client.request_otp(phone, "signup"))
        if self.error:
            return False
        self.go("register_code")
        return True

    def verify_code(self, code: str) -> None:
        self._runner.spawn(self.verify_code_async(code))

    async def verify_code_async(self, code: str) -> bool:
        token = await self._server(lambda: self.client.verify_otp(self._phone, code.strip(), "signup"))
        if not token:
            return False
        self._otp_token = token
        self.go("register_details")
        return True

    def register(self, password: str, full_name: str, company_name: str, email: str = "") -> None:
        self._runner.spawn(self.register_async(password, full_name, company_name, email))

    async def register_async(self, password: str, full_name: str, company_name: str, email: str = "") -> bool:
        if len(password) < 8:
            self._set(error="weak_password")
            return False
        if not full_name.strip():
            self._set(error="missing_fields")
            return False
        await self._server(
            lambda: self.client.signup(
                self._otp_token,
                password,
                full_name.strip(),
                email=email.strip() or None,
                company_name=company_name.strip() or None,
            )
        )
        if self.error:
            return False
        return await self._after_sign_in()

    async def _after_sign_in(self) -> bool:
        me = await self._server(self.client.me)
        if me is None:
            return False
        self.user = me
        was_relogin = self.relogin
        self.relogin = False
        await self.load_accounts_async()
        if was_relogin and self._accounts.has_accounts():
            self.go("ready")
        else:
            self.go("accounts")
        self._refresh.start()
        self._runner.spawn(self.load_directory_async())
        return True

    def resume(self) -> None:
        """At start-up: if the keyring still holds tokens, continue the session quietly."""
        self._runner.spawn(self.resume_async())

    async def resume_async(self) -> bool:
        if not self.client.logged_in:
            return False
        try:
            me = await self.client.me()
        except Exception as exc:  # expired or offline: the agent can still call; login is offered later
            log.info("session not resumed: %s", exc)
            return False
        self.user = me
        self._refresh.start()
        await self.load_directory_async()
        await self.refresh_provisioning_async()
        self.changed.emit()
        return True

    def logout(self) -> None:
        self._runner.spawn(self.logout_async())

    async def logout_async(self) -> None:
        if self._client is not None:
            try:
                await self.client.logout()
            except Exception as exc:  # already expired or offline: forgetting the tokens is what matters
                log.info("logout: %s", exc)
        self.user = None
        self._refresh.stop()
        self.signedOut.emit()
        self.go("welcome" if not self._accounts.has_accounts() else "ready")

    # ------------------------------------------------------------------ accounts

    async def load_accounts_async(self) -> list[AccountSummary]:
        found = await self._server(self.client.accounts)
        if found is None:
            return []
        # mobile apps and desk phones have their own devices (QR / phone provisioning), not this app's
        self.server_accounts = [a for a in found if a.device_kind in DESKTOP_KINDS]
        self.changed.emit()
        return self.server_accounts

    def activate(self, device_id: int) -> None:
        self._runner.spawn(self.activate_async(device_id))

    async def activate_async(self, device_id: int) -> str | None:
        self._set(activating_device=device_id)
        try:
            doc = await self._server(lambda: self.client.activate(device_id))
            if doc is None:
                return None
            company = next((a.company_name for a in self.server_accounts if a.device_id == device_id), "")
            record = self._accounts.install_provisioned(doc, device_id=device_id, company_name=company)
            self.provisioned.emit(doc)
        finally:
            self._set(activating_device=None)
        self.go("ready")
        self.activated.emit(record.account_id)
        return record.account_id

    def is_activated(self, account: AccountSummary) -> bool:
        return any(r.device_id == account.device_id for r in self._accounts.records())

    def refresh_provisioning(self) -> None:
        self._runner.spawn(self.refresh_provisioning_async())

    async def refresh_provisioning_async(self) -> int:
        """Re-install provisioned accounts whose server revision moved on; returns how many changed."""
        if self.user is None:
            return 0
        changed = 0
        for record in self._accounts.records():
            if record.source != "provisioned" or record.device_id is None:
                continue
            device_id = record.device_id
            doc = await self._server(lambda d=device_id: self.client.provisioning(d), quiet=True)
            if doc is not None and doc.revision != record.revision:
                self._accounts.install_provisioned(doc, device_id=device_id, company_name=record.company_name)
                self.provisioned.emit(doc)
                changed += 1
        if changed:
            await self.load_directory_async()
        return changed

    # ------------------------------------------------------------------ directory, settings, mobile

    def load_directory(self) -> None:
        self._runner.spawn(self.load_directory_async())

    async def load_directory_async(self) -> None:
        if self.user is None:
            return
        colleagues = await self._server(self.client.directory, quiet=True)
        if colleagues is None:
            return
        self._contacts.set_directory(colleagues)
        for account_id in self._accounts.registered_ids():
            self._contacts.subscribe_all(account_id)

    def push_settings(self, **settings: Any) -> None:
        """PATCH /me/settings (dnd, auto_answer, auto_answer_delay, ring_method, mobile_number)."""
        if self.user is not None:
            self._runner.spawn(self._server(lambda: self.client.update_settings(**settings), quiet=True))

    async def mobile_qr_async(self) -> bytes | None:
        """PNG bytes of the QR code that provisions the agent's mobile app."""
        if self.user is None:
            self._set(error="not_signed_in")
            return None
        return await self._server(self.client.mobile_provisioning_qr)

    def shutdown(self) -> None:
        self._refresh.stop()
        self._runner.cancel_all()
