"""Call and chat history in SQLite (WAL) under the user's data directory.

Schema changes are ordered migrations keyed by ``PRAGMA user_version``; a database written by a newer app is
refused (``SchemaTooNew``) rather than silently misread. Searches match names and numbers without regard to
case or Vietnamese diacritics ("nguyen" finds "Nguyễn"), through a normalised ``search_key`` column.

One ``HistoryStore`` may be used from several threads (UI and engine event handlers): every statement runs
under one lock on one connection.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs

CallDirection = Literal["incoming", "outgoing"]
CallFilter = Literal["all", "missed", "incoming", "outgoing"]
# answered: talked; missed: incoming never answered; declined: we refused (486/603/DND);
# cancelled: we hung up before an answer; no_answer / busy / failed: outgoing outcomes.
Disposition = Literal["answered", "missed", "declined", "cancelled", "no_answer", "busy", "failed", "active"]
ChatDirection = Literal["incoming", "outgoing"]
ChatStatus = Literal["pending", "sent", "delivered", "failed", "received"]

_MIGRATIONS: tuple[str, ...] = (
    # 1: calls and chats
    """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
        remote_uri TEXT NOT NULL,
        remote_name TEXT NOT NULL DEFAULT '',
        start REAL NOT NULL,
        answer REAL,
        "end" REAL,
        disposition TEXT NOT NULL DEFAULT 'active',
        recording_path TEXT,
        search_key TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX calls_start ON calls (start DESC);
    CREATE TABLE chats (
        id INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL,
        peer_uri TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
        text TEXT NOT NULL,
        date REAL NOT NULL,
        status TEXT NOT NULL,
        message_id TEXT,
        read INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX chats_conversation ON chats (account_id, peer_uri, date);
    CREATE INDEX chats_message_id ON chats (message_id);
    """,
    # 2: the hotline (caller-ID number) an outgoing call used, shown in history
    """
    ALTER TABLE calls ADD COLUMN hotline TEXT;
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The history database was written by a newer version of the app."""


@dataclass(frozen=True, slots=True)
class CallRecord:
    id: int
    account_id: str
    direction: CallDirection
    remote_uri: str
    remote_name: str
    start: float
    answer: float | None
    end: float | None
    disposition: str
    recording_path: str | None
    hotline: str | None

    @property
    def duration(self) -> float:
        """Talk time in seconds (0 for unanswered or still-running calls)."""
        if self.answer is None or self.end is None:
            return 0.0
        return max(0.0, self.end - self.answer)


@dataclass(frozen=True, slots=True)
class ChatMessage:
    id: int
    account_id: str
    peer_uri: str
    direction: ChatDirection
    text: str
    date: float
    status: str
    message_id: str | None
    read: bool


@dataclass(frozen=True, slots=True)
class Conversation:
    account_id: str
    peer_uri: str
    last_text: str
    last_date: float
    last_direction: ChatDirection
    unread: int


def default_history_path() -> Path:
    return platformdirs.user_data_path("softphone", appauthor=False) / "history.sqlite3"


def search_key(*parts: str) -> str:
    """Casefolded text with diacritics removed (Vietnamese đ -> d), for accent-insensitive search."""
    text = " ".join(parts).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _like_pattern(query: str) -> str:
    escaped = search_key(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class HistoryStore:
    def __init__(self, path: Path | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path if path is not None else default_history_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"{self.path} has schema {version}; this app understands up to {SCHEMA_VERSION}"
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ calls

    def add_call(
        self,
        account_id: str,
        direction: CallDirection,
        remote_uri: str,
        remote_name: str = "",
        *,
        start: float | None = None,
        hotline: str | None = None,
    ) -> int:
        """Record a call that just started (ringing or dialling); returns its history id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO calls"
                " (account_id, direction, remote_uri, remote_name, start, hotline, search_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    account_id,
                    direction,
                    remote_uri,
                    remote_name,
                    self._clock() if start is None else start,
                    hotline,
                    search_key(remote_uri, remote_name),
                ),
            )
            return int(cur.lastrowid or 0)

    def call_answered(self, call: int, at: float | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE calls SET answer = ?, disposition = 'answered' WHERE id = ? AND answer IS NULL",
                (self._clock() if at is None else at, call),
            )

    def call_ended(self, call: int, disposition: Disposition | None = None, at: float | None = None) -> None:
        """Close the record. Default disposition: answered if it was, else missed/no_answer by direction."""
        with self._tx() as db:
            row = db.execute("SELECT direction, answer FROM calls WHERE id = ?", (call,)).fetchone()
            if row is None:
                raise KeyError(call)
            if disposition is None:
                if row["answer"] is not None:
                    disposition = "answered"
                else:
                    disposition = "missed" if row["direction"] == "incoming" else "no_answer"
            db.execute(
                'UPDATE calls SET "end" = ?, disposition = ? WHERE id = ?',
                (self._clock() if at is None else at, disposition, call),
            )

    def set_recording(self, call: int, path: str | None) -> None:
        with self._tx() as db:
            db.execute("UPDATE calls SET recording_path = ? WHERE id = ?", (path, call))

    def call(self, call: int) -> CallRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_CALL_COLUMNS} FROM calls WHERE id = ?", (call,)).fetchone()
        return _call(row) if row is not None else None

    def calls(
        self,
        filter: CallFilter = "all",
        search: str = "",
        *,
        account_id: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[CallRecord]:
        """Newest first. ``search`` matches number/URI and name, ignoring case and diacritics."""
        where: list[str] = []
        args: list[object] = []
        if filter == "missed":
            where.append("direction = 'incoming' AND disposition = 'missed'")
        elif filter in ("incoming", "outgoing"):
            where.append("direction = ?")
            args.append(filter)
        elif filter != "all":
            raise ValueError(f"unknown call filter {filter!r}")
        if search.strip():
            where.append("search_key LIKE ? ESCAPE '\\'")
            args.append(_like_pattern(search.strip()))
        if account_id is not None:
            where.append("account_id = ?")
            args.append(account_id)
        sql = f"SELECT {_CALL_COLUMNS} FROM calls"
        if where:
            sql += " WHERE " + " AND ".join(f"({w})" for w in where)
        sql += " ORDER BY start DESC, id DESC LIMIT ? OFFSET ?"
        args += [limit, offset]
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_call(r) for r in rows]

    def missed_count(self, since: float = 0.0) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM calls WHERE direction = 'incoming' AND disposition = 'missed'"
                " AND start >= ?",
                (since,),
            ).fetchone()
        return int(row[0])

    def delete_call(self, call: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM calls WHERE id = ?", (call,))

    def clear_calls(self) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM calls")

    # ------------------------------------------------------------------ chats

    def add_message(
        self,
        account_id: str,
        peer_uri: str,
        direction: ChatDirection,
        text: str,
        *,
        date: float | None = None,
        status: ChatStatus | None = None,
        message_id: str | None = None,
    ) -> int:
        """Store a message. Outgoing ones start 'pending' and read; incoming ones 'received' and unread."""
        if status is None:
            status = "received" if direction == "incoming" else "pending"
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO chats (account_id, peer_uri, direction, text, date, status, message_id, read)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account_id,
                    peer_uri,
                    direction,
                    text,
                    self._clock() if date is None else date,
                    status,
                    message_id,
                    0 if direction == "incoming" else 1,
                ),
            )
            return int(cur.lastrowid or 0)

    def set_message_status(self, message_id: str, status: ChatStatus) -> bool:
        """Update by the engine's message id (MessageStatus event); False if unknown."""
        with self._tx() as db:
            cur = db.execute("UPDATE chats SET status = ? WHERE message_id = ?", (status, message_id))
            return cur.rowcount > 0

    def messages(
        self, account_id: str, peer_uri: str, *, limit: int = 200, before: float | None = None
    ) -> list[ChatMessage]:
        """The last ``limit`` messages of a conversation (before ``before``), oldest first."""
        sql = f"SELECT {_CHAT_COLUMNS} FROM chats WHERE account_id = ? AND peer_uri = ?"
        args: list[object] = [account_id, peer_uri]
        if before is not None:
            sql += " AND date < ?"
            args.append(before)
        sql += " ORDER BY date DESC, id DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_chat(r) for r in reversed(rows)]

    def conversations(self, account_id: str | None = None, search: str = "") -> list[Conversation]:
        """One entry per (account, peer), most recent first, with the unread count."""
        sql = """
            SELECT c.account_id, c.peer_uri, c.text, c.date, c.direction,
                   (SELECT COUNT(*) FROM chats u WHERE u.account_id = c.account_id AND u.peer_uri = c.peer_uri
                      AND u.read = 0) AS unread
            FROM chats c
            WHERE c.id = (SELECT l.id FROM chats l
                          WHERE l.account_id = c.account_id AND l.peer_uri = c.peer_uri
                          ORDER BY l.date DESC, l.id DESC LIMIT 1)
        """
        args: list[object] = []
        if account_id is not None:
            sql += " AND c.account_id = ?"
            args.append(account_id)
        sql += " ORDER BY c.date DESC, c.id DESC"
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        result = [Conversation(r[0], r[1], r[2], r[3], r[4], int(r[5])) for r in rows]
        if search.strip():
            key = search_key(search.strip())
            result = [c for c in result if key in search_key(c.peer_uri)]
        return result

    def mark_read(self, account_id: str, peer_uri: str) -> int:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE chats SET read = 1 WHERE account_id = ? AND peer_uri = ? AND read = 0",
                (account_id, peer_uri),
            )
            return cur.rowcount

    def unread_total(self, account_id: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM chats WHERE read = 0"
        args: list[object] = []
        if account_id is not None:
            sql += " AND account_id = ?"
            args.append(account_id)
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    def delete_conversation(self, account_id: str, peer_uri: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM chats WHERE account_id = ? AND peer_uri = ?", (account_id, peer_uri))


_CALL_COLUMNS = (
    'id, account_id, direction, remote_uri, remote_name, start, answer, "end", disposition, recording_path,'
    " hotline"
)
_CHAT_COLUMNS = "id, account_id, peer_uri, direction, text, date, status, message_id, read"


def _call(row: sqlite3.Row) -> CallRecord:
    return CallRecord(
        id=row[0],
        account_id=row[1],
        direction=row[2],
        remote_uri=row[3],
        remote_name=row[4],
        start=row[5],
        answer=row[6],
        end=row[7],
        disposition=row[8],
        recording_path=row[9],
        hotline=row[10],
    )


def _chat(row: sqlite3.Row) -> ChatMessage:
    return ChatMessage(
        id=row[0],
        account_id=row[1],
        peer_uri=row[2],
        direction=row[3],
        text=row[4],
        date=row[5],
        status=row[6],
        message_id=row[7],
        read=bool(row[8]),
    )
