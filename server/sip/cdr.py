"""Call detail records: one `CallRecord` per call attempt, written at every state change.

`CallLog` keeps the current record of each running attempt and turns proxy events (ringing,
answered, final response, BYE, cut-off) into new frozen records for the journal (`CallRecorded`),
which the database upserts by call id, so a crash loses at most the state changes of the last few
milliseconds.

On answer the record also carries the dialog as the proxy keeps it (`CallDialog`) and the quota
cut-off time, so a restart loses neither: a starting PBX gets every call that was still running
(`adopt`), re-arms the cut-offs (`pending_cutoffs`), closes the attempts that had not been answered,
and `restore` hands back any other running call's record when its next in-dialog request arrives, so
its BYE can close it.
"""

from __future__ import annotations

from dataclasses import replace

from server.sip.directory import CallDialog, CallRecord, Disposition
from server.sip.journal import CallRecorded, Journal

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
    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self.records: dict[str, CallRecord] = {}  # running attempts by call id
        self._restorable: dict[str, CallRecord] = {}  # answered before a restart, not ended yet

    def _write(self, rec: CallRecord) -> None:
        if rec.end is not None:
            self.records.pop(rec.call_id, None)
        else:
            self.records[rec.call_id] = rec
        self._journal.append(CallRecorded(rec))

    def adopt(self, running: list[CallRecord], now: float) -> None:
        """At start-up: the calls the database still has running.  Attempts never answered ended with
        the server that handled them; answered ones wait for their next in-dialog request."""
        for rec in running:
            if rec.end is not None:
                continue
            if rec.answer is None:
                self._journal.append(
                    CallRecorded(
                        replace(rec, end=now, disposition=Disposition.FAILED, hangup_cause="server restart")
                    )
                )
            else:
                self._restorable[rec.call_id] = rec

    def restore(self, call_id: str) -> CallRecord | None:
        """The record of a call answered before a restart and not ended yet, adopted as running."""
        rec = self.records.get(call_id)
        if rec is not None:
            return rec
        rec = self._restorable.pop(call_id, None)
        if rec is not None:
            self.records[call_id] = rec
        return rec

    def pending_cutoffs(self) -> list[CallRecord]:
        """Running calls adopted at start-up that have a quota cut-off, adopted as running."""
        out = [r for r in self._restorable.values() if r.cutoff is not None]
        for rec in out:
            del self._restorable[rec.call_id]
            self.records[rec.call_id] = rec
        return sorted(out, key=lambda r: r.cutoff or 0.0)

    def forget_stale(self, now: float, max_age: float) -> list[CallRecord]:
        """Adopted calls whose dialog never showed up again within `max_age` of their answer: closed."""
        stale = [r for r in self._restorable.values() if r.answer is not None and now - r.answer > max_age]
        for rec in stale:
            del self._restorable[rec.call_id]
            self._journal.append(
                CallRecorded(
                    replace(rec, end=now, disposition=Disposition.COMPLETED, hangup_cause="no BYE seen")
                )
            )
        return stale

    def start(self, rec: CallRecord) -> None:
        self._write(rec)

    def ringing(self, call_id: str) -> None:
        rec = self.records.get(call_id)
        if rec is not None and rec.disposition is Disposition.TRYING:
            self._write(replace(rec, disposition=Disposition.RINGING))

    def update(self, call_id: str, **changes: object) -> None:
        rec = self.records.get(call_id)
        if rec is not None:
            self._write(replace(rec, **changes))  # type: ignore[arg-type]

    def answered(
        self, call_id: str, now: float, *, cutoff: float | None = None, dialog: CallDialog | None = None
    ) -> None:
        rec = self.records.get(call_id)
        if rec is not None and rec.answer is None:
            self._write(
                replace(rec, answer=now, disposition=Disposition.ANSWERED, cutoff=cutoff, dialog=dialog)
            )

    def failed(self, call_id: str, now: float, status: int, reason: str, *, dnd: bool = False) -> None:
        rec = self.records.get(call_id)
        if rec is not None and rec.answer is None:
            self._write(
                replace(
                    rec,
                    end=now,
                    disposition=disposition_for_status(status, dnd=dnd),
                    hangup_cause=f"{status} {reason}".strip(),
                )
            )

    def ended(self, call_id: str, now: float, cause: str, disposition: Disposition | None = None) -> None:
        rec = self.records.get(call_id)
        if rec is not None:
            final = disposition or (
                Disposition.COMPLETED if rec.answer is not None else Disposition.CANCELLED
            )
            self._write(replace(rec, end=now, disposition=final, hangup_cause=cause))
