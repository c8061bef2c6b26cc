"""Flat HTML form fields <-> the call-center configuration documents the domain stores.

Shapes are checked by the JSON API's own schemas (`server.api.schemas.callcenter`), so the console and the API
accept exactly the same documents; a refusal becomes a message id keyed by the form field (or row) it names.
Destination pickers are one <select> whose value encodes the destination (``queue:3``, ``extension:101``,
``external:<hotline>`` with the number in ``<name>__number``, ``prompt_hangup:<prompt>``, ``hangup``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from server.api.schemas.callcenter import (
    IvrConfig,
    QueueConfig,
    QueueMemberBody,
    RingGroupConfig,
    ScheduleConfig,
    VoicemailConfig,
)
from server.domain.errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def N_(message: str) -> str:
    """Marks a message id that a template translates later (`catalog_check` finds these)."""
    return message


STRATEGY_NAMES = {
    "ring_all": N_("Ring everyone at once"),
    "longest_idle": N_("Longest idle agent first"),
    "round_robin": N_("Round robin"),
    "fewest_calls": N_("Fewest calls first"),
    "least_talk_time": N_("Least talk time first"),
    "random": N_("Random"),
    "linear": N_("In order (tier, then list)"),
}
STATE_NAMES = {"open": N_("Open"), "closed": N_("Closed"), "holiday": N_("Holiday")}
DAY_NAMES = dict(
    zip(DAYS, (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun")), strict=True)
)
DIGITS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")
BY_ID = ("queue", "ivr", "ring_group", "voicemail", "schedule")
BLANK_ROWS = 2


class FormRefused(Exception):
    """The form does not make a valid document: `errors` maps field names (or "_form") to message ids."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Targets:
    """What a destination picker offers, as (value, label) pairs per group."""

    groups: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)


def build_targets(
    *,
    extensions: Sequence[tuple[str, str]],
    configured: Mapping[str, Sequence[tuple[int, str]]],
    prompts: Sequence[str],
    hotlines: Sequence[str],
) -> Targets:
    """`configured` maps a destination kind (queue, ivr, ring_group, voicemail, schedule) to (id, name)."""
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("Extension", [(f"extension:{n}", f"{n} · {who}") for n, who in extensions]),
        ("Queue", [(f"queue:{i}", name) for i, name in configured.get("queue", ())]),
        ("IVR menu", [(f"ivr:{i}", name) for i, name in configured.get("ivr", ())]),
        ("Ring group", [(f"ring_group:{i}", name) for i, name in configured.get("ring_group", ())]),
        ("Voicemail box", [(f"voicemail:{i}", name) for i, name in configured.get("voicemail", ())]),
        ("Schedule", [(f"schedule:{i}", name) for i, name in configured.get("schedule", ())]),
        ("Play a prompt, then hang up", [(f"prompt_hangup:{p}", p) for p in prompts]),
        ("Forward to an outside number via hotline", [(f"external:{h}", h) for h in hotlines]),
    ]
    return Targets(groups=[(label, options) for label, options in groups if options])


def encode_destination(dest: Mapping[str, Any] | None) -> str:
    if not dest:
        return ""
    kind = dest.get("kind")
    if kind in BY_ID:
        return f"{kind}:{dest['id']}"
    if kind == "extension":
        return f"extension:{dest['extension']}"
    if kind == "prompt_hangup":
        return f"prompt_hangup:{dest['prompt']}"
    if kind == "external":
        return f"external:{dest['hotline']}"
    return str(kind or "")


