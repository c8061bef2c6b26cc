"""SQLite for SQLAlchemy's asyncio engine with one thread hop per statement instead of four.

aiosqlite runs every sqlite3 call on the connection's own thread, and SQLAlchemy's adapter makes four such
calls per statement (open a cursor, execute, fetch all, close).  Each hop costs ~60 µs of CPU (a queue, a
thread wake-up, `call_soon_threadsafe`) while SQLite itself answers our indexed lookups in ~1 µs; on the
activation endpoint the hops were a third of the server's CPU.  The cursor below does the four steps in one
function on aiosqlite's thread and hands SQLAlchemy the rows, description, rowcount and lastrowid.

It plugs in through `create_async_engine(..., module=onehop_dbapi())`, SQLAlchemy's documented way to give a
dialect another DBAPI module; the dialect, pool, transactions and isolation handling stay SQLAlchemy's.  It
relies on the adapter classes of SQLAlchemy 2.1 and on aiosqlite's `Connection._execute` (run a function on
the connection's thread), both pinned in pyproject.toml.  Server-side (streaming) cursors keep aiosqlite's.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a finished sqlite3 cursor leaves behind; stands in for the cursor SQLAlchemy reads it from."""

    description: Any = None
    rowcount: int = -1
    lastrowid: int | None = None
    arraysize: int = 1

    def close(self) -> None:
        """Nothing to release: the sqlite3 cursor was closed on the connection's thread."""


def _run(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[_Outcome, list[Any], bool]:
    """On aiosqlite's thread: execute, fetch everything, close; and whether a transaction is now open."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        outcome = _Outcome(cursor.description, cursor.rowcount, cursor.lastrowid, cursor.arraysize)
        return outcome, rows, conn.in_transaction
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # Not the base __init__: it opens an aiosqlite cursor (a hop) that we never use.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Outcome()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._hop(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        await self._hop(operation, seq_of_parameters, many=True)

    async def _hop(self, operation: Any, parameters: Any, *, many: bool) -> None:
        conn: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            try:
                outcome, rows, adapted.in_transaction = await conn._execute(
                    _run, conn._conn, operation, parameters, many
                )
            except BaseException:
                adapted.in_transaction = True  # unknown: let the next commit/rollback really run
                raise
        self._cursor = outcome  # type: ignore[assignment]
        self._rows = collections.deque(rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """Also skips the hop of a commit or rollback when no transaction is open: the pool rolls back every
    connection it takes back, and with sqlite3's transaction handling a read-only session never opened one."""

    __slots__ = ("in_transaction",)
    _cursor_cls = OneHopCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = True

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False

    def commit(self) -> None:
        if self.in_transaction:
            super().commit()
            self.in_transaction = False


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def onehop_dbapi() -> OneHopDbapi:
    """The `module=` argument for `create_async_engine` on a `sqlite+aiosqlite` URL."""
    return OneHopDbapi(aiosqlite, sqlite3)
