"""Where a call can be sent, as the PBX and the machines see it (parsed from the stored JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

DestinationKind = Literal[
    "extension", "ivr", "queue", "ring_group", "voicemail", "schedule", "prompt_hangup", "external", "hangup"
]


@dataclass(frozen=True, slots=True)
class Destination:
    kind: DestinationKind
    id: int = 0  # ivr, queue, ring_group, voicemail, schedule
    extension: str = ""  # extension
    prompt: str = ""  # prompt_hangup
    number: str = ""  # external: the number dialled out
    hotline: str = ""  # external: the hotline whose trunk carries it

    @property
    def needs_media(self) -> bool:
        """Destinations that answer the caller with the media plane (prompts, menus, recording)."""
        return self.kind in ("ivr", "voicemail", "prompt_hangup")


HANGUP = Destination("hangup")


def destination_from_json(doc: Mapping[str, Any] | None) -> Destination:
    """The stored JSON form (validated by the API) as a `Destination`; None means hang up."""
    if not doc:
        return HANGUP
    kind = doc["kind"]
    if kind == "extension":
        return Destination("extension", extension=str(doc["extension"]))
    if kind == "prompt_hangup":
        return Destination("prompt_hangup", prompt=str(doc["prompt"]))
    if kind == "external":
        return Destination("external", number=str(doc["number"]), hotline=str(doc["hotline"]))
    if kind == "hangup":
        return HANGUP
    if kind in ("ivr", "queue", "ring_group", "voicemail", "schedule"):
        return Destination(kind, id=int(doc["id"]))
    raise ValueError(f"unknown destination kind {kind!r}")
