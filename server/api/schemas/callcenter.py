"""Schemas of /admin call-center configuration: destinations, schedules, IVR menus, queues, ring groups,
voicemail boxes, hotline routes, queue members and agent states."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.api.schemas.common import DbId, Text40, Text100

Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]
Seconds = Annotated[int, Field(ge=0, le=86_400)]
PromptName = Annotated[str, Field(max_length=100)]


# --- destinations --------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToExtension(_Strict):
    kind: Literal["extension"]
    extension: Text40


class ToIvr(_Strict):
    kind: Literal["ivr"]
    id: DbId


class ToQueue(_Strict):
    kind: Literal["queue"]
    id: DbId


class ToRingGroup(_Strict):
    kind: Literal["ring_group"]
    id: DbId


class ToVoicemail(_Strict):
    kind: Literal["voicemail"]
    id: DbId


class ToSchedule(_Strict):
    kind: Literal["schedule"]
    id: DbId


class ToPromptThenHangup(_Strict):
    kind: Literal["prompt_hangup"]
    prompt: PromptName


PhoneNumber = Annotated[str, Field(pattern=r"^\+?\d{3,20}$")]


class ToExternal(_Strict):
    kind: Literal["external"]
    number: PhoneNumber
    hotline: Text40  # the company hotline whose trunk carries the forwarded call


class ToHangup(_Strict):
    kind: Literal["hangup"]


Destination = Annotated[
    ToExtension
    | ToIvr
    | ToQueue
    | ToRingGroup
    | ToVoicemail
    | ToSchedule
    | ToPromptThenHangup
    | ToExternal
    | ToHangup,
    Field(discriminator="kind"),
]


# --- schedules -----------------------------------------------------------------------------------
class WeeklyRange(_Strict):
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyRange:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Holiday(_Strict):
    name: Text100 = ""
    start: date
    end: date  # inclusive
    destination: Destination | None = None  # None: the schedule's holiday destination

    @model_validator(mode="after")
    def _ordered(self) -> Holiday:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


class ScheduleConfig(_Strict):
    timezone: Text40 = "Asia/Ho_Chi_Minh"
    weekly: list[WeeklyRange] = Field(default_factory=list, max_length=100)
    holidays: list[Holiday] = Field(default_factory=list, max_length=200)
    override: Literal["open", "closed"] | None = None
    open: Destination
    closed: Destination
    holiday: Destination | None = None  # None: holidays go to `closed`


# --- IVR menus -----------------------------------------------------------------------------------
Digit = Annotated[str, Field(pattern=r"^[0-9*#]$")]


class IvrConfig(_Strict):
    greeting: PromptName = ""
    options: dict[Digit, Destination] = Field(default_factory=dict)
    direct_dial: bool = False  # 2-4 digit extensions dialled from the menu
    inter_digit_timeout: float = Field(default=3.0, gt=0, le=60)
    timeout: float = Field(default=8.0, gt=0, le=600)
    retries: int = Field(default=2, ge=0, le=10)
    invalid_prompt: PromptName = "invalid_option"
    timeout_prompt: PromptName = ""
    invalid_destination: Destination | None = None  # None: hang up
    timeout_destination: Destination | None = None
    parent_id: DbId | None = None  # the menu the '*' key returns to when '*' is not an option


# --- queues --------------------------------------------------------------------------------------
Strategy = Literal[
    "ring_all", "longest_idle", "round_robin", "fewest_calls", "least_talk_time", "random", "linear"
]


class QueueConfig(_Strict):
    strategy: Strategy = "longest_idle"
    ring_timeout: float = Field(default=15.0, gt=0, le=300)
    wrapup: Seconds = 10
    max_wait: Seconds = 0  # 0: no limit
    max_wait_destination: Destination | None = None
    max_length: int = Field(default=0, ge=0, le=10_000)  # 0: no limit
    overflow_destination: Destination | None = None
    no_agent_grace: Seconds = 30
    no_agent_destination: Destination | None = None
    service_level: Seconds = 20  # answered within this many seconds counts toward the service level
    short_abandon: Seconds = 5  # abandons shorter than this are left out of the abandonment rate
    retry: Seconds = 5  # pause before a caller every free agent let ring out rings them again
    priority: int = Field(default=0, ge=0, le=100)  # callers entering with a higher priority go first
    moh: PromptName = "default"
    # position / estimated-wait announcements on entry and every N s (0: none; under 15 counts as 15)
    announce_every: Seconds = 0
    announce_position: bool = True
    announce_wait: bool = True  # the recent average hold time less the caller's wait, in minutes
    language: Literal["vi", "en"] = "vi"  # of the announcements
    priority_callers: list[PhoneNumber] = Field(default_factory=list, max_length=500)  # served first
    priority_hotlines: list[PhoneNumber] = Field(default_factory=list, max_length=50)  # callers of these, too


class RingGroupConfig(_Strict):
    mode: Literal["simultaneous", "ordered"] = "simultaneous"
    extensions: list[Text40] = Field(min_length=1, max_length=50)
    ring_timeout: float = Field(default=20.0, gt=0, le=300)  # the whole group, or each member in order
    no_answer: Destination | None = None


class VoicemailConfig(_Strict):
    owner: Literal["extension", "queue"]
    extension: Text40 | None = None
    queue_id: DbId | None = None
    greeting: PromptName = "voicemail_greeting"
    email: Annotated[str, Field(max_length=255)] | None = None

    @model_validator(mode="after")
    def _owner(self) -> VoicemailConfig:
        if (self.owner == "extension") != (self.extension is not None) or (self.owner == "queue") != (
            self.queue_id is not None
        ):
            raise ValueError("give exactly the owner's extension or queue_id")
        return self


class ConfiguredCreate(BaseModel):
    name: Text100


class ScheduleBody(ConfiguredCreate):
    config: ScheduleConfig


class IvrBody(ConfiguredCreate):
    config: IvrConfig


class QueueBody(ConfiguredCreate):
    config: QueueConfig


class RingGroupBody(ConfiguredCreate):
    config: RingGroupConfig


class VoicemailBody(ConfiguredCreate):
    config: VoicemailConfig


class ConfiguredPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    config: dict[str, Any]


# --- routes, members, agent states ---------------------------------------------------------------
class HotlineRouteBody(_Strict):
    destination: Destination


class HotlineRoutePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    hotline_id: int
    destination: dict[str, Any]


class QueueMemberBody(_Strict):
    user_id: DbId
    tier: int = Field(default=0, ge=0, le=100)
    penalty: int = Field(default=0, ge=0, le=100)


class QueueMembersBody(_Strict):
    members: list[QueueMemberBody] = Field(max_length=1000)


class QueueMemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    user_id: int
    tier: int
    penalty: int


class AgentStateBody(_Strict):
    logged_in: bool | None = None
    paused: bool | None = None
    pause_reason: Text100 | None = None


class AgentStatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    queue_id: int
    user_id: int
    logged_in: bool
    paused: bool
    pause_reason: str