def decode_destination(form: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    raw = str(form.get(name, "") or "").strip()
    if not raw:
        return None
    kind, _sep, arg = raw.partition(":")
    if kind == "hangup":
        return {"kind": "hangup"}
    if kind in BY_ID and arg.isdigit():
        return {"kind": kind, "id": int(arg)}
    if kind == "extension" and arg:
        return {"kind": "extension", "extension": arg}
    if kind == "prompt_hangup" and arg:
        return {"kind": "prompt_hangup", "prompt": arg}
    if kind == "external" and arg:
        return {"kind": "external", "hotline": arg, "number": str(form.get(f"{name}__number", "")).strip()}
    raise FormRefused({name: "Choose a destination from the list."})


# --- validation ------------------------------------------------------------------------------------
MESSAGES = {
    "string_pattern_mismatch": "Use the format shown.",
    "missing": "Required.",
    "int_parsing": "Enter a whole number.",
    "float_parsing": "Enter a number.",
    "greater_than": "Too small.",
    "greater_than_equal": "Too small.",
    "less_than_equal": "Too large.",
    "less_than": "Too large.",
    "date_from_datetime_parsing": "Enter a date (YYYY-MM-DD).",
    "date_parsing": "Enter a date (YYYY-MM-DD).",
    "string_too_long": "Too long.",
    "too_long": "Too many rows.",
    "too_short": "Choose at least one.",
    "literal_error": "Choose a value from the list.",
}
VALUE_ERRORS = {
    "end must be after start": "The end must be after the start.",
    "end must not be before start": "The end must not be before the start.",
    "give exactly the owner's extension or queue_id": "Choose the extension or the queue that owns the box.",
}


def _message(err: Mapping[str, Any]) -> str:
    if err["type"] == "value_error":
        text = str(err.get("ctx", {}).get("error", ""))
        return VALUE_ERRORS.get(text, "Not valid.")
    if err["type"] == "string_pattern_mismatch" and err["loc"] and err["loc"][-1] in ("start", "end"):
        return "Use HH:MM (00:00-24:00)."
    if err["type"] == "string_pattern_mismatch" and err["loc"] and err["loc"][-1] == "number":
        return "Enter the outside number (digits, + first if international)."
    return MESSAGES.get(err["type"], "Not valid.")


def validate(schema: type[BaseModel], doc: dict[str, Any], field_of: Any = None) -> dict[str, Any]:
    """`doc` checked by `schema` (the API's), as JSON; FormRefused naming the fields otherwise."""
    try:
        return schema.model_validate(doc).model_dump(mode="json")
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = tuple(err["loc"])
            name = field_of(loc) if field_of else None
            key = name or (str(loc[0]) if loc else "_form")
            errors.setdefault(key, _message(err))
        raise FormRefused(errors) from None


def _number(form: Mapping[str, Any], name: str, doc: dict[str, Any]) -> None:
    value = str(form.get(name, "") or "").strip()
    if value:
        doc[name] = value


def _destinations(form: Mapping[str, Any], doc: dict[str, Any], names: Sequence[str]) -> None:
    errors: dict[str, str] = {}
    for name in names:
        try:
            doc[name] = decode_destination(form, name)
        except FormRefused as exc:
            errors.update(exc.errors)
    if errors:
        raise FormRefused(errors)


def name_of(form: Mapping[str, Any]) -> str:
    name = str(form.get("name", "") or "").strip()
    if not name:
        raise FormRefused({"name": "Required."})
    if len(name) > 100:
        raise FormRefused({"name": "Too long."})
    return name


# --- schedules -------------------------------------------------------------------------------------
def weekly_rows(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Weekly ranges grouped into editor rows (one row per start-end pair, with its days)."""
    rows: dict[tuple[str, str], set[str]] = {}
    for r in config.get("weekly", []):
        rows.setdefault((r["start"], r["end"]), set()).add(r["day"])
    ordered = sorted(rows.items(), key=lambda kv: (min(DAYS.index(d) for d in kv[1]), kv[0]))
    out = [{"days": days, "start": s, "end": e} for (s, e), days in ordered]
    return out + [{"days": set(), "start": "", "end": ""} for _ in range(BLANK_ROWS)]


def rows_from_form(form: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The weekly and holiday editor rows as a refused form sent them (shown again as typed)."""
    weekly = []
    for row in range(100):
        if f"w{row}_start" not in form:
            break
        weekly.append(
            {
                "days": set(form.getlist(f"w{row}_days")),
                "start": str(form.get(f"w{row}_start", "")),
                "end": str(form.get(f"w{row}_end", "")),
            }
        )
    holidays = []
    for row in range(200):
        if f"h{row}_start" not in form:
            break
        shown: dict[str, Any] = {k: str(form.get(f"h{row}_{k}", "")) for k in ("name", "start", "end")}
        with contextlib.suppress(FormRefused):
            shown["destination"] = decode_destination(form, f"h{row}_destination")
        holidays.append(shown)
    return weekly, holidays


def holiday_rows(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = [dict(h) for h in config.get("holidays", [])]
    return rows + [{"name": "", "start": "", "end": "", "destination": None} for _ in range(BLANK_ROWS)]


def schedule_config(form: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"timezone": str(form.get("timezone", "") or "Asia/Ho_Chi_Minh").strip()}
    try:
        ZoneInfo(doc["timezone"])
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise FormRefused({"timezone": "Unknown time zone (e.g. Asia/Ho_Chi_Minh)."}) from None
    weekly: list[dict[str, str]] = []
    weekly_origin: list[int] = []
    for row in range(100):
        days = [d for d in form.getlist(f"w{row}_days") if d in DAYS] if hasattr(form, "getlist") else []
        start = str(form.get(f"w{row}_start", "") or "").strip()
        end = str(form.get(f"w{row}_end", "") or "").strip()
        if f"w{row}_start" not in form:
            break
        if not days and not start and not end:
            continue
        if not days:
            raise FormRefused({f"w{row}": "Tick at least one day."})
        for day in days:
            weekly.append({"day": day, "start": start, "end": end})
            weekly_origin.append(row)
    holidays: list[dict[str, Any]] = []
    holiday_origin: list[int] = []
    for row in range(200):
        if f"h{row}_start" not in form:
            break
        name = str(form.get(f"h{row}_name", "") or "").strip()
        start = str(form.get(f"h{row}_start", "") or "").strip()
        end = str(form.get(f"h{row}_end", "") or "").strip() or start
        destination = decode_destination(form, f"h{row}_destination")
        if not name and not start:
            continue
        holidays.append({"name": name, "start": start, "end": end, "destination": destination})
        holiday_origin.append(row)
    doc["weekly"] = weekly
    doc["holidays"] = holidays
    override = str(form.get("override", "") or "")
    doc["override"] = override if override in ("open", "closed") else None
    _destinations(form, doc, ("open", "closed", "holiday"))
    for required in ("open", "closed"):
        if doc[required] is None:
            raise FormRefused({required: "Choose a destination from the list."})

    def field_of(loc: tuple[Any, ...]) -> str | None:
        if loc[0] == "weekly" and len(loc) > 1:
            return f"w{weekly_origin[int(loc[1])]}"
        if loc[0] == "holidays" and len(loc) > 1:
            return f"h{holiday_origin[int(loc[1])]}"
        return str(loc[0])

    return validate(ScheduleConfig, doc, field_of)


def with_override(config: Mapping[str, Any], override: str) -> dict[str, Any]:
    doc = dict(config)
    doc["override"] = override if override in ("open", "closed") else None
    return validate(ScheduleConfig, doc)


# --- IVR menus -------------------------------------------------------------------------------------
def digit_field(digit: str) -> str:
    return "opt_" + {"*": "star", "#": "hash"}.get(digit, digit)


def ivr_config(form: Mapping[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"direct_dial": "direct_dial" in form}
    for name in ("greeting", "invalid_prompt", "timeout_prompt"):
        doc[name] = str(form.get(name, "") or "")
    for name in ("inter_digit_timeout", "timeout", "retries"):
        _number(form, name, doc)
    parent = str(form.get("parent_id", "") or "")
    doc["parent_id"] = int(parent) if parent.isdigit() else None
    options: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for digit in DIGITS:
        try:
            dest = decode_destination(form, digit_field(digit))
        except FormRefused as exc:
            errors.update(exc.errors)
            continue
        if dest is not None:
            options[digit] = dest
    if errors:
        raise FormRefused(errors)
    doc["options"] = options
    _destinations(form, doc, ("invalid_destination", "timeout_destination"))

    def field_of(loc: tuple[Any, ...]) -> str | None:
        if loc[0] == "options" and len(loc) > 1:
            return digit_field(str(loc[1]))
        return str(loc[0])

    return validate(IvrConfig, doc, field_of)


# --- queues ----------------------------------------------------------------------------------------
QUEUE_NUMBERS = (
    "ring_timeout",
    "wrapup",
    "max_wait",
    "max_length",
    "no_agent_grace",
    "service_level",
    "short_abandon",
    "priority",
    "announce_every",
)
QUEUE_DESTINATIONS = ("max_wait_destination", "overflow_destination", "no_agent_destination")
QUEUE_FLAGS = ("announce_position", "announce_wait")
QUEUE_NUMBER_LISTS = ("priority_callers", "priority_hotlines")


def queue_config(form: Mapping[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "strategy": str(form.get("strategy", "") or "longest_idle"),
        "moh": str(form.get("moh", "") or "default"),
        "language": str(form.get("language", "") or "vi"),
    }
    for name in QUEUE_NUMBERS:
        _number(form, name, doc)
    for flag in QUEUE_FLAGS:
        doc[flag] = flag in form
    for name in QUEUE_NUMBER_LISTS:  # phone numbers separated by commas, spaces or lines
        doc[name] = re.split(r"[\s,;]+", str(form.get(name, "") or "").strip()) if form.get(name) else []
    _destinations(form, doc, QUEUE_DESTINATIONS)
    return validate(QueueConfig, doc)


def queue_members(form: Mapping[str, Any], user_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The ticked users with their tier and penalty, ordered by tier (the linear strategy's order)."""
    members: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for uid in user_ids:
        if f"m_{uid}" not in form:
            continue
        raw = {
            "user_id": uid,
            "tier": str(form.get(f"tier_{uid}", "") or "0").strip(),
            "penalty": str(form.get(f"penalty_{uid}", "") or "0").strip(),
        }
        try:
            members.append(QueueMemberBody.model_validate(raw).model_dump())
        except ValidationError as exc:
            for err in exc.errors():
                errors.setdefault(f"{err['loc'][0]}_{uid}", _message(err))
    if errors:
        raise FormRefused(errors)
    return sorted(members, key=lambda m: m["tier"])


# --- ring groups and voicemail ---------------------------------------------------------------------
def ring_group_config(form: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "mode": str(form.get("mode", "") or "simultaneous"),
        "extensions": [str(e) for e in form.getlist("extensions") if str(e).strip()],
    }
    _number(form, "ring_timeout", doc)
    _destinations(form, doc, ("no_answer",))
    return validate(RingGroupConfig, doc)


def voicemail_config(form: Mapping[str, Any]) -> dict[str, Any]:
    owner = str(form.get("owner", "") or "extension")
    extension = str(form.get("extension", "") or "").strip()
    queue = str(form.get("queue_id", "") or "")
    doc: dict[str, Any] = {
        "owner": owner,
        "extension": extension or None if owner == "extension" else None,
        "queue_id": int(queue) if owner == "queue" and queue.isdigit() else None,
        "greeting": str(form.get("greeting", "") or "voicemail_greeting"),
        "email": str(form.get("email", "") or "").strip() or None,
    }

    def field_of(loc: tuple[Any, ...]) -> str | None:
        return str(loc[0]) if loc else ("queue_id" if owner == "queue" else "extension")

    return validate(VoicemailConfig, doc, field_of)


DOMAIN_MESSAGES = {
    "unknown_destination": "That destination does not exist in this company any more: choose another.",
    "unknown_extension": "No such extension.",
    "ivr_loop": "A menu cannot be its own parent.",
    "duplicate_member": "A user is listed twice.",
    "unknown_user": "No such user in this company.",
}


def refused(exc: InvalidInput) -> FormRefused:
    """A domain refusal (unknown destination, loop...) as form errors (message ids)."""
    message = DOMAIN_MESSAGES.get(exc.code, exc.message)
    fields = {("_form" if name in ("destination", "members") else name): message for name in exc.fields}
    return FormRefused(fields or {"_form": message})


# Message ids the pages pass as data (flashes, titles, errors): listed so the catalog check sees them.
MESSAGE_IDS = (
    N_("A menu cannot be its own parent."),
    N_("A user is listed twice."),
    N_("Choose a WAV file."),
    N_("Choose a destination from the list."),
    N_("Choose a value from the list."),
    N_("Choose at least one."),
    N_("Choose the extension or the queue that owns the box."),
    N_("Delete IVR menu"),
    N_("Delete prompt"),
    N_("Delete queue"),
    N_("Delete ring group"),
    N_("Delete schedule"),
    N_("Delete voicemail box"),
    N_("Deleted."),
    N_("Enter a date (YYYY-MM-DD)."),
    N_("Enter a number."),
    N_("Enter a whole number."),
    N_("Enter the outside number (digits, + first if international)."),
    N_("Extension"),
    N_("Forward to an outside number via hotline"),
    N_("IVR menu"),
    N_("IVR menus"),
    N_("Members saved."),
    N_("New IVR menu"),
    N_("New queue"),
    N_("New ring group"),
    N_("New schedule"),
    N_("New voicemail box"),
    N_("No such extension."),
    N_("No such user in this company."),
    N_("Not a WAV file."),
    N_("Not valid."),
    N_("Only uncompressed PCM WAV files can be used."),
    N_("Override saved."),
    N_("Play a prompt, then hang up"),
    N_("Prompt saved: %s"),
    N_("Queue"),
    N_("Queues"),
    N_("Required."),
    N_("Ring group"),
    N_("Ring groups"),
    N_("Saved."),
    N_("Schedule"),
    N_("Schedules"),
    N_("Still in use: %s"),
    N_("Text to speech is not installed on this server."),
    N_("That destination does not exist in this company any more: choose another."),
    N_("The end must be after the start."),
    N_("The end must not be before the start."),
    N_("The file is empty."),
    N_("The file is larger than 20 MB."),
    N_("The recording is longer than 10 minutes."),
    N_("The recording is shorter than 0.1 s."),
    N_("Tick at least one day."),
    N_("Agent state saved."),
    N_("Not a member of this queue."),
    N_("Unknown time zone (e.g. Asia/Ho_Chi_Minh)."),
    N_("Too large."),
    N_("Too long."),
    N_("Too many rows."),
    N_("Too small."),
    N_("Use 1-60 lower-case letters, digits, - or _."),
    N_("Use 8- or 16-bit PCM, mono or stereo, 8-96 kHz."),
    N_("Use HH:MM (00:00-24:00)."),
    N_("Use the format shown."),
    N_("Voicemail box"),
    N_("Voicemail boxes"),
    N_("Write 1-2000 characters."),
    N_("ordered"),
    N_("simultaneous"),
)
