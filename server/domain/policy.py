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
