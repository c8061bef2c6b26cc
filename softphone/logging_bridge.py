"""Route pjsip's log output into Python ``logging`` (logger ``softphone.pjsip``)."""

from __future__ import annotations

import logging

import pjsua2 as pj

# pjsip levels: 0 fatal, 1 error, 2 warning, 3 info, 4 debug, 5 trace, 6 more trace.
_LEVELS = {0: logging.CRITICAL, 1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO}


def python_level(pj_level: int) -> int:
    return _LEVELS.get(pj_level, logging.DEBUG)


class PjLogWriter(pj.LogWriter):
    """A pjsua2 LogWriter forwarding each entry to a Python logger.

    pjsip may call ``write`` from any of its threads (the media clock thread included), which is fine for
    ``logging``. The instance must outlive ``libDestroy`` because teardown itself logs.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        super().__init__()
        self._logger = logger or logging.getLogger("softphone.pjsip")

    def write(self, entry: pj.LogEntry) -> None:
        level = python_level(entry.level)
        if self._logger.isEnabledFor(level):
            self._logger.log(level, "%s", entry.msg.rstrip())


def apply_log_config(ep_config: pj.EpConfig, writer: PjLogWriter, level: int) -> None:
    """Send pjsip logs at ``level`` and below to ``writer`` only (nothing to the console)."""
    log_cfg = ep_config.logConfig
    log_cfg.writer = writer
    log_cfg.level = level
    log_cfg.consoleLevel = level
    # Time and thread decorations come from Python logging; keep the sender name (THIS_FILE).
    log_cfg.decor = 0
    log_cfg.msgLogging = level >= 4
