"""User-facing wording for codes that view-models report (states, errors, statuses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale

from softphone.events import CallStats
from softphone.phone_numbers import format_vn_number
from softphone.queue_call import PathStep, QueueCall


def status_text(status: str) -> str:
    return {
        "available": QCoreApplication.translate("Texts", "Available"),
        "away": QCoreApplication.translate("Texts", "Away"),
        "busy": QCoreApplication.translate("Texts", "Busy"),
        "dnd": QCoreApplication.translate("Texts", "Do not disturb"),
        "on_the_phone": QCoreApplication.translate("Texts", "On the phone"),
        "offline": QCoreApplication.translate("Texts", "Offline"),
    }.get(status, QCoreApplication.translate("Texts", "Unknown"))


# Busy and DND differ in colour and in shape (DND's dot carries a white bar, as in most chat apps).
STATUS_COLORS = {
    "available": "#2e9e5b",
    "away": "#f2b705",
    "busy": "#e8590c",
    "dnd": "#c92a2a",
    "on_the_phone": "#e8590c",
    "offline": "#9aa0a6",
    "": "#c7ccd1",
}


def registration_text(state: str, code: int = 0, reason: str = "") -> str:
    base = {
        "registering": QCoreApplication.translate("Texts", "Connecting…"),
        "registered": QCoreApplication.translate("Texts", "Registered"),
        "unregistered": QCoreApplication.translate("Texts", "Not registered"),
        "failed": QCoreApplication.translate("Texts", "Registration failed"),
        "disabled": QCoreApplication.translate("Texts", "Disabled on this computer"),
    }.get(state, state)
    if state == "failed":
        unreachable = QCoreApplication.translate("Texts", "server not reachable")
        detail = (
            {
                401: QCoreApplication.translate("Texts", "wrong password"),
                403: QCoreApplication.translate("Texts", "wrong password"),
                407: QCoreApplication.translate("Texts", "wrong password"),
                404: QCoreApplication.translate("Texts", "unknown extension"),
                408: unreachable,
                480: unreachable,
                502: unreachable,
                503: unreachable,
                504: unreachable,
            }.get(code)
            or reason
            or unreachable
        )
        return f"{base}: {detail}" + (f" ({code})" if code else "")
    return base


def quality_level(mos: float | None) -> int:
    """Signal bars (0-4) for an estimated MOS: 0 while unknown."""
    if mos is None:
        return 0
    return 4 if mos >= 4.0 else 3 if mos >= 3.6 else 2 if mos >= 3.1 else 1


QUALITY_COLORS = {1: "#c92a2a", 2: "#e0a106", 3: "#2e9e5b", 4: "#2e9e5b"}


def call_state_text(state: str, direction: str = "outgoing") -> str:
    return {
        "calling": QCoreApplication.translate("Texts", "Calling…"),
        "ringing": QCoreApplication.translate("Texts", "Incoming call")
        if direction == "incoming"
        else QCoreApplication.translate("Texts", "Ringing…"),
        "early": QCoreApplication.translate("Texts", "Ringing…"),
        "connecting": QCoreApplication.translate("Texts", "Connecting…"),
        "confirmed": QCoreApplication.translate("Texts", "In call"),
        "disconnected": QCoreApplication.translate("Texts", "Call ended"),
    }.get(state, state)


def error_text(code: str, detail: str = "") -> str:
    text = {
        "": "",
        "network": QCoreApplication.translate(
            "Texts", "Cannot reach the server. Check the network and the server address."
        ),
        "invalid_credentials": QCoreApplication.translate("Texts", "Wrong phone/e-mail or password."),
        "invalid_phone": QCoreApplication.translate("Texts", "This phone number is not valid."),
        "invalid_code": QCoreApplication.translate("Texts", "The code is wrong or has expired."),
        "invalid_otp": QCoreApplication.translate("Texts", "The code is wrong or has expired."),
        "otp_expired": QCoreApplication.translate("Texts", "The code is wrong or has expired."),
        "rate_limited": QCoreApplication.translate(
            "Texts", "Too many attempts. Please wait a minute and try again."
        ),
        "phone_taken": QCoreApplication.translate(
            "Texts", "This phone number already has an account. Please log in."
        ),
        "weak_password": QCoreApplication.translate("Texts", "The password needs at least 8 characters."),
        "missing_fields": QCoreApplication.translate("Texts", "Please fill in all required fields."),
        "session_expired": QCoreApplication.translate(
            "Texts", "Your session has expired. Please log in again."
        ),
        "not_signed_in": QCoreApplication.translate("Texts", "Please log in first."),
        "no_account": QCoreApplication.translate(
            "Texts", "No SIP account is active. Add or activate one in Settings."
        ),
        "outbound_forbidden": QCoreApplication.translate(
            "Texts", "Your account is not allowed to call outside numbers."
        ),
        "missing": QCoreApplication.translate("Texts", "Please fill in all required fields."),
        "unexpected": QCoreApplication.translate("Texts", "Something went wrong."),
        "not_a_member": QCoreApplication.translate("Texts", "You do not serve this queue."),
        "not_found": QCoreApplication.translate(
            "Texts", "It is no longer there: someone may have deleted it."
        ),
        "playback": QCoreApplication.translate("Texts", "The message cannot be played."),
    }.get(code)
    if text is None:
        return detail or QCoreApplication.translate("Texts", "Something went wrong.") + f" ({code})"
    return text


def disposition_text(disposition: str) -> str:
    return {
        "answered": QCoreApplication.translate("Texts", "Answered"),
        "missed": QCoreApplication.translate("Texts", "Missed"),
        "declined": QCoreApplication.translate("Texts", "Declined"),
        "busy": QCoreApplication.translate("Texts", "Busy"),
        "failed": QCoreApplication.translate("Texts", "Failed"),
        "cancelled": QCoreApplication.translate("Texts", "Cancelled"),
    }.get(disposition, disposition)


def ring_method_text(method: str) -> str:
    return {
        "all": QCoreApplication.translate("Texts", "All my devices"),
        "app": QCoreApplication.translate("Texts", "This app only"),
        "ip_phone": QCoreApplication.translate("Texts", "My IP phone"),
        "mobile": QCoreApplication.translate("Texts", "My mobile"),
    }.get(method, method)


def duration_text(seconds: int) -> str:
    h, rest = divmod(max(0, seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def quality_text(mos: float | None) -> str:
    return {
        0: "",
        4: QCoreApplication.translate("Texts", "Quality: excellent"),
        3: QCoreApplication.translate("Texts", "Quality: good"),
        2: QCoreApplication.translate("Texts", "Quality: fair"),
        1: QCoreApplication.translate("Texts", "Quality: poor"),
    }[quality_level(mos)]


def security_text(stats: CallStats | None) -> tuple[str, str]:
    """(short label, tooltip) of a call's encryption: media (SRTP and its cipher) and signalling (TLS)."""
    if stats is None:
        return "", ""
    tls = stats.signalling == "tls"
    signalling = (
        QCoreApplication.translate("Texts", "Signalling: TLS (encrypted)")
        if tls
        else QCoreApplication.translate("Texts", "Signalling: %1 (not encrypted)").replace(
            "%1", stats.signalling.upper()
        )
    )
    if stats.srtp_active:
        label = QCoreApplication.translate("Texts", "Encrypted")
        suite = stats.srtp_suite or "SRTP"
        media = QCoreApplication.translate("Texts", "Voice: SRTP, %1").replace("%1", suite)
    else:
        label = QCoreApplication.translate("Texts", "Not encrypted")
        media = QCoreApplication.translate("Texts", "Voice: plain RTP (not encrypted)")
    return label, f"{media}\n{signalling}"


