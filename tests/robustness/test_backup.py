"""``kiosk db backup DEST`` while a station posts, and restoring from it (SPEC §8
"online backup").

The backup uses SQLite's online backup API: it copies one consistent moment of the
database without stopping the poster, so the copy holds whole documents only (a
prefix of the batch being posted). Restoring is copying that file into place (with
the old WAL and shared-memory files removed); it opens, passes ``integrity_check``,
has its documents, and takes the next post.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time

from tests.functional.conftest import KIOSK
from tests.robustness.support import (
    batch,
    check_counters,
    check_whole,
    integrity,
    jsonl,
    path_of,
)

BATCH = 240


def documents(path) -> list[str]:
    with sqlite3.connect(path) as con:
        notes = [n for (n,) in con.execute("SELECT note FROM document ORDER BY id")]
    con.close()
    return notes


def test_a_backup_taken_while_posting_holds_whole_documents_and_restores(kiosk, tmp_path):
    live = path_of(kiosk.db_url)
    docs = batch("B", BATCH)
    expected = {d["note"]: d for d in docs}
    (tmp_path / "batch.jsonl").write_text(jsonl(docs))
    poster = subprocess.Popen([KIOSK, "--db", kiosk.db_url, "--json", "doc", "post", str(tmp_path / "batch.jsonl")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=kiosk.env)
    try:
        deadline = time.monotonic() + 30
        while len(documents(live)) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        copy = tmp_path / "backups" / "station.db"
        assert kiosk.ok("db", "backup", str(copy)) == {"backup": str(copy)}
        assert poster.poll() is None, "the poster had finished: the backup did not run beside it"
    finally:
        out, err = poster.communicate(timeout=120)
    assert poster.returncode == 0, err
    assert len(json.loads(out)["posted"]) == BATCH

    assert integrity(copy) == "ok"
    taken = documents(copy)
    assert 10 <= len(taken) < BATCH
    assert taken == [d["note"] for d in docs[: len(taken)]]  # one consistent moment of the batch
    assert check_whole(copy, expected) == len(taken)
    check_counters(copy)

    # restore: the station is stopped, the backup copied into place
    for leftover in (live, live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(copy, live)
    listed = kiosk.ok("doc", "list", "--limit", "1000")["results"]
    assert len(listed) == len(taken)
    last = kiosk.ok("doc", "show", listed[0]["number"])
    assert last["note"] == taken[-1] and last["lines"][0]["serials"] == expected[taken[-1]]["lines"][0]["serials"]
    assert kiosk.post({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": ["RESTORED-1"]}]}).status == 0
    assert integrity(live) == "ok"
    check_counters(live)


def test_a_backup_never_overwrites_a_file(kiosk, tmp_path):
    existing = tmp_path / "old.db"
    existing.write_bytes(b"yesterday")
    result = kiosk.refused("db", "backup", str(existing), code="bad_request")
    assert "exists" in result.error["message"]
    assert existing.read_bytes() == b"yesterday"


def test_postgresql_backup_points_to_pg_dump(pg_url, kiosk):
    result = kiosk.refused("db", "backup", "/tmp/never.db", code="bad_request", db=pg_url)
    assert "pg_dump" in result.error["message"]
