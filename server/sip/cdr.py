"""Call detail records: one `CallRecord` per call attempt, written at every state change.

`CallLog` keeps the current record of each running attempt and turns proxy events (ringing,
answered, final response, BYE, cut-off) into new frozen records for `Directory.record_call`,
which upserts by call id, so a crash loses at most the state change in flight.

On answer the record also carries the dialog as the proxy keeps it (`CallDialog`) and the quota
cut-off time, so a restart loses neither: at start-up `pending_cutoffs` hands the proxy every running
call with a cut-off to re-arm, and `restore` reads any other running call's record back
(`Directory.call_record`) when its next in-dialog request arrives, so its BYE can close it.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from server.sip.directory import CallDialog, CallRecord, Directory, Disposition

log = logging.getLogger("server.sip.cdr")

_FINAL_BY_STATUS: dict[int, Disposition] = {
    486: Disposition.BUSY,
    600: Disposition.BUSY,
    404: Disposition.NOT_FOUND,
    484: Disposition.NOT_FOUND,
    604: Disposition.NOT_FOUND,
    403: Disposition.REJECTED,
    603: Disposition.REJECTED,
    480: Disposition.NO_ANSWER,
    408: Disposition.NO_ANSWER,
    487: Disposition.CANCELLED,
}


def disposition_for_status(status: int, *, dnd: bool = False) -> Disposition:
    if dnd:
        return Disposition.DND
    if 200 <= status < 300:
        return Disposition.ANSWERED
    return _FINAL_BY_STATUS.get(status, Disposition.FAILED)


class CallLog:
    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self.records: dict[str, CallRecord] = {}

    async def _write(self, rec: CallRecord) -> None:
        if rec.end is not None:
            self.records.pop(rec.call_id, None)
        else:
            self.records[rec.call_id] = rec
        try:
            await self._directory.record_call(rec)
        except Exception:  # a CDR write failure must never break call handling
            log.exception("cdr: writing %s failed", rec.call_id)

    async def restore(self, call_id: str) -> CallRecord | None:
        """The stored record of a call answered before a restart and not ended yet, adopted as running."""
        rec = self.records.get(call_id)
        if rec is not None:
            return rec
        try:
            rec = await self._directory.call_record(call_id)
        except Exception:
            log.exception("cdr: reading %s back failed", call_id)
            return None
        if not isinstance(rec, CallRecord) or rec.end is not None:
            return None
        self.records[call_id] = rec
        return rec

    async def pending_cutoffs(self) -> list[CallRecord]:
        """Running calls with a quota cut-off stored before a restart, adopted as running."""
        try:
            found = await self._directory.pending_cutoffs()
        except Exception:
            log.exception("cdr: reading the pending quota cut-offs back failed")
            return []
        out = [r for r in found if r.end is None and r.answer is not None and r.cutoff is not None]
        for rec in out:
            self.records[rec.call_id] = rec
        return out

    async def start(self, rec: CallRecord) -> None:
        await self._write(rec)

    async def ringing(self, call_id: str) -> None:
        rec = self.records.get(call_id)
        if rec is not None and rec.disposition is Disposition.TRYING:
            await self._write(replace(rec, disposition=Disposition.RINGING))

    async def update(self, call_id: str, **changes: object) -> None:
        rec = self.records.get(call_id)
        if rec is not None:
            await self._write(replace(rec, **changes))  # type: ignore[arg-type]

    async def answered(
        self, call_id: str, now: float, *, cutoff: float | None = None, dialog: CallDialog | None = None
    ) -> None:
        rec = self.records.get(call_id)
        if rec is not None and rec.answer is None:
            await self._write(
                replace(rec, answer=now, disposition=Disposition.ANSWERED, cutoff=cutoff, dialog=dialog)
            )

    async def failed(self, call_id: str, now: float, status: int, reason: str, *, dnd: bool = False) -> None:
        rec = self.records.get(call_id)
        if rec is not None and rec.answer is None:
            await self._write(
                replace(
                    rec,
                    end=now,
                    disposition=disposition_for_status(status, dnd=dnd),
                    hangup_cause=f"{status} {reason}".strip(),
                )
            )

    async def ended(
        self, call_id: str, now: float, cause: str, disposition: Disposition | None = None
    ) -> None:
        rec = self.records.get(call_id)
        if rec is not None:
            final = disposition or (
                Disposition.COMPLETED if rec.answer is not None else Disposition.CANCELLED
            )
            await self._write(replace(rec, end=now, disposition=final, hangup_cause=cause))