def feature_label(number: str) -> str:
    """What a feature code does (``*43`` -> "Echo test"); "" for anything else."""
    n = number.strip()
    if n == "*43":
        return QCoreApplication.translate("Texts", "Echo test")
    if len(n) == 4 and n.startswith("*8") and n[1:].isdigit():
        return QCoreApplication.translate("Texts", "Conference room %1").replace("%1", n[1:])
    return ""


def party_title(name: str, number: str) -> str:
    """How to call the other party on screen: their name, a feature's purpose, or the number grouped."""
    return name or feature_label(number) or format_vn_number(number)


def when_text(timestamp: float, now: float | None = None) -> str:
    """A call's time: "14:05" today, "Yesterday 14:05", then an unambiguous date in the app's language
    (Vietnamese 04/12/2026 is day/month, as Vietnamese write it; English spells the month: 4 Dec 2026)."""
    when = dt.datetime.fromtimestamp(timestamp)
    today = dt.datetime.fromtimestamp(now).date() if now is not None else dt.date.today()
    clock = when.strftime("%H:%M")
    if when.date() == today:
        return clock
    if when.date() == today - dt.timedelta(days=1):
        return QCoreApplication.translate("Texts", "Yesterday %1").replace("%1", clock)
    locale = QLocale()
    fmt = "dd/MM/yyyy HH:mm" if locale.language() == QLocale.Language.Vietnamese else "d MMM yyyy HH:mm"
    return locale.toString(QDateTime.fromSecsSinceEpoch(int(timestamp)), fmt)


