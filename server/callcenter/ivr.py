"""IVR menus as a machine: events in (answered, digit, prompt finished, time passing, hang-up), actions out
(play, stop playing, route to a destination, hang up).

Digits barge in on prompts.  With direct dialling on, a digit that could begin an extension waits for the
inter-digit timeout (or four digits, or '#', or a complete extension no longer one begins with) before it
is taken as a menu option or an extension.  A submenu (an option whose destination is another menu) is
entered here, not routed; '*' returns to the parent menu when '*' is not an option of its own.  Invalid
input and silence each have a retry count; when retries run out the call goes to the menu's
invalid/timeout destination (hang up when none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.callcenter.destinations import HANGUP, Destination, destination_from_json
from server.callcenter.media import Play, StopPlay


@dataclass(frozen=True, slots=True)
class IvrMenu:
    id: int
    greeting: str
    options: Mapping[str, Destination]
    direct_dial: bool = False
    inter_digit_timeout: float = 3.0
    timeout: float = 8.0
    retries: int = 2
    invalid_prompt: str = "invalid_option"
    timeout_prompt: str = ""
    invalid_destination: Destination = HANGUP
    timeout_destination: Destination = HANGUP
    parent_id: int | None = None


def ivr_from_json(menu_id: int, config: Mapping[str, Any]) -> IvrMenu:
    return IvrMenu(
        id=menu_id,
        greeting=str(config.get("greeting", "")),
        options={d: destination_from_json(dest) for d, dest in config.get("options", {}).items()},
        direct_dial=bool(config.get("direct_dial", False)),
        inter_digit_timeout=float(config.get("inter_digit_timeout", 3.0)),
        timeout=float(config.get("timeout", 8.0)),
        retries=int(config.get("retries", 2)),
        invalid_prompt=str(config.get("invalid_prompt", "invalid_option")),
        timeout_prompt=str(config.get("timeout_prompt", "")),
        invalid_destination=destination_from_json(config.get("invalid_destination")),
        timeout_destination=destination_from_json(config.get("timeout_destination")),
        parent_id=config.get("parent_id"),
    )


@dataclass(frozen=True, slots=True)
class Route:
    destination: Destination


@dataclass(frozen=True, slots=True)
class HangUp:
    pass


IvrAction = Play | StopPlay | Route | HangUp


@dataclass(slots=True)
class IvrSession:
    """One caller in the menus.  `menus` are the company's menus by id; `extensions` the company's
    extensions (for direct dialling)."""

    menus: Mapping[int, IvrMenu]
    menu_id: int
    extensions: frozenset[str] = frozenset()
    path: list[int] = field(default_factory=list)  # menus visited, for the CDR and the agent's screen
    digits: str = ""
    invalid: int = 0
    silent: int = 0
    playing: bool = False
    deadline: float | None = None  # when `tick` acts next
    done: bool = False
    _pending_prompts: list[str] = field(default_factory=list)

    @property
    def menu(self) -> IvrMenu:
        return self.menus[self.menu_id]

    # --- events ------------------------------------------------------------------------------------
    def answered(self, now: float) -> list[IvrAction]:
        return self._enter(self.menu_id, now)

    def prompt_finished(self, now: float) -> list[IvrAction]:
        if self.done:
            return []
        self.playing = False
        if self._pending_prompts:
            return self._play(self._pending_prompts.pop(0))
        if not self.digits:
            self.deadline = now + self.menu.timeout
        return []

    def digit(self, d: str, now: float) -> list[IvrAction]:
        if self.done:
            return []
        actions: list[IvrAction] = []
        if self.playing:
            self.playing = False
            self._pending_prompts.clear()
            actions.append(StopPlay())
        menu = self.menu
        if d == "#" and self.digits and "#" not in menu.options:
            return actions + self._resolve(now)  # '#' ends an extension being dialled
        self.digits += d
        if menu.direct_dial and self._could_be_extension(self.digits):
            if len(self.digits) >= 4 or not self._could_be_longer(self.digits):
                return actions + self._resolve(now)
            self.deadline = now + menu.inter_digit_timeout
            return actions
        return actions + self._resolve(now)

    def tick(self, now: float) -> list[IvrAction]:
        if self.done or self.deadline is None or now < self.deadline:
            return []
        self.deadline = None
        if self.digits:
            return self._resolve(now)
        self.silent += 1
        menu = self.menu
        if self.silent > menu.retries:
            return self._route(menu.timeout_destination, now)
        prompts = [p for p in (menu.timeout_prompt, menu.greeting) if p]
        return self._play_all(prompts, now)

    def hang_up(self) -> list[IvrAction]:
        self.done = True
        self.deadline = None
        return []

    # --- internals ---------------------------------------------------------------------------------
    def _could_be_extension(self, digits: str) -> bool:
        return digits.isdigit() and any(len(e) >= 2 and e.startswith(digits) for e in self.extensions)

    def _could_be_longer(self, digits: str) -> bool:
        return any(len(e) > len(digits) and e.startswith(digits) for e in self.extensions)

    def _resolve(self, now: float) -> list[IvrAction]:
        digits, self.digits = self.digits, ""
        self.deadline = None
        menu = self.menu
        if menu.direct_dial and 2 <= len(digits) <= 4 and digits in self.extensions:
            return self._route(Destination("extension", extension=digits), now)
        if digits in menu.options:
            return self._route(menu.options[digits], now)
        if digits == "*" and menu.parent_id is not None and menu.parent_id in self.menus:
            return self._enter(menu.parent_id, now)
        self.invalid += 1
        if self.invalid > menu.retries:
            return self._route(menu.invalid_destination, now)
        prompts = [p for p in (menu.invalid_prompt, menu.greeting) if p]
        return self._play_all(prompts, now)

    def _enter(self, menu_id: int, now: float) -> list[IvrAction]:
        self.menu_id = menu_id
        self.path.append(menu_id)
        self.digits, self.invalid, self.silent = "", 0, 0
        greeting = self.menu.greeting
        return self._play_all([greeting] if greeting else [], now)

    def _play_all(self, prompts: list[str], now: float) -> list[IvrAction]:
        if not prompts:
            self.deadline = now + self.menu.timeout
            return []
        self._pending_prompts = prompts[1:]
        self.deadline = None
        return self._play(prompts[0])

    def _play(self, prompt: str) -> list[IvrAction]:
        self.playing = True
        return [Play(prompt)]

    def _route(self, destination: Destination, now: float) -> list[IvrAction]:
        if destination.kind == "ivr" and destination.id in self.menus:
            return self._enter(destination.id, now)
        self.done = True
        self.deadline = None
        if destination.kind == "hangup":
            return [HangUp()]
        return [Route(destination)]
