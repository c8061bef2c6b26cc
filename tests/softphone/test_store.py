"""HistoryStore on real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.store import (
    _MIGRATIONS,
    SCHEMA_VERSION,
    HistoryStore,
    SchemaTooNew,
    default_history_path,
    search_key,
)

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path / "h.sqlite3", clock=Clock()) as s:
        yield s


def test_wal_and_schema_version(store: HistoryStore) -> None:
    assert store.journal_mode == "wal"
    assert store.schema_version == SCHEMA_VERSION == 2


def test_call_lifecycle_and_dispositions(store: HistoryStore) -> None:
    answered = store.add_call("acc1", "incoming", "sip:102@demo.local", "Trần Thị Bình")
    store.call_answered(answered)
    store.call_ended(answered)
    missed = store.add_call("acc1", "incoming", "sip:0912345678@demo.local")
    store.call_ended(missed)
    declined = store.add_call("acc1", "incoming", "sip:103@demo.local")
    store.call_ended(declined, "declined")
    out = store.add_call("acc1", "outgoing", "sip:0987654321@demo.local", hotline="02873001234")
    store.call_ended(out)

    rec = store.call(answered)
    assert rec is not None and rec.disposition == "answered" and rec.duration == pytest.approx(1.0)
    assert store.call(missed).disposition == "missed"  # type: ignore[union-attr]
    assert store.call(declined).disposition == "declined"  # type: ignore[union-attr]
    outgoing = store.call(out)
    assert outgoing is not None and outgoing.disposition == "no_answer" and outgoing.hotline == "02873001234"
    assert outgoing.duration == 0.0
    with pytest.raises(KeyError):
        store.call_ended(999)

    assert [c.id for c in store.calls()] == [out, declined, missed, answered]  # newest first
    assert [c.id for c in store.calls("missed")] == [missed]
    assert [c.id for c in store.calls("incoming")] == [declined, missed, answered]
    assert [c.id for c in store.calls("outgoing")] == [out]
    assert store.missed_count() == 1
    assert len(store.calls(limit=2)) == 2 and store.calls(limit=2, offset=3)[0].id == answered
    with pytest.raises(ValueError):
        store.calls("weird")  # type: ignore[arg-type]


def test_search_ignores_case_and_vietnamese_diacritics(store: HistoryStore) -> None:
    a = store.add_call("acc1", "incoming", "sip:101@demo.local", "Nguyễn Văn An")
    b = store.add_call("acc1", "outgoing", "sip:0912345678@demo.local", "Đỗ Minh Đức")
    c = store.add_call("acc2", "outgoing", "sip:100%_x@demo.local", "")
    assert [r.id for r in store.calls(search="nguyen")] == [a]
    assert [r.id for r in store.calls(search="NGUYỄN văn")] == [a]
    assert [r.id for r in store.calls(search="duc")] == [b]
    assert [r.id for r in store.calls(search="0912")] == [b]
    assert [r.id for r in store.calls(search="%_")] == [c]  # LIKE wildcards are literal
    assert store.calls(search="zzz") == []
    assert [r.id for r in store.calls(account_id="acc2")] == [c]
    assert search_key("Đặng Thị Ánh") == "dang thi anh"


def test_recording_path_and_delete(store: HistoryStore) -> None:
    call = store.add_call("acc1", "incoming", "sip:101@demo.local")
    store.set_recording(call, "/tmp/rec.wav")
    assert store.call(call).recording_path == "/tmp/rec.wav"  # type: ignore[union-attr]
    store.delete_call(call)
    assert store.call(call) is None
    store.add_call("acc1", "incoming", "sip:101@demo.local")
    store.clear_calls()
    assert store.calls() == []


def test_conversations_unread_and_status(store: HistoryStore) -> None:
    store.add_message("acc1", "sip:102@demo.local", "incoming", "Chào anh")
    store.add_message("acc1", "sip:102@demo.local", "incoming", "Anh rảnh không?")
    store.add_message("acc1", "sip:103@demo.local", "outgoing", "ok", message_id="m-1")
    store.add_message("acc2", "sip:102@demo.local", "incoming", "other account")

    convs = store.conversations("acc1")
    assert [(c.peer_uri, c.unread, c.last_text) for c in convs] == [
        ("sip:103@demo.local", 0, "ok"),
        ("sip:102@demo.local", 2, "Anh rảnh không?"),
    ]
    assert store.unread_total() == 3 and store.unread_total("acc1") == 2
    assert store.mark_read("acc1", "sip:102@demo.local") == 2
    assert store.unread_total("acc1") == 0
    assert [c.peer_uri for c in store.conversations(search="103")] == ["sip:103@demo.local"]

    msgs = store.messages("acc1", "sip:102@demo.local")
    assert [m.text for m in msgs] == ["Chào anh", "Anh rảnh không?"]  # oldest first
    assert all(m.read and m.status == "received" for m in msgs)
    assert [m.text for m in store.messages("acc1", "sip:102@demo.local", limit=1)] == ["Anh rảnh không?"]
    assert [m.text for m in store.messages("acc1", "sip:102@demo.local", before=msgs[1].date)] == ["Chào anh"]

    (sent,) = store.messages("acc1", "sip:103@demo.local")
    assert sent.status == "pending" and sent.read
    assert store.set_message_status("m-1", "delivered")
    assert store.messages("acc1", "sip:103@demo.local")[0].status == "delivered"
    assert not store.set_message_status("unknown", "failed")
    store.delete_conversation("acc1", "sip:103@demo.local")
    assert [c.peer_uri for c in store.conversations("acc1")] == ["sip:102@demo.local"]


def test_data_survives_reopen_and_old_schema_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[0])
    db.execute(
        "INSERT INTO calls (account_id, direction, remote_uri, start, search_key)"
        " VALUES ('a', 'incoming', 'sip:1@x', 5, 'sip:1@x')"
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with HistoryStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        (call,) = store.calls()
        assert call.remote_uri == "sip:1@x" and call.hotline is None
    with HistoryStore(path) as store:
        assert len(store.calls()) == 1


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(SchemaTooNew):
        HistoryStore(path)


def test_concurrent_writers(store: HistoryStore) -> None:
    def worker(n: int) -> None:
        for i in range(50):
            call = store.add_call(f"acc{n}", "outgoing", f"sip:{i}@x")
            store.call_ended(call)
            store.add_message(f"acc{n}", "sip:peer@x", "incoming", str(i))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(store.calls(limit=1000)) == 200
    assert store.unread_total() == 200


def test_default_path_is_under_the_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_history_path() == tmp_path / "xdg" / "softphone" / "history.sqlite3"
    with HistoryStore() as store:
        assert store.path.is_file()
