"""The one error the engine raises for a refused command (bad call id, pjsua2 failure...)."""

from __future__ import annotations


class EngineError(RuntimeError):
    pass
