"""Recording retention (server/domain/recording_retention.py) with a fake clock, seeded call records and
real files, on SQLite and PostgreSQL: the API's setting, one pass of the job, the job's start-up pass."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from server.domain.clock import to_posix
from server.domain.models import AuditEntry, CallRecord, Company
from server.domain.recording_retention import DAY, RetentionJob, purge_expired_recordings

pytestmark = pytest.mark.integration


def _record(company_id: int, call_id: str, start: float, recording: str | None) -> CallRecord:
    return CallRecord(
        call_id=call_id,
        company_id=company_id,
        domain="demo.local",
        caller="0903000001",
        callee="02873001234",
        direction="inbound",
        start=start,
        answer=start + 5,
        end=start + 65,
        disposition="completed",
        recording=recording,
    )


async def test_old_recordings_are_deleted_the_records_stay_and_nothing_else_is_touched(
    api, demo, tmp_path, caplog
) -> None:
    headers = demo.admin_headers
    for bad in (-1, 3651, "ten"):
        r = await api.client.patch("/admin/company", json={"recording_retention_days": bad}, headers=headers)
        assert r.status_code == 422, r.text
    r = await api.client.get("/admin/company", headers=headers)
    assert r.json()["recording_retention_days"] == 0  # forever by default, nothing half-saved
    now = to_posix(api.clock())
    recordings, voicemail = tmp_path / "recordings", tmp_path / "voicemail" / "1"
    recordings.mkdir()
    voicemail.mkdir(parents=True)
    (voicemail / "old-message.wav").write_bytes(b"RIFF")
    outside = tmp_path / "outside.wav"
    outside.write_bytes(b"RIFF")
    async with api.sessionmaker() as session:
        company = await session.scalar(select(Company).where(Company.sip_domain == "demo.local"))
        rows = [
            _record(company.id, "old", now - 40 * DAY, "old.wav"),
            _record(company.id, "gone", now - 35 * DAY, "gone.wav"),  # its file is missing already
            _record(company.id, "escape", now - 50 * DAY, "../outside.wav"),
            _record(company.id, "recent", now - 10 * DAY, "recent.wav"),
            _record(company.id, "unrecorded", now - 60 * DAY, None),
        ]
        session.add_all(rows)
        await session.commit()
    for name in ("old.wav", "recent.wav"):
        (recordings / name).write_bytes(b"RIFF")

    # forever: nothing happens
    assert await purge_expired_recordings(api.sessionmaker, ctx=api.ctx, directory=recordings, now=now) == 0
    assert (recordings / "old.wav").exists()

    r = await api.client.patch("/admin/company", json={"recording_retention_days": 30}, headers=headers)
    assert r.status_code == 200 and r.json()["recording_retention_days"] == 30, r.text
    with caplog.at_level(logging.INFO, logger="server.domain.recording_retention"):
        deleted = await purge_expired_recordings(api.sessionmaker, ctx=api.ctx, directory=recordings, now=now)
    assert deleted == 3
    assert "recording retention: 3 recordings deleted (1 files)" in caplog.text
    assert not (recordings / "old.wav").exists() and (recordings / "recent.wav").exists()
    assert outside.exists() and (voicemail / "old-message.wav").exists()
    async with api.sessionmaker() as session:
        by_id = {c.call_id: c for c in await session.scalars(select(CallRecord))}
        assert {k for k, c in by_id.items() if c.recording_deleted == now} == {"old", "gone", "escape"}
        assert all(by_id[k].recording is None for k in ("old", "gone", "escape"))
        assert by_id["recent"].recording == "recent.wav" and by_id["recent"].recording_deleted is None
        assert by_id["unrecorded"].recording_deleted is None
        audits = list(await session.scalars(select(AuditEntry).where(AuditEntry.entity == "recordings")))
        assert [(a.action, a.detail["deleted"], a.detail["days"]) for a in audits] == [("retention", 3, 30)]
    calls = (await api.client.get("/admin/calls", headers=headers)).json()
    old = next(c for c in calls if c["call_id"] == "old")
    assert old["recording"] is None and old["recording_url"] is None and old["recording_deleted"] == now

    # a second pass finds nothing more; the job's first pass runs at start
    assert await purge_expired_recordings(api.sessionmaker, ctx=api.ctx, directory=recordings, now=now) == 0
    api.clock.advance(21 * DAY)
    job = RetentionJob(
        api.sessionmaker, ctx=api.ctx, directory=recordings, clock=lambda: to_posix(api.clock()), period=3600
    )
    job.start()
    for _ in range(50):
        if not (recordings / "recent.wav").exists():
            break
        await asyncio.sleep(0.05)
    await job.stop()
    assert not (recordings / "recent.wav").exists()
