"""The call-history read model and call cost, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from server.domain import call_history
from server.domain.call_cost import MOBILE, billed_seconds, call_cost, destination_class
from server.domain.models import CallRecord, Company, User

pytestmark = pytest.mark.integration

DAY = datetime(2026, 11, 22, tzinfo=UTC).timestamp()  # 07:00 in Ho Chi Minh City


async def test_search_pages_filters_and_summary(api, demo) -> None:
    async with api.sessionmaker() as session:
        company = await session.scalar(select(Company).where(Company.sip_domain == "demo.local"))
        agent = await session.scalar(select(User).where(User.phone == "84901000101"))
        rows = []
        for i in range(30):
            answered = i % 3 != 0
            rows.append(
                CallRecord(
                    call_id=f"c{i}",
                    company_id=company.id,
                    domain="demo.local",
                    caller="101",
                    callee=f"0903{i:06d}" if i % 2 else "102",
                    direction="outbound" if i % 2 else "internal",
                    hotline="02873001234" if i % 2 else None,
                    start=DAY + i * 600,
                    answer=DAY + i * 600 + 5 if answered else None,
                    end=DAY + i * 600 + 65,
                    disposition="completed" if answered else "no_answer",
                    caller_user_id=agent.id,
                )
            )
        rows.append(
            CallRecord(
                call_id="other",
                company_id=None,
                domain="x",
                caller="1",
                callee="2",
                direction="internal",
                start=DAY + 60,
                disposition="completed",
            )
        )
        session.add_all(rows)
        await session.commit()

        q = call_history.CallQuery(company_id=company.id, start=DAY, end=DAY + 86400)
        first = await call_history.search(session, q, limit=20)
        assert [r.call_id for r in first.rows][:2] == ["c29", "c28"] and first.next_key is not None
        rest = await call_history.search(session, q, limit=20, after=first.next_key)
        assert len(rest.rows) == 10 and rest.next_key is None
        assert await call_history.count(session, q) == 30
        missed = call_history.CallQuery(company_id=company.id, start=DAY, end=DAY + 86400, status="missed")
        assert await call_history.count(session, missed) == 10
        partial = call_history.CallQuery(company_id=company.id, start=DAY, end=DAY + 86400, number="000001")
        assert [r.call_id for r in (await call_history.search(session, partial)).rows] == ["c1"]

        s = await call_history.summary(api.sessionmaker, q, utc_offset=7 * 3600)
        assert (s.total, s.answered, s.missed) == (30, 20, 10)
        assert s.by_direction == {"outbound": 15, "internal": 15}
        assert s.by_hour[7] == 6 and s.by_hour[11] == 6 and sum(s.by_hour) == 30
        assert s.top_agents[0][:3] == (agent.id, agent.full_name, 20)
        assert s.talk_seconds == 20 * 60


def test_call_cost() -> None:
    assert destination_class("0903123456") == "mobile"
    assert destination_class("02873001234") == "landline"
    assert destination_class("0044201234567") == "international"
    assert billed_seconds(3, MOBILE) == 6 and billed_seconds(6.5, MOBILE) == 7
    assert call_cost("outbound", "0903123456", 60) == 1180
    assert call_cost("internal", "102", 60) == 0 and call_cost("outbound", "0903123456", 0) == 0


async def test_queue_filter_keeps_the_calls_that_entered_the_queue(api, demo) -> None:
    from server.domain.callcenter_models import Queue, QueueEvent

    async with api.sessionmaker() as session:
        company = await session.scalar(select(Company).where(Company.sip_domain == "demo.local"))
        sales = Queue(company_id=company.id, name="Sales", config={})
        support = Queue(company_id=company.id, name="Support", config={})
        session.add_all([sales, support])
        await session.flush()
        for i in range(4):
            session.add(
                CallRecord(
                    call_id=f"q{i}",
                    company_id=company.id,
                    domain="demo.local",
                    caller=f"09030000{i:02d}",
                    callee="101",
                    direction="inbound",
                    start=DAY + i * 60,
                    answer=DAY + i * 60 + 2,
                    end=DAY + i * 60 + 30,
                    disposition="completed",
                )
            )
        # q0, q1 entered Sales (q1 then Support too); q2 Support; q3 has only a non-entry line
        entries = [("q0", sales, 1), ("q1", sales, 61), ("q1", support, 90), ("q2", support, 125)]
        for call_id, queue, at in entries:
            session.add(
                QueueEvent(
                    company_id=company.id, queue_id=queue.id, at=DAY + at, call_id=call_id, event="ENTERQUEUE"
                )
            )
        session.add(
            QueueEvent(company_id=company.id, queue_id=sales.id, at=DAY + 60, call_id="q3", event="ABANDON")
        )
        await session.commit()

        for queue, expected in [(sales, ["q1", "q0"]), (support, ["q2", "q1"])]:
            q = call_history.CallQuery(company_id=company.id, start=DAY, end=DAY + 86400, queue_id=queue.id)
            page = await call_history.search(session, q)
            assert [r.call_id for r in page.rows] == expected
            assert await call_history.count(session, q) == len(expected)
        other = call_history.CallQuery(
            company_id=company.id + 1000, start=DAY, end=DAY + 86400, queue_id=sales.id
        )
        assert (await call_history.search(session, other)).rows == []
