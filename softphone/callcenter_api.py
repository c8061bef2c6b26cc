"""The agent's call-center calls to the company server, typed: my queues and my state in them, wrap-up
and "ready now", my voicemail, and the live queue board (supervisors).  Contract: `docs/api-contract.md`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from softphone.provisioning import ApiError, ProvisioningClient

PAUSE_REASONS = ("lunch", "training", "after-call work", "other")


@dataclass(frozen=True, slots=True)
class MyQueue:
    queue_id: int
    name: str
    logged_in: bool
    paused: bool
    pause_reason: str
    wrapup_left: float | None  # seconds of my wrap-up still to run (the same in every queue)


@dataclass(frozen=True, slots=True)
class VoicemailMessage:
    id: str
    box_id: int
    box_name: str
    caller: str
    at: float  # UNIX time
    duration: float
    heard: bool


@dataclass(frozen=True, slots=True)
class BoardCaller:
    call_id: str
    position: int
    wait: float


@dataclass(frozen=True, slots=True)
class BoardAgent:
    user_id: int
    full_name: str
    state: str  # logged_out | paused | on_call | wrapup | available
    reason: str


@dataclass(frozen=True, slots=True)
class BoardQueue:
    queue_id: int
    name: str
    waiting: tuple[BoardCaller, ...]
    agents: tuple[BoardAgent, ...]
    service_level: float | None = None  # today's, 0..1 (None: nothing answered yet)


def _obj(data: Any, path: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(0, "bad_response", f"{path}: expected an object")
    return data


def _items(data: Any, path: str) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise ApiError(0, "bad_response", f"{path}: expected a list")
    return [_obj(x, path) for x in data]


def _queues(data: Any) -> list[MyQueue]:
    try:
        return [
            MyQueue(
                int(q["queue_id"]),
                str(q["name"]),
                bool(q["logged_in"]),
                bool(q["paused"]),
                str(q.get("pause_reason") or ""),
                None if q.get("wrapup_left") is None else float(q["wrapup_left"]),
            )
            for q in _items(data, "queues")
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(0, "bad_response", f"queues: {exc}") from None


async def my_queues(client: ProvisioningClient) -> list[MyQueue]:
    return _queues(await client.request("GET", "/me/queues"))


async def set_queue_state(
    client: ProvisioningClient,
    *,
    queue_id: int | None = None,
    logged_in: bool | None = None,
    paused: bool | None = None,
    pause_reason: str | None = None,
) -> list[MyQueue]:
    """Change my state in one queue (or, without `queue_id`, in all of them); my queues as they are now."""
    body = {
        k: v
        for k, v in (("logged_in", logged_in), ("paused", paused), ("pause_reason", pause_reason))
        if v is not None
    }
    path = "/me/queues/state" if queue_id is None else f"/me/queues/{queue_id}/state"
    return _queues(await client.request("PUT", path, body))


async def ready_now(client: ProvisioningClient) -> list[MyQueue]:
    return _queues(await client.request("POST", "/me/queues/ready"))


async def voicemail(client: ProvisioningClient) -> list[VoicemailMessage]:
    try:
        return [
            VoicemailMessage(
                str(m["id"]),
                int(m["box_id"]),
                str(m["box_name"]),
                str(m["caller"]),
                float(m["at"]),
                float(m["duration"]),
                bool(m["heard"]),
            )
            for m in _items(await client.request("GET", "/me/voicemail"), "voicemail")
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(0, "bad_response", f"voicemail: {exc}") from None


async def voicemail_audio(client: ProvisioningClient, message_id: str) -> bytes:
    """The message's WAV (8 kHz, 16-bit mono)."""
    return (await client.request_response("GET", f"/me/voicemail/{message_id}/audio")).content


async def mark_heard(client: ProvisioningClient, message_id: str) -> None:
    await client.request("POST", f"/me/voicemail/{message_id}/heard")


async def delete_voicemail(client: ProvisioningClient, message_id: str) -> None:
    await client.request("DELETE", f"/me/voicemail/{message_id}")


async def board(client: ProvisioningClient, *, today: str, tz: str = "Asia/Ho_Chi_Minh") -> list[BoardQueue]:
    """The live board with each queue's service level over `today` (``YYYY-MM-DD`` in `tz`)."""
    try:
        live = _obj(await client.request("GET", "/callcenter/board"), "board")
        stats = _items(
            await client.request("GET", f"/callcenter/stats/queues?start={today}&end={today}&tz={tz}"),
            "stats",
        )
        levels = {int(s["queue_id"]): s["totals"].get("service_level") for s in stats}
        return [
            BoardQueue(
                int(q["queue_id"]),
                str(q["name"]),
                tuple(
                    BoardCaller(str(w["call_id"]), int(w["position"]), float(w["wait"]))
                    for w in _items(q["waiting"], "waiting")
                ),
                tuple(
                    BoardAgent(
                        int(a["user_id"]), str(a["full_name"]), str(a["state"]), str(a.get("reason") or "")
                    )
                    for a in _items(q["agents"], "agents")
                ),
                None if levels.get(int(q["queue_id"])) is None else float(levels[int(q["queue_id"])]),
            )
            for q in _items(live.get("queues"), "board.queues")
        ]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ApiError(0, "bad_response", f"board: {exc}") from None
