"""User-facing wording for codes that view-models report (states, errors, statuses)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def _t(text: str) -> str:
    return QCoreApplication.translate("Texts", text)


def status_text(status: str) -> str:
    return {
        "available": _t("Available"),
        "away": _t("Away"),
        "busy": _t("Busy"),
        "dnd": _t("Do not disturb"),
        "on_the_phone": _t("On the phone"),
        "offline": _t("Offline"),
    }.get(status, _t("Unknown"))


STATUS_COLORS = {
    "available": "#2e9e5b",
    "away": "#e0a106",
    "busy": "#d9480f",
    "dnd": "#c92a2a",
    "on_the_phone": "#d9480f",
    "offline": "#9aa0a6",
    "": "#c7ccd1",
}


def registration_text(state: str, code: int = 0, reason: str = "") -> str:
    base = {
        "registering": _t("Connecting…"),
        "registered": _t("Registered"),
        "unregistered": _t("Not registered"),
        "failed": _t("Registration failed"),
        "disabled": _t("Deactivated"),
    }.get(state, state)
    if state == "failed":
        detail = {
            401: _t("wrong password"),
            403: _t("wrong password"),
            404: _t("unknown extension"),
            408: _t("server not reachable"),
            503: _t("server not reachable"),
        }.get(code, reason)
        if detail:
            return f"{base}: {detail}" + (f" ({code})" if code else "")
    return base


def call_state_text(state: str, direction: str = "outgoing") -> str:
    return {
        "calling": _t("Calling…"),
        "ringing": _t("Incoming call") if direction == "incoming" else _t("Ringing…"),
        "early": _t("Ringing…"),
        "connecting": _t("Connecting…"),
        "confirmed": _t("In call"),
        "disconnected": _t("Call ended"),
    }.get(state, state)


def error_text(code: str, detail: str = "") -> str:
    text = {
        "": "",
        "network": _t("Cannot reach the server. Check the network and the server address."),
        "invalid_credentials": _t("Wrong phone/e-mail or password."),
        "invalid_phone": _t("This phone number is not valid."),
        "invalid_code": _t("The code is wrong or has expired."),
        "invalid_otp": _t("The code is wrong or has expired."),
        "otp_expired": _t("The code is wrong or has expired."),
        "rate_limited": _t("Too many attempts. Please wait a minute and try again."),
        "phone_taken": _t("This phone number already has an account. Please log in."),
        "weak_password": _t("The password needs at least 8 characters."),
        "missing_fields": _t("Please fill in all required fields."),
        "session_expired": _t("Your session has expired. Please log in again."),
        "not_signed_in": _t("Please log in first."),
        "no_account": _t("No SIP account is active. Add or activate one in Settings."),
        "outbound_forbidden": _t("Your account is not allowed to call outside numbers."),
        "missing": _t("Please fill in all required fields."),
        "unexpected": _t("Something went wrong."),
    }.get(code)
    if text is None:
        return detail or _t("Something went wrong.") + f" ({code})"
    return text


def disposition_text(disposition: str) -> str:
    return {
        "answered": _t("Answered"),
        "missed": _t("Missed"),
        "declined": _t("Declined"),
        "busy": _t("Busy"),
        "failed": _t("Failed"),
        "cancelled": _t("Cancelled"),
    }.get(disposition, disposition)


def ring_method_text(method: str) -> str:
    return {
        "all": _t("All my devices"),
        "app": _t("This app only"),
        "ip_phone": _t("My IP phone"),
        "mobile": _t("My mobile"),
    }.get(method, method)


def duration_text(seconds: int) -> str:
    h, rest = divmod(max(0, seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def quality_text(mos: float | None) -> str:
    if mos is None:
        return ""
    if mos >= 4.0:
        return _t("Quality: excellent")
    if mos >= 3.6:
        return _t("Quality: good")
    if mos >= 3.1:
        return _t("Quality: fair")
    return _t("Quality: poor")
