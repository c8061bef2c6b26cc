"""Security and token policy: lifetimes, OTP limits, lockout.  The defaults here are also `ServerSettings`'
defaults; `context_from_settings` copies each field of the same name from the settings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Policy:
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 24 * 3600
    otp_ttl: int = 300
    otp_max_attempts: int = 5
    otp_cooldown: int = 30
    otp_max_per_hour: int = 5
    otp_token_ttl: int = 600
    login_max_failures: int = 5
    lockout_seconds: int = 900
    provisioning_token_ttl: int = 600


# Where desk phones may fetch over plain HTTP (loopback, private ranges: an office LAN); HTTPS elsewhere.
PLAIN_HTTP_NETWORKS = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")


@dataclass(frozen=True, slots=True)
class DeskPhonePolicy:
    """Desk-phone provisioning: the pairing window and what every phone is told.  `context_from_settings`
    copies each field from the `phones_<field>` setting."""

    pairing_minutes: int = 30  # how long adding a MAC (or reopening) lets its first by-MAC fetch pair
    check_hours: int = 24  # how often a paired phone re-fetches its files
    base_url: str | None = None  # e.g. "https://pbx.example.vn/phones"; None: as the phone reached us
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    ntp_server: str = "vn.pool.ntp.org"
