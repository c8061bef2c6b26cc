"""What support needs to see when an agent says "it does not work": versions, accounts and their
registration (never a password), audio devices and processing, and the app's recent log lines (Qt-free)."""

from __future__ import annotations

import collections
import logging
import platform
import sys
import time
from importlib import metadata

APP_NAME = "Softphone"


def version_of(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def app_version() -> str:
    return version_of("softphone")


def engine_version() -> str:
    """The SIP/media engine: pjsip through the pjsua2 wheel."""
    return f"pjsip (pjsua2-python {version_of('pjsua2-python')})"


class RecentLog(logging.Handler):
    """Keeps the last ``capacity`` log lines in memory for the diagnostics text."""

    def __init__(self, capacity: int = 300) -> None:
        super().__init__(logging.INFO)
        self.lines: collections.deque[str] = collections.deque(maxlen=capacity)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a log line that cannot be formatted must not break logging
            self.handleError(record)

    @classmethod
    def install(cls, logger: logging.Logger | None = None) -> RecentLog:
        target = logger or logging.getLogger()
        for h in target.handlers:
            if isinstance(h, cls):
                return h
        handler = cls()
        target.addHandler(handler)
        return handler


def diagnostics_text(sections: dict[str, list[str]], recent: RecentLog | None = None) -> str:
    """One plain-text report: a header, the given sections, then recent log lines."""
    head = [
        f"{APP_NAME} {app_version()} — {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
        f"System: {platform.platform()}; Python {sys.version.split()[0]}",
        f"Engine: {engine_version()}",
        f"Qt: PySide6 {version_of('PySide6-Essentials')}",
    ]
    out = [*head, ""]
    for title, lines in sections.items():
        out.append(f"[{title}]")
        out.extend(lines or ["(none)"])
        out.append("")
    if recent is not None:
        out.append("[recent log]")
        out.extend(recent.lines)
    return "\n".join(out)
