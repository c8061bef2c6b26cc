"""Async client of the provisioning API (docs/api-contract.md) and the provisioning document it returns.

Tokens live only in the injected ``Secrets`` (``softphone.secrets.SecretStore`` in the app). Every
authenticated call that answers 401 triggers one refresh of the access token (``/auth/refresh``) and one
retry; concurrent callers share that refresh. When the refresh itself is refused the stored tokens are
dropped and ``ApiError(401, "session_expired", ...)`` tells the UI to show the login screen.

``ProvisioningDocument.from_json`` is strict: a missing field or a wrong type raises
``ProvisioningFormatError`` naming the field (unknown extra fields are ignored: a newer server may add
some).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlsplit

from softphone.config import AccountConfig

# httpx imports its command-line client (click, rich, pygments: ~6 MB resident) unless that import fails; the
# app never runs it. httpx then only prints "install httpx[cli]" if someone calls ``httpx.main()``.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
import httpx  # noqa: E402

if TYPE_CHECKING:
    from softphone.secrets import Secrets

Purpose = Literal["signup", "reset"]
RingMethod = Literal["all", "app", "ip_phone", "mobile"]
TransportName = Literal["udp", "tcp", "tls"]
SrtpName = Literal["off", "optional", "mandatory"]

T = TypeVar("T")


class ApiError(Exception):
    """An error answer of the API (``{"error": {code, message, fields}}``); status 0: no answer."""

    def __init__(self, status: int, code: str, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})


class ProvisioningFormatError(ValueError):
    """The provisioning document does not match the contract."""


# ---------------------------------------------------------------------------------------------- parsing


def _get(obj: Mapping[str, Any], key: str, kind: type[T] | tuple[type, ...], path: str) -> T:
    if not isinstance(obj, Mapping):
        raise ProvisioningFormatError(f"{path}: expected an object")
    if key not in obj:
        raise ProvisioningFormatError(f"{path}.{key}: missing")
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python; never accept it where a number is expected (and vice versa).
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if not ok:
        names = "/".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise ProvisioningFormatError(f"{path}.{key}: expected {names}, got {type(value).__name__}")
    return value  # type: ignore[no-any-return]


def _choice(obj: Mapping[str, Any], key: str, choices: tuple[str, ...], path: str) -> Any:
    value = _get(obj, key, str, path)
    if value not in choices:
        raise ProvisioningFormatError(f"{path}.{key}: {value!r} is not one of {', '.join(choices)}")
    return value


def _list(obj: Mapping[str, Any], key: str, path: str) -> list[Any]:
    return _get(obj, key, list, path)


@dataclass(frozen=True, slots=True)
class TransportOffer:
    type: TransportName
    port: int


@dataclass(frozen=True, slots=True)
class ProvisionedAccount:
    display_name: str
    extension: str | None
    sip_domain: str
    sip_username: str
    sip_password: str
    auth_realm: str
    registrar: str
    proxy: str
    transports: tuple[TransportOffer, ...]
    srtp: SrtpName
    register_expires: int


@dataclass(frozen=True, slots=True)
class HotlineOffer:
    number: str
    carrier: str
    label: str
    default: bool


@dataclass(frozen=True, slots=True)
class Permissions:
    outbound: bool
    monthly_minutes: int | None
    minutes_used: float


@dataclass(frozen=True, slots=True)
class AutoAnswer:
    enabled: bool
    delay: int


def _host_port(uri: str) -> tuple[str, int | None]:
    """'sip:127.0.0.1:5060;lr' -> ('127.0.0.1', 5060); '[::1]:5060' and bare hosts work too."""
    rest = uri.split(":", 1)[1] if uri.startswith(("sip:", "sips:")) else uri
    rest = rest.split(";", 1)[0].split("?", 1)[0]
    if "@" in rest:
        rest = rest.split("@", 1)[1]
    parsed = urlsplit(f"//{rest}")
    host = parsed.hostname or rest
    if ":" in host:
        host = f"[{host}]"
    return host, parsed.port


@dataclass(frozen=True, slots=True)
class ProvisioningDocument:
    revision: int
    account: ProvisionedAccount
    codecs: tuple[str, ...]
    hotlines: tuple[HotlineOffer, ...]
    adaptive_number: bool
    permissions: Permissions
    ring_method: RingMethod
    mobile_number: str | None
    auto_answer: AutoAnswer
    dnd: bool
    echo_test: str
    directory_url: str

    @classmethod
    def from_json(cls, data: Any) -> ProvisioningDocument:
        p = "document"
        acc = _get(data, "account", dict, p)
        ap = "document.account"
        transports = []
        for i, t in enumerate(_list(acc, "transports", ap)):
            tp = f"{ap}.transports[{i}]"
            transports.append(
                TransportOffer(
                    type=_choice(t, "type", ("udp", "tcp", "tls"), tp), port=_get(t, "port", int, tp)
                )
            )
        account = ProvisionedAccount(
            display_name=_get(acc, "display_name", str, ap),
            extension=_get(acc, "extension", (str, type(None)), ap),
            sip_domain=_get(acc, "sip_domain", str, ap),
            sip_username=_get(acc, "sip_username", str, ap),
            sip_password=_get(acc, "sip_password", str, ap),
            auth_realm=_get(acc, "auth_realm", str, ap),
            registrar=_get(acc, "registrar", str, ap),
            proxy=_get(acc, "proxy", str, ap),
            transports=tuple(transports),
            srtp=_choice(acc, "srtp", ("off", "optional", "mandatory"), ap),
            register_expires=_get(acc, "register_expires", int, ap),
        )
        hotlines = []
        for i, h in enumerate(_list(data, "hotlines", p)):
            hp = f"{p}.hotlines[{i}]"
            hotlines.append(
                HotlineOffer(
                    number=_get(h, "number", str, hp),
                    carrier=_get(h, "carrier", str, hp),
                    label=_get(h, "label", str, hp),
                    default=_get(h, "default", bool, hp),
                )
            )
        codecs = _list(data, "codecs", p)
        for i, c in enumerate(codecs):
            if not isinstance(c, str):
                raise ProvisioningFormatError(f"{p}.codecs[{i}]: expected str")
        perms = _get(data, "permissions", dict, p)
        pp = f"{p}.permissions"
        auto = _get(data, "auto_answer", dict, p)
        return cls(
            revision=_get(data, "revision", int, p),
            account=account,
            codecs=tuple(codecs),
            hotlines=tuple(hotlines),
            adaptive_number=_get(data, "adaptive_number", bool, p),
            permissions=Permissions(
                outbound=_get(perms, "outbound", bool, pp),
                monthly_minutes=_get(perms, "monthly_minutes", (int, type(None)), pp),
                minutes_used=float(_get(perms, "minutes_used", (int, float), pp)),
            ),
            ring_method=_choice(data, "ring_method", ("all", "app", "ip_phone", "mobile"), p),
            mobile_number=_get(data, "mobile_number", (str, type(None)), p),
            auto_answer=AutoAnswer(
                enabled=_get(auto, "enabled", bool, f"{p}.auto_answer"),
                delay=_get(auto, "delay", int, f"{p}.auto_answer"),
            ),
            dnd=_get(data, "dnd", bool, p),
            echo_test=_get(data, "echo_test", str, p),
            directory_url=_get(data, "directory_url", str, p),
        )

    @property
    def default_hotline(self) -> HotlineOffer | None:
        return next((h for h in self.hotlines if h.default), self.hotlines[0] if self.hotlines else None)

    def to_account_config(
        self,
        account_id: str | None = None,
        *,
        transport: TransportName | None = None,
        prefer: tuple[TransportName, ...] = ("udp", "tcp", "tls"),
    ) -> AccountConfig:
        """The engine's AccountConfig.

        The transport is ``transport`` or the first of ``prefer`` offered (TLS first when SRTP is mandatory,
        so keys are not exchanged in clear); the registrar and proxy get that transport's port.
        """
        a = self.account
        offered = {t.type: t.port for t in a.transports}
        if transport is None:
            order = ("tls", *prefer) if a.srtp == "mandatory" else prefer
            transport = next((t for t in order if t in offered), None)
            if transport is None:
                raise ProvisioningFormatError("document.account.transports: no usable transport offered")
        elif transport not in offered:
            raise ValueError(f"transport {transport!r} is not offered (offered: {', '.join(offered)})")
        port = offered[transport]
        reg_host, _ = _host_port(a.registrar)
        proxy_host, _ = _host_port(a.proxy) if a.proxy else ("", None)
        return AccountConfig(
            account_id=account_id or f"{a.sip_username}@{a.sip_domain}",
            display_name=a.display_name,
            sip_username=a.sip_username,
            sip_password=a.sip_password,
            sip_domain=a.sip_domain,
            registrar=f"{reg_host}:{port}",
            proxy=f"{proxy_host}:{port}" if proxy_host else None,
            transport=transport,
            srtp=a.srtp,
            register=True,
            register_expires=a.register_expires,
            extension=a.extension,
        )


# ---------------------------------------------------------------------------------------------- other answers


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class Company:
    id: int
    name: str
    sip_domain: str


@dataclass(frozen=True, slots=True)
class Me:
    id: int
    full_name: str
    phone: str
    email: str | None
    role: str
    company: Company


@dataclass(frozen=True, slots=True)
class AccountSummary:
    device_id: int
    company_name: str
    sip_domain: str
    extension: str | None
    display_name: str
    device_kind: str
    sip_username: str


@dataclass(frozen=True, slots=True)
class UserSettings:
    dnd: bool
    auto_answer: bool
    auto_answer_delay: int
    ring_method: str
    mobile_number: str | None
    revision: int | None


FORWARD_CONDITIONS = ("always", "busy", "no_answer", "unreachable")
FORWARD_TARGET_KINDS = ("extension", "voicemail", "external")


@dataclass(frozen=True, slots=True)
class ForwardingRule:
    """One of my call forwarding rules (`/me/forwarding`); `seconds` matters for no_answer only."""

    enabled: bool = False
    target_kind: str = "extension"
    target: str = ""
    seconds: int = 20
    target_missing: bool = False  # the extension it names was deleted since: the PBX ignores the rule


@dataclass(frozen=True, slots=True)
class Colleague:
    user_id: int
    full_name: str
    extensions: tuple[str, ...]
    sip_uri: str | None
    presence_uri: str | None


@dataclass(frozen=True, slots=True)
class MobileProvisioning:
    token: str
    url: str
    expires_at: str
    qr_png_url: str
    qr_svg_url: str


def _fields(cls: type[T], data: Any, path: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ApiError(0, "bad_response", f"{path}: expected an object")
    names = cls.__dataclass_fields__  # type: ignore[attr-defined]
    missing = [n for n in names if n not in data and n != "revision"]
    if missing:
        raise ApiError(0, "bad_response", f"{path}: missing {', '.join(missing)}")
    return {n: data.get(n) for n in names}


def _with_missing_flag(rule: Any) -> Any:
    """Servers before `target_missing` did not send it."""
    return {"target_missing": False, **rule} if isinstance(rule, Mapping) else rule


def _forwarding(data: Any) -> dict[str, ForwardingRule]:
    if not isinstance(data, Mapping):
        raise ApiError(0, "bad_response", "forwarding: expected an object")
    return {
        c: ForwardingRule(**_fields(ForwardingRule, _with_missing_flag(data[c]), f"forwarding.{c}"))
        for c in FORWARD_CONDITIONS
        if c in data
    }


# ---------------------------------------------------------------------------------------------- client


API_PREFIX = "/api/v1"


def api_base(server_url: str) -> str:
    """``http://host:8080`` or ``http://host:8080/api/v1`` -> the API base URL."""
    url = server_url.strip().rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class ProvisioningClient:
    """``async with ProvisioningClient("http://127.0.0.1:8080/api/v1", SecretStore()) as api: ...``"""

    def __init__(
        self,
        base_url: str,
        token_store: Secrets,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._tokens = token_store
        self._key = f"api:{self.base_url}"
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout)
        self._refresh_lock = asyncio.Lock()

    async def __aenter__(self) -> ProvisioningClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ token storage

    @property
    def access_token(self) -> str | None:
        return self._tokens.get(f"{self._key}:access_token")

    @property
    def refresh_token(self) -> str | None:
        return self._tokens.get(f"{self._key}:refresh_token")

    @property
    def logged_in(self) -> bool:
        return self.refresh_token is not None

    def _store(self, tokens: Tokens) -> Tokens:
        self._tokens.set(f"{self._key}:access_token", tokens.access_token)
        self._tokens.set(f"{self._key}:refresh_token", tokens.refresh_token)
        return tokens

    def forget_tokens(self) -> None:
        self._tokens.delete(f"{self._key}:access_token")
        self._tokens.delete(f"{self._key}:refresh_token")

    # ------------------------------------------------------------------ transport

    async def _send(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        try:
            return await self._http.request(method, path, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise ApiError(0, "unreachable", f"cannot reach the server: {exc}") from exc

    @staticmethod
    def _raise_for(response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            err = response.json()["error"]
            raise ApiError(
                response.status_code, str(err["code"]), str(err["message"]), err.get("fields") or {}
            )
        except (ValueError, KeyError, TypeError):
            raise ApiError(
                response.status_code,
                f"http_{response.status_code}",
                response.text[:200] or response.reason_phrase,
            ) from None

    async def _public(self, method: str, path: str, json: Any = None) -> Any:
        response = await self._send(method, path, json=json)
        self._raise_for(response)
        return response.json() if response.content else None

    async def request(self, method: str, path: str, json: Any = None) -> Any:
        """An authenticated call (any endpoint, e.g. the admin API): refresh on 401 and retry once."""
        response = await self.request_response(method, path, json)
        return response.json() if response.content else None

    async def request_response(self, method: str, path: str, json: Any = None) -> httpx.Response:
        """`request`, answering with the HTTP response itself (a file's bytes, say)."""
        token = self.access_token
        if token is None and self.refresh_token is None:
            raise ApiError(401, "not_logged_in", "log in first")
        response = None
        if token is not None:
            response = await self._send(method, path, json=json, headers={"Authorization": f"Bearer {token}"})
        if response is None or response.status_code == 401:
            token = await self._refresh_after_401(token)
            response = await self._send(method, path, json=json, headers={"Authorization": f"Bearer {token}"})
        self._raise_for(response)
        return response

    async def _refresh_after_401(self, rejected: str | None) -> str:
        async with self._refresh_lock:
            current = self.access_token
            if current is not None and current != rejected:
                return current  # another caller refreshed while we waited
            tokens = await self.refresh()
            return tokens.access_token

    # ------------------------------------------------------------------ auth

    async def request_otp(self, phone: str, purpose: Purpose = "signup") -> int:
        """Send an OTP SMS; returns its validity in seconds (429 when asked too often)."""
        data = await self._public("POST", "/auth/otp", {"phone": phone, "purpose": purpose})
        return int(data["expires_in"])

    async def verify_otp(self, phone: str, code: str, purpose: Purpose = "signup") -> str:
        data = await self._public(
            "POST", "/auth/otp/verify", {"phone": phone, "code": code, "purpose": purpose}
        )
        return str(data["otp_token"])

    async def signup(
        self,
        otp_token: str,
        password: str,
        full_name: str,
        *,
        email: str | None = None,
        company_name: str | None = None,
        invite_code: str | None = None,
    ) -> Tokens:
        body: dict[str, Any] = {"otp_token": otp_token, "password": password, "full_name": full_name}
        for key, value in (("email", email), ("company_name", company_name), ("invite_code", invite_code)):
            if value is not None:
                body[key] = value
        return self._store(self._tokens_of(await self._public("POST", "/auth/signup", body)))

    async def login(self, login: str, password: str) -> Tokens:
        """``login`` is a phone number (any accepted form) or an e-mail address."""
        data = await self._public("POST", "/auth/login", {"login": login, "password": password})
        return self._store(self._tokens_of(data))

    async def refresh(self) -> Tokens:
        refresh_token = self.refresh_token
        if refresh_token is None:
            raise ApiError(401, "not_logged_in", "log in first")
        try:
            data = await self._public("POST", "/auth/refresh", {"refresh_token": refresh_token})
        except ApiError as exc:
            if exc.status in (400, 401, 403):
                self.forget_tokens()
                raise ApiError(401, "session_expired", "the session has expired; log in again") from exc
            raise
        return self._store(self._tokens_of(data))

    async def logout(self) -> None:
        refresh_token = self.refresh_token
        try:
            if refresh_token is not None:
                await self._public("POST", "/auth/logout", {"refresh_token": refresh_token})
        finally:
            self.forget_tokens()

    async def reset_password(self, otp_token: str, password: str) -> None:
        await self._public("POST", "/auth/password-reset", {"otp_token": otp_token, "password": password})

    @staticmethod
    def _tokens_of(data: Any) -> Tokens:
        try:
            return Tokens(str(data["access_token"]), str(data["refresh_token"]), int(data["expires_in"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError(0, "bad_response", f"token answer malformed: {exc}") from exc

    # ------------------------------------------------------------------ me

    async def me(self) -> Me:
        data = await self.request("GET", "/me")
        fields = _fields(Me, data, "me")
        fields["company"] = Company(**_fields(Company, data["company"], "me.company"))
        return Me(**fields)

    async def accounts(self) -> list[AccountSummary]:
        return [
            AccountSummary(**_fields(AccountSummary, a, "account"))
            for a in await self.request("GET", "/me/accounts")
        ]

    async def activate(self, device_id: int) -> ProvisioningDocument:
        """Activate this device's SIP account (the server also e-mails it); returns its document."""
        return ProvisioningDocument.from_json(
            await self.request("POST", f"/me/accounts/{device_id}/activate")
        )

    async def provisioning(self, device_id: int) -> ProvisioningDocument:
        return ProvisioningDocument.from_json(
            await self.request("GET", f"/me/accounts/{device_id}/provisioning")
        )

    async def settings(self) -> UserSettings:
        return UserSettings(**_fields(UserSettings, await self.request("GET", "/me/settings"), "settings"))

    async def update_settings(
        self,
        *,
        dnd: bool | None = None,
        auto_answer: bool | None = None,
        auto_answer_delay: int | None = None,
        ring_method: RingMethod | None = None,
        mobile_number: str | None = None,
    ) -> UserSettings:
        """PATCH only the given settings; returns them all as stored."""
        changes = {
            k: v
            for k, v in (
                ("dnd", dnd),
                ("auto_answer", auto_answer),
                ("auto_answer_delay", auto_answer_delay),
                ("ring_method", ring_method),
                ("mobile_number", mobile_number),
            )
            if v is not None
        }
        data = await self.request("PATCH", "/me/settings", changes)
        return UserSettings(**_fields(UserSettings, data, "settings"))

    async def forwarding(self) -> dict[str, ForwardingRule]:
        """My four call forwarding rules, by condition (always, busy, no_answer, unreachable)."""
        return _forwarding(await self.request("GET", "/me/forwarding"))

    async def update_forwarding(self, rules: Mapping[str, ForwardingRule]) -> dict[str, ForwardingRule]:
        """Replace my rules (a condition left out is off); 422 ApiError.fields names "busy.target" etc."""
        body = {
            c: {"enabled": r.enabled, "target_kind": r.target_kind, "target": r.target, "seconds": r.seconds}
            for c, r in rules.items()
        }
        return _forwarding(await self.request("PUT", "/me/forwarding", body))

    async def directory(self) -> list[Colleague]:
        out = []
        for c in await self.request("GET", "/directory"):
            fields = _fields(Colleague, c, "colleague")
            fields["extensions"] = tuple(fields["extensions"] or ())
            out.append(Colleague(**fields))
        return out

    async def mobile_provisioning(self, device_id: int | None = None) -> MobileProvisioning:
        """A one-time QR token for a mobile app (Linphone) to provision itself."""
        body = {"device_id": device_id} if device_id is not None else None
        data = await self.request("POST", "/me/mobile-provisioning", body)
        return MobileProvisioning(**_fields(MobileProvisioning, data, "mobile_provisioning"))

    async def mobile_provisioning_qr(self) -> bytes:
        """PNG bytes of a fresh one-time QR code that provisions the agent's mobile app."""
        offer = await self.mobile_provisioning()
        try:
            response = await self._http.get(offer.qr_png_url)
        except httpx.HTTPError as exc:
            raise ApiError(0, "unreachable", f"cannot reach the server: {exc}") from exc
        self._raise_for(response)
        return response.content

    async def provisioning_by_token(self, token: str) -> ProvisioningDocument:
        """Redeem a QR token as our own app (JSON document; 404 used, 410 expired)."""
        response = await self._send("GET", f"/provisioning/{token}", headers={"Accept": "application/json"})
        self._raise_for(response)
        return ProvisioningDocument.from_json(response.json())
