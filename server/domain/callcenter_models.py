"""Call-center configuration and state: schedules, IVR menus, queues, ring groups, voicemail boxes,
hotline inbound routes, agent states and the queue event log.

The tree-shaped parts of a configuration (weekly ranges, holidays, digit tables, destinations) are one
JSON document per row, validated by the API's schemas and checked for references by
`server.domain.callcenter` before they are stored; `server.callcenter.config` turns them into the
sans-IO machines' dataclasses.  Rows that other rows refer to by user (members, agent states) are
relational so that deleting a user or a queue cascades.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.domain.models import Base


class _Configured:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)


class Schedule(_Configured, Base):
    __tablename__ = "cc_schedules"


class IvrMenu(_Configured, Base):
    __tablename__ = "cc_ivr_menus"


class Queue(_Configured, Base):
    __tablename__ = "cc_queues"


class RingGroup(_Configured, Base):
    __tablename__ = "cc_ring_groups"


class VoicemailBox(_Configured, Base):
    __tablename__ = "cc_voicemail_boxes"


class HotlineRoute(Base):
    """Where a call to a hotline goes (replaces the hotline's fixed `inbound_extension` when present)."""

    __tablename__ = "cc_hotline_routes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    hotline_id: Mapped[int] = mapped_column(ForeignKey("hotlines.id", ondelete="CASCADE"), unique=True)
    destination: Mapped[dict[str, Any]] = mapped_column(JSON)


class QueueMember(Base):
    __tablename__ = "cc_queue_members"
    __table_args__ = (UniqueConstraint("queue_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("cc_queues.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tier: Mapped[int] = mapped_column(Integer, default=0)
    penalty: Mapped[int] = mapped_column(Integer, default=0)


class AgentState(Base):
    """An agent's log-in and pause in one queue; survives restarts because it is a row."""

    __tablename__ = "cc_agent_states"
    __table_args__ = (UniqueConstraint("queue_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("cc_queues.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    logged_in: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_reason: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class QueueEvent(Base):
    """One line of the queue log (Asterisk queue_log style); metrics are computed from these."""

    __tablename__ = "cc_queue_events"
    __table_args__ = (
        Index("ix_cc_queue_events_queue_at", "queue_id", "at"),
        Index("ix_cc_queue_events_company_at", "company_id", "at"),  # live board, date ranges
        Index("ix_cc_queue_events_agent_at", "agent_user_id", "at"),  # per-agent reports
        # agents' log-in/pause lines (call id NONE) before a moment: their state at a report's start
        Index("ix_cc_queue_events_company_call_at", "company_id", "call_id", "at"),
    )
    __changes__ = False  # written by the queue-log writer (server.domain.queue_log); nothing routes on it

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    queue_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Float)  # UNIX seconds
    call_id: Mapped[str] = mapped_column(String(255))
    event: Mapped[str] = mapped_column(String(32))
    agent_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class QueueHourRollup(Base):
    """One queue's counts and sums (`server.callcenter.metrics.QueueTally`) over the calls that entered it
    in one closed hour, folded from the queue log by `server.domain.queue_rollups`; reports over long
    ranges add these up instead of reading every line.  The thresholds the tally was counted with are
    kept: a row whose thresholds are no longer the queue's is not used (and is folded again)."""

    __tablename__ = "cc_queue_rollups"
    __table_args__ = (
        UniqueConstraint("queue_id", "hour"),
        Index("ix_cc_queue_rollups_company_hour", "company_id", "hour"),
    )
    __changes__ = False  # a read model of the queue log; nothing routes on it

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    queue_id: Mapped[int] = mapped_column(Integer)
    hour: Mapped[float] = mapped_column(Float)  # UNIX seconds of the hour's start (UTC hours)
    service_level: Mapped[float] = mapped_column(Float)
    short_abandon: Mapped[float] = mapped_column(Float)
    tally: Mapped[dict[str, Any]] = mapped_column(JSON)


class RollupMark(Base):
    """How far a company's queue log is folded into hourly rollups: every hour before `folded_until`."""

    __tablename__ = "cc_rollup_marks"
    __changes__ = False

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    folded_until: Mapped[float] = mapped_column(Float)


class AgentHourRollup(Base):
    """One agent's figures (`server.callcenter.metrics.AgentMetrics`, over all the company's queues) in one
    closed hour, folded from the queue log by `server.domain.queue_rollups`."""

    __tablename__ = "cc_agent_rollups"
    __table_args__ = (
        UniqueConstraint("company_id", "user_id", "hour"),
        Index("ix_cc_agent_rollups_company_hour", "company_id", "hour"),
    )
    __changes__ = False

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Integer)
    hour: Mapped[float] = mapped_column(Float)  # UNIX seconds of the hour's start (UTC hours)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
