"""`SqlDirectory` stores the quota cut-off and the SIP dialog with the CDR, and hands back the running calls
that have one (what the PBX re-arms after a restart)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import update

from server.domain import models as m
from server.domain.pbx_directory import SqlDirectory
from server.sip import directory as d

pytestmark = pytest.mark.integration

DIALOG = d.CallDialog(
    caller=d.DialogParty(
        uri="<sip:101@demo.local>",
        tag="a1b2",
        target="sip:101@127.0.0.1:5101;ob",
        flow="udp:127.0.0.1:5101",
        cseq=2,
    ),
    callee=d.DialogParty(
        uri="<sip:0961234567@demo.local>",
        tag="carrier1",
        target="sip:84961234567@[::1]:5090;transport=tcp",
        flow="tcp:[::1]:5090",
        cseq=0,
    ),
    billed_user_id=7,
    cseq_offset=1,
)


@pytest.fixture
def directory(api, demo) -> SqlDirectory:
    return SqlDirectory(api.sessionmaker, clock=api.clock)


def record(call_id: str, **changes: object) -> d.CallRecord:
    base = d.CallRecord(
        call_id=call_id,
        company_id=None,
        domain="demo.local",
        caller="101",
        callee="0961234567",
        direction="outbound",
        hotline="02873001234",
        start=1000.0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def test_dialog_and_cutoff_round_trip_and_pending_cutoffs(directory: SqlDirectory) -> None:
    answered = record(
        "quota-call",
        answer=1002.0,
        disposition=d.Disposition.ANSWERED,
        cutoff=1062.0,
        dialog=DIALOG,
    )
    await directory.record_call(record("quota-call"))
    await directory.record_call(answered)
    await directory.record_call(record("ringing", cutoff=None))
    await directory.record_call(record("no-quota", answer=1003.0, dialog=DIALOG))
    await directory.record_call(record("ended", answer=1001.0, end=1061.0, cutoff=1061.0, dialog=DIALOG))

    assert await directory.call_record("quota-call") == answered
    assert await directory.pending_cutoffs() == [answered]

    ended = replace(answered, end=1062.0, disposition=d.Disposition.QUOTA_EXCEEDED, hangup_cause="quota")
    await directory.record_call(ended)
    assert await directory.pending_cutoffs() == []
    assert await directory.call_record("quota-call") == ended  # the CDR still says what was planned


async def test_an_unreadable_stored_dialog_reads_back_as_none(api, directory: SqlDirectory) -> None:
    await directory.record_call(record("odd", answer=1002.0, cutoff=1062.0, dialog=DIALOG))
    async with api.sessionmaker() as s, s.begin():
        await s.execute(
            update(m.CallRecord).where(m.CallRecord.call_id == "odd").values(dialog={"caller": "?"})
        )
    (got,) = await directory.pending_cutoffs()
    assert got.dialog is None and got.cutoff == 1062.0
