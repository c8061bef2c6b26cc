"""The feature table: which feature answers which dialled number.

A feature is any object with ``on_call(call)``; it answers or rejects the call and attaches
a :class:`server.media.call.CallSession` to follow its media. One module per feature
(``echo.py``, ``conference.py``; IVR menus and queues later).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from server.media.call import MediaCall

ECHO_TEST = "*43"


class Feature(Protocol):
    def on_call(self, call: MediaCall) -> None:
        """Answer or reject ``call``; runs on the service thread, never inside a pjsua2 callback."""


@dataclass(frozen=True)
class Unknown:
    """Answer for numbers no feature owns."""

    code: int = 404
    reason: str = "Not Found"

    def on_call(self, call: MediaCall) -> None:
        call.reject(self.code, self.reason)


class FeatureTable(Mapping[str, Feature]):
    """Exact dialled numbers, then number patterns (whole-number regex match), then a fallback."""

    def __init__(
        self,
        features: Mapping[str, Feature],
        patterns: Sequence[tuple[re.Pattern[str], Feature]] = (),
        fallback: Feature | None = None,
    ) -> None:
        self._features = dict(features)
        self._patterns = tuple(patterns)
        self._fallback: Feature = fallback if fallback is not None else Unknown()

    def __getitem__(self, number: str) -> Feature:
        return self._features[number]

    def __iter__(self) -> Iterator[str]:
        return iter(self._features)

    def __len__(self) -> int:
        return len(self._features)

    def feature_for(self, dialled: str | None) -> Feature:
        if dialled is None:
            return self._fallback
        exact = self._features.get(dialled)
        if exact is not None:
            return exact
        for pattern, feature in self._patterns:
            if pattern.fullmatch(dialled):
                return feature
        return self._fallback
