"""Schemas of the queue statistics, the live queue board and the agent's own queue states."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class QueueFigures(_Read):
    offered: int = Field(description="callers who entered the queue (ENTERQUEUE)")
    answered: int
    abandoned: int = Field(description="hung up while waiting, not counting short abandons")
    short_abandoned: int = Field(description="hung up within the queue's short_abandon seconds")
    abandoned_within: int = Field(description="abandons within the service-level threshold")
    timed_out: int = Field(description="sent on after max_wait (EXITWITHTIMEOUT)")
    exited_empty: int = Field(description="sent on because no agent was logged in (EXITEMPTY)")
    exited_with_key: int = Field(description="left with a key, e.g. for voicemail (EXITWITHKEY)")
    overflowed: int = Field(description="refused because the queue was full (EXITFULL)")
    transferred: int
    answered_within: int = Field(description="answered within the service-level threshold")
    service_level: float | None = Field(description="answered_within / answered")
    service_level_with_abandons: float | None = Field(
        description="(answered_within + abandoned_within) / (answered + abandoned)"
    )
    asa: float | None = Field(description="average speed of answer: mean hold of answered calls, seconds")
    aht: float | None = Field(description="average handle time: mean talk + wrap-up, seconds")
    abandon_rate: float | None = Field(description="abandoned / (offered - short_abandoned)")
    waiting: int = Field(description="callers of the period still waiting")
    longest_wait: float = Field(description="seconds")
    talk: float = Field(description="total talk seconds")
    wrapup: float = Field(description="total wrap-up seconds")


class IntervalFiguresPublic(_Read):
    start: datetime = Field(description="the hour or day (in the asked zone) the calls entered in")
    figures: QueueFigures


class QueueStatsPublic(_Read):
    queue_id: int
    name: str
    service_level_threshold: float
    short_abandon: float
    totals: QueueFigures
    intervals: list[IntervalFiguresPublic]


class AgentFigures(_Read):
    answered: int
    missed: int = Field(description="offers let ring out or refused (RINGNOANSWER)")
    transferred: int
    talk: float
    wrapup: float
    aht: float | None
    staffed: float = Field(description="seconds logged in and not paused")
    paused: float = Field(description="seconds logged in and paused")
    busy: float = Field(description="seconds talking or in wrap-up while staffed")
    occupancy: float | None = Field(description="busy / staffed")


class AgentIntervalFiguresPublic(_Read):
    start: datetime = Field(description="the hour or day (in the asked zone)")
    figures: AgentFigures


class AgentStatsPublic(_Read):
    user_id: int
    full_name: str
    figures: AgentFigures
    intervals: list[AgentIntervalFiguresPublic]


class BoardCallerPublic(_Read):
    call_id: str
    position: int
    priority: int
    entered: float = Field(description="UNIX seconds")
    wait: float = Field(description="seconds waited so far")


class BoardAgentPublic(_Read):
    user_id: int
    full_name: str
    state: Literal["logged_out", "paused", "on_call", "wrapup", "available"]
    reason: str = Field(description="the pause reason")
    call_id: str | None
    until: float | None = Field(description="end of the wrap-up, UNIX seconds")


class BoardQueuePublic(_Read):
    queue_id: int
    name: str
    waiting: list[BoardCallerPublic]
    agents: list[BoardAgentPublic]


class BoardPublic(BaseModel):
    now: float = Field(description="UNIX seconds the board was read at")
    queues: list[BoardQueuePublic]


class MyQueuePublic(BaseModel):
    queue_id: int
    name: str
    logged_in: bool
    paused: bool
    pause_reason: str
    wrapup_left: float | None = Field(
        default=None, description="seconds of my wrap-up still to run (shared by all my queues); null: none"
    )
