"""Call history: the recordings of ticked calls as one zip, in chromium against the real demo server; another
company's call is never in it, and nothing ticked says so."""

from __future__ import annotations

import io
import sqlite3
import time
import zipfile

import pytest

from tests.server.web.conftest import shot, sign_in

pytestmark = [pytest.mark.web, pytest.mark.integration]


INSERT = (
    "INSERT INTO call_records (call_id, company_id, domain, caller, callee, direction, start, answer,"
    " \"end\", disposition, recording) VALUES (:cid, :co, 'demo.local', :caller, '101', 'inbound',"
    " :t, :t + 5, :t + 50, 'completed', :wav)"
)


def _seed(server) -> dict[str, bytes]:
    """Two recorded calls of the demo company and one of another company, each with its WAV."""
    folder = server.data_dir / "recordings"
    folder.mkdir(exist_ok=True)
    db = sqlite3.connect(server.data_dir / "softphone.db")
    wavs: dict[str, bytes] = {}
    try:
        (demo,) = db.execute("SELECT id FROM companies WHERE sip_domain = 'demo.local'").fetchone()
        other = db.execute("SELECT id FROM companies WHERE id != ?", (demo,)).fetchone()
        if other is None:
            db.execute(
                "INSERT INTO companies (name, sip_domain, invite_code, created_at)"
                " VALUES ('Other', 'other.zip', 'zipcode123', CURRENT_TIMESTAMP)"
            )
            (other,) = db.execute("SELECT id FROM companies WHERE sip_domain = 'other.zip'").fetchone()
        else:
            (other,) = other
        now = time.time()
        for n, company in ((1, demo), (2, demo), (3, other)):
            name = f"zip-{n}.wav"
            wavs[name] = b"RIFF" + bytes([n]) * 2000
            (folder / name).write_bytes(wavs[name])
            start = now - 900 + n * 60
            db.execute(
                INSERT,
                {"cid": f"zip-call-{n}", "co": company, "caller": f"090300000{n}", "t": start, "wav": name},
            )
        db.commit()
        rows = db.execute("SELECT id FROM call_records WHERE call_id LIKE 'zip-call-%' ORDER BY id")
        ids = [r[0] for r in rows]
    finally:
        db.close()
    wavs["ids"] = ",".join(map(str, ids)).encode()
    return wavs


def test_ticked_recordings_download_as_one_zip(console_server, page) -> None:
    wavs = _seed(console_server)
    first, second, foreign = (int(i) for i in wavs["ids"].decode().split(","))
    sign_in(page, console_server, lang="en")
    page.goto(f"{console_server.url}/console/calls")
    assert page.locator(f"#z-{foreign}").count() == 0  # another company's call is not listed at all
    page.click("text=Download ticked recordings (zip)")  # nothing ticked: said, nothing downloaded
    assert page.locator(".flash").inner_text() == "Tick the calls whose recordings you want."
    page.check(f"#z-{first}")
    page.check(f"#z-{second}")
    shot(page, "calls_zip_ticked_en")
    with page.expect_download() as info:
        page.click("text=Download ticked recordings (zip)")
    download = info.value
    assert download.suggested_filename == "recordings-2.zip"
    with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as z:
        names = sorted(z.namelist())
        assert len(names) == 2 and all(n.endswith((f"_{first}.wav", f"_{second}.wav")) for n in names), names
        assert "_0903000001_101_" in names[0] and z.read(names[0]) == wavs["zip-1.wav"]
        assert z.read(names[1]) == wavs["zip-2.wav"]

    # a hand-made URL with another company's id gets nothing of it
    r = page.request.get(f"{console_server.url}/console/calls/recordings.zip?id={foreign}")
    assert r.status == 404
    r = page.request.get(f"{console_server.url}/console/calls/recordings.zip?id={first}&id={foreign}")
    with zipfile.ZipFile(io.BytesIO(r.body())) as z:
        assert len(z.namelist()) == 1 and z.namelist()[0].endswith(f"_{first}.wav")

    sign_in(page, console_server, lang="vi")
    page.goto(f"{console_server.url}/console/calls")
    assert page.locator("text=Tải các bản ghi âm đã chọn (zip)").count() == 1
    shot(page, "calls_zip_vi")
