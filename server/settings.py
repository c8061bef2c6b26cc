"""Server settings: defaults < config file (TOML) < environment (`SOFTPHONE_SERVER_*`) < explicit overrides.

Nothing here is read at import time; `load_settings()` builds one `ServerSettings` that `create_app()` and the
runtime receive.  A missing secret key is generated once and kept in the data directory (so a fresh install
works out of the box and tokens survive restarts); the example placeholder from `config.example.toml` is
refused outside demo mode.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from server.domain.policy import PLAIN_HTTP_NETWORKS, DeskPhonePolicy, Policy

PLACEHOLDER_SECRETS = frozenset({"change-me", "changeme", "secret", ""})
DEMO_SECRET_KEY = "demo-only-secret-key-not-for-production"
_POLICY = Policy()
_PHONES = DeskPhonePolicy()


class InsecureSettingsError(ValueError):
    """Raised when a production configuration keeps a placeholder secret."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("softphone-server", appauthor=False))


class ServerSettings(BaseSettings):
    """Every knob of `softphone-server`; see `server/config.example.toml` for the commented list."""

    model_config = SettingsConfigDict(env_prefix="SOFTPHONE_SERVER_", extra="ignore")

    demo: bool = False
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None  # default: sqlite+aiosqlite:///<data_dir>/softphone.db

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    public_base_url: str | None = None  # default: http://<http_host>:<http_port>

    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    sip_tls_port: int | None = None
    sip_public_host: str | None = None  # what clients put in registrar/proxy; default: sip_host
    # The transport QR-provisioned mobile phones (Linphone XML) register over; auto: TLS when
    # sip_tls_port is set, else UDP.
    mobile_transport: Literal["auto", "udp", "tcp", "tls"] = "auto"
    media_enabled: bool = True
    # The media engine (rtpengine): RTP on media_address (default: sip_host), ports in [min, max];
    # feature calls past media_limit get 503 with a Reason.
    media_address: str | None = None
    media_port_min: int = Field(default=30000, ge=1024, le=65535)
    media_port_max: int = Field(default=39999, ge=1024, le=65535)
    media_limit: int = Field(default=400, ge=1)
    media_record_rooms: bool = False  # one mixed WAV per conference room session under <data_dir>/recordings
    # Conference rooms callers must enter a PIN for: room number ("801" or "*801") -> PIN digits.
    media_room_pins: dict[str, str] = Field(default_factory=dict)
    # Two-party call recording (media anchored in rtpengine, one mixed WAV per call under
    # <data_dir>/recordings).  The master switch: off, no call is recorded whatever the companies' policies.
    media_call_recording: bool = True
    # The server's default when neither a company's policy nor a user's override records a call: SIP user
    # names (extensions) whose calls, from or to them, are recorded; "*" records every call.  A list, or
    # comma-separated in the environment.  Empty: none.  A user's "never" override still wins.
    media_record_calls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # SIP flood protection (per source address) and digest lockout; trusted networks are never limited
    # (SBCs, carrier gateways, load generators): a list, or comma-separated in the environment.
    sip_trusted_networks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sip_flood_rate: float = Field(default=300.0, gt=0)
    sip_flood_burst: float = Field(default=600.0, gt=0)
    sip_flood_ban_seconds: float = Field(default=60.0, ge=0)
    sip_auth_failures: int = Field(default=10, ge=1)
    sip_auth_lockout_seconds: float = Field(default=300.0, ge=0)
    # Where carrier gateways named by host name are looked up (RFC 3263: NAPTR/SRV/A): "host" or
    # "host:port"; empty: the system's resolver (/etc/resolv.conf).
    dns_servers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # HTTPS next to HTTP (same app): desk phones outside `phones_plain_http_networks` must use it.
    # Certificate and key in PEM; without them a self-signed one is made in <data_dir>/tls.
    https_port: int | None = None
    https_cert: Path | None = None
    https_key: Path | None = None

    secret_key: SecretStr | None = None
    access_token_ttl: int = _POLICY.access_token_ttl
    refresh_token_ttl: int = _POLICY.refresh_token_ttl

    otp_ttl: int = _POLICY.otp_ttl
    otp_max_attempts: int = _POLICY.otp_max_attempts
    otp_cooldown: int = _POLICY.otp_cooldown
    otp_max_per_hour: int = _POLICY.otp_max_per_hour
    otp_token_ttl: int = _POLICY.otp_token_ttl

    login_max_failures: int = _POLICY.login_max_failures
    lockout_seconds: int = _POLICY.lockout_seconds

    provisioning_token_ttl: int = _POLICY.provisioning_token_ttl
    register_expires: int = 300
    srtp: Literal["off", "optional", "mandatory"] = "optional"

    # Desk phones (`/phones/`, docs/desk-phones.md).
    phones_pairing_minutes: int = Field(default=_PHONES.pairing_minutes, ge=1, le=7 * 24 * 60)
    phones_check_hours: int = Field(default=_PHONES.check_hours, ge=1, le=30 * 24)
    phones_base_url: str | None = _PHONES.base_url
    phones_timezone: str = _PHONES.timezone
    phones_language: str = _PHONES.language
    phones_ntp_server: str = _PHONES.ntp_server
    # Plain HTTP for desk phones only from these (default: loopback and private ranges); HTTPS elsewhere.
    phones_plain_http_networks: list[str] = Field(default_factory=lambda: list(PLAIN_HTTP_NETWORKS))
    phones_max_guesses: int = Field(default=20, ge=1)  # failed by-MAC/token guesses per address ...
    phones_guess_window: int = Field(default=600, ge=1)  # ... within this many seconds ...
    phones_ban_seconds: int = Field(default=900, ge=1)  # ... close its by-MAC requests this long
    phones_rate: float = Field(default=20.0, gt=0)  # requests/s per address (burst below)
    phones_burst: float = Field(default=200.0, ge=1)

    sms_backend: Literal["console", "http"] = "console"
    sms_http_url: str | None = None
    sms_http_token: SecretStr | None = None

    email_backend: Literal["console", "smtp"] = "console"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    email_from: str = "softphone@localhost"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)

    @field_validator("dns_servers", "media_record_calls", mode="before")
    @classmethod
    def _dns_servers(cls, value: Any) -> list[str]:
        if value is None:
            return []
        items = value.split(",") if isinstance(value, str) else list(value)
        return [str(i).strip() for i in items if str(i).strip()]

    @field_validator("sip_trusted_networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> list[str]:
        if value is None:
            return []
        items = value.split(",") if isinstance(value, str) else list(value)
        out: list[str] = []
        for item in (str(i).strip() for i in items):
            if not item:
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"sip_trusted_networks: {item!r} is not an IP address or network") from exc
            out.append(item)
        return out

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServerSettings:
        if self.mobile_transport == "tls" and not self.sip_tls_port:
            raise ValueError("mobile_transport = 'tls' needs sip_tls_port")
        _check_phone_settings(self)
        if self.demo:
            return self
        if self.secret_key is not None and self.secret_key.get_secret_value().strip() in PLACEHOLDER_SECRETS:
            raise InsecureSettingsError(
                "secret_key is a placeholder; set a long random SOFTPHONE_SERVER_SECRET_KEY "
                "or remove it to have one generated in the data directory"
            )
        if self.sms_backend == "http" and not self.sms_http_url:
            raise ValueError("sms_backend = 'http' needs sms_http_url")
        return self

    # --- derived values -------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'softphone.db'}"

    @property
    def effective_public_base_url(self) -> str:
        return (self.public_base_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def effective_mobile_transport(self) -> Literal["udp", "tcp", "tls"]:
        if self.mobile_transport != "auto":
            return self.mobile_transport
        return "tls" if self.sip_tls_port else "udp"

    @property
    def effective_sip_public_host(self) -> str:
        return self.sip_public_host or self.sip_host

    def signing_key(self) -> bytes:
        """The HMAC key for tokens: configured, demo, or generated once under the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        if self.demo:
            return DEMO_SECRET_KEY.encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def _check_phone_settings(settings: ServerSettings) -> None:
    try:
        ZoneInfo(settings.phones_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"phones_timezone {settings.phones_timezone!r} is not a time zone") from exc
    for network in settings.phones_plain_http_networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ValueError(f"phones_plain_http_networks: {network!r} is not a network") from exc
    if settings.phones_base_url and not settings.phones_base_url.startswith(("http://", "https://")):
        raise ValueError("phones_base_url must start with http:// or https://")
    if (settings.https_cert is None) != (settings.https_key is None):
        raise ValueError("https_cert and https_key go together")


def load_settings(config_file: Path | None = None, **overrides: Any) -> ServerSettings:
    """Settings from `config_file` (TOML, optional), the environment and `overrides` (highest priority)."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    if config_file is None:
        return ServerSettings(**clean)
    if not config_file.is_file():
        raise FileNotFoundError(f"config file not found: {config_file}")
    file_bound = type(
        "FileServerSettings",
        (ServerSettings,),
        {"model_config": SettingsConfigDict(**{**ServerSettings.model_config, "toml_file": config_file})},
    )
    return file_bound(**clean)
