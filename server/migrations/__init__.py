"""Alembic migrations of the domain model, runnable from an installed package.

`upgrade(url)` / `downgrade(url, revision)` are synchronous (Alembic drives its own event loop in env.py);
call them before the server's loop starts, or through `asyncio.to_thread` from async code.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
