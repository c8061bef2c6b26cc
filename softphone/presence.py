"""Mapping between our presence statuses and pjsua's PIDF/RPID presence fields."""

from __future__ import annotations

from typing import get_args

import pjsua2 as pj

from softphone.events import PresenceStatus

# RPID only knows away/busy activities, so "dnd" and "on the phone" are busy activities told apart by a
# fixed note prefix. Other clients simply show "busy" plus the note, which is what a person expects.
# The prefixes are the PBX's own notes (server/sip/presence.py): it reads a PUBLISHed busy activity as
# "busy" and passes the note on, and its NOTIFYs for DND/on-a-call carry these notes; compared ignoring case.
DND_NOTE = "Do Not Disturb"
ON_THE_PHONE_NOTE = "On the phone"
PUBLISHABLE: tuple[str, ...] = tuple(s for s in get_args(PresenceStatus) if s != "offline")


def to_pj(status: str, note: str = "") -> pj.PresenceStatus:
    if status not in PUBLISHABLE:
        raise ValueError(f"unknown presence status {status!r}; expected one of {PUBLISHABLE}")
    ps = pj.PresenceStatus()
    ps.status = pj.PJSUA_BUDDY_STATUS_ONLINE
    ps.activity = pj.PJRPID_ACTIVITY_UNKNOWN
    text = note
    if status == "away":
        ps.activity = pj.PJRPID_ACTIVITY_AWAY
    elif status == "busy":
        ps.activity = pj.PJRPID_ACTIVITY_BUSY
    elif status == "dnd":
        ps.activity = pj.PJRPID_ACTIVITY_BUSY
        text = f"{DND_NOTE}: {note}" if note else DND_NOTE
    elif status == "on_the_phone":
        ps.activity = pj.PJRPID_ACTIVITY_BUSY
        text = f"{ON_THE_PHONE_NOTE}: {note}" if note else ON_THE_PHONE_NOTE
    ps.note = text
    ps.statusText = text
    return ps


def from_pj(ps: pj.PresenceStatus) -> tuple[PresenceStatus, str]:
    """(status, note) from what a buddy's NOTIFY said."""
    note = ps.note or ""
    if ps.status != pj.PJSUA_BUDDY_STATUS_ONLINE:
        return "offline", note
    for prefix, status in ((DND_NOTE, "dnd"), (ON_THE_PHONE_NOTE, "on_the_phone")):
        if note.lower().startswith(prefix.lower()):
            rest = note[len(prefix):].lstrip(": ")
            return status, rest  # type: ignore[return-value]
    if ps.activity == pj.PJRPID_ACTIVITY_AWAY:
        return "away", note
    if ps.activity == pj.PJRPID_ACTIVITY_BUSY:
        return "busy", note
    return "available", note
