"""What the call center asks of the media plane: the seam between the machines and rtpengine.

The IVR machine (and, later, queue announcements and voicemail) emit these; the media plane executes
them on the caller's media leg and reports back with the machines' events (prompt finished, digit).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Play:
    """Play a prompt (a built-in name such as "closed" or an uploaded prompt's name) to the caller.
    Digits pressed while it plays interrupt it when `barge_in`; the media plane reports `PromptFinished`."""

    prompt: str
    barge_in: bool = True


@dataclass(frozen=True, slots=True)
class StopPlay:
    """Stop whatever is playing (a digit interrupted the prompt)."""


@dataclass(frozen=True, slots=True)
class PlayMusic:
    """Loop music on hold (`moh` class) until `StopPlay`."""

    moh: str = "default"


@dataclass(frozen=True, slots=True)
class Record:
    """Record the caller into voicemail box `box_id` until hang-up, # or `max_seconds`."""

    box_id: int
    max_seconds: int = 120


MediaAction = Play | StopPlay | PlayMusic | Record