def quality_details(stats: CallStats | None) -> str:
    """The figures behind the quality indicator (tooltip for whoever debugs a bad line)."""
    if stats is None:
        return ""
    srtp = security_text(stats)[1]
    lines = (
        (QCoreApplication.translate("Texts", "Codec"), f"{stats.codec} {stats.clock_rate // 1000} kHz"),
        (QCoreApplication.translate("Texts", "Packet loss"), f"{stats.rx_loss_pct:.1f} %"),
        (QCoreApplication.translate("Texts", "Jitter"), f"{stats.jitter_ms:.0f} ms"),
        (QCoreApplication.translate("Texts", "Round trip"), f"{stats.rtt_ms:.0f} ms"),
        ("MOS", f"{stats.mos:.1f}"),
    )
    return "\n".join([*(f"{k}: {v}" for k, v in lines), srtp])


def forwarding_error_text(message: str) -> str:
    """The server's field error for a call forwarding rule (`/me/forwarding`) in the app's language."""
    if message.startswith("expected 0912345678"):
        return QCoreApplication.translate(
            "Texts", "Not a Vietnamese phone number, e.g. 0912 345 678 or 028 7300 1234."
        )
    known = {
        "required": QCoreApplication.translate("Texts", "Enter where calls go."),
        "2-4 digits": QCoreApplication.translate("Texts", "An extension has 2 to 4 digits."),
        "no such extension in this company": QCoreApplication.translate(
            "Texts", "No such extension in your company."
        ),
        "the user's own extension": QCoreApplication.translate("Texts", "That is your own extension."),
        "outbound calls not permitted for this user": QCoreApplication.translate(
            "Texts", "You may not call outside numbers: ask your administrator."
        ),
        "this user's extension has no voicemail box": QCoreApplication.translate(
            "Texts", "You have no voicemail box yet."
        ),
        "5-120 seconds": QCoreApplication.translate("Texts", "Between 5 and 120 seconds."),
    }
    return known.get(message, message)


# ---------------------------------------------------------------------------------------------- call center


def queue_title(queue_id: int | None, name: str | None) -> str:
    if name:
        return name
    return (
        QCoreApplication.translate("Texts", "Queue %1").replace("%1", str(queue_id))
        if queue_id is not None
        else ""
    )


def path_step_text(step: PathStep, queue_name: Callable[[int], str | None]) -> str:
    """One step of the way a call-center call came (``X-Call-Path``), in words."""
    if step.kind == "schedule":
        return {
            "open": QCoreApplication.translate("Texts", "Open hours"),
            "closed": QCoreApplication.translate("Texts", "After hours"),
            "holiday": QCoreApplication.translate("Texts", "Holiday"),
        }.get(step.detail, QCoreApplication.translate("Texts", "Schedule"))
    if step.kind == "ivr":
        return QCoreApplication.translate("Texts", "Menu %1").replace("%1", step.ref)
    if step.kind == "queue":
        return queue_title(int(step.ref) if step.ref.isdigit() else None, _name(step.ref, queue_name))
    if step.kind == "extension":
        return QCoreApplication.translate("Texts", "Ext. %1").replace("%1", step.ref)
    if step.kind == "ring_group":
        return QCoreApplication.translate("Texts", "Ring group %1").replace("%1", step.ref)
    if step.kind == "voicemail":
        return QCoreApplication.translate("Texts", "Voicemail")
    return " ".join(x for x in (step.kind, step.ref, step.detail) if x)


def _name(ref: str, queue_name: Callable[[int], str | None]) -> str | None:
    return queue_name(int(ref)) if ref.isdigit() else None


def call_path_text(call: QueueCall, queue_name: Callable[[int], str | None]) -> str:
    return " › ".join(path_step_text(s, queue_name) for s in call.path)


def queue_call_text(call: QueueCall, queue_name: Callable[[int], str | None], wait: int | None) -> str:
    """ "Queue: Sales · waited 01:05" for the incoming window and the call view."""
    parts = []
    if call.queue_id is not None:
        name = queue_title(call.queue_id, queue_name(call.queue_id))
        parts.append(QCoreApplication.translate("Texts", "Queue: %1").replace("%1", name))
    if wait is not None:
        parts.append(QCoreApplication.translate("Texts", "waited %1").replace("%1", duration_text(wait)))
    return " · ".join(parts)


def pause_reason_text(reason: str) -> str:
    return {
        "lunch": QCoreApplication.translate("Texts", "Lunch"),
        "training": QCoreApplication.translate("Texts", "Training"),
        "after-call work": QCoreApplication.translate("Texts", "After-call work"),
        "other": QCoreApplication.translate("Texts", "Other"),
        "break": QCoreApplication.translate("Texts", "Break"),
    }.get(reason, reason)


def agent_state_text(state: str) -> str:
    return {
        "logged_out": QCoreApplication.translate("Texts", "Logged out"),
        "paused": QCoreApplication.translate("Texts", "Paused"),
        "on_call": QCoreApplication.translate("Texts", "On a call"),
        "wrapup": QCoreApplication.translate("Texts", "Wrap-up"),
        "available": QCoreApplication.translate("Texts", "Available"),
    }.get(state, state)
