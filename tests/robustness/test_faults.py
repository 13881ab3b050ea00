"""Faults a station meets unattended (issue "running unattended"): a database held by
another process, a full disk. Each ends in ``db_unavailable`` (exit 3), one clear
line, nothing half-written, and the next post works once the fault is gone.

(PostgreSQL unreachable at start is in tests/functional/test_cli_errors.py; printer
faults in tests/unit/test_print_queue.py; an unplugged scanner in tests/unit/test_scanners.py.)
"""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.functional.conftest import KIOSK
from tests.robustness.support import check_counters, integrity, path_of, post_works

SERIALS = [f"F{i:04d}" for i in range(1000)]
BIG = {"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": SERIALS}, {"sku": "CBL", "qty": 5}]}


def counts(path) -> tuple[int, int, int, int]:
    with sqlite3.connect(path) as con:
        found = tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("document", "doc_line", "serial", "movement"))
    con.close()
    return found


# ---------------------------------------------------------------- busy / locked


def test_a_database_locked_longer_than_the_busy_timeout_is_db_unavailable_after_bounded_retries(kiosk):
    path = path_of(kiosk.db_url)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        started = time.monotonic()
        result = kiosk.refused("doc", "post", "-", stdin=json.dumps(BIG), code="db_unavailable", env={"KIOSK_BUSY_TIMEOUT_MS": "100"})
        waited = time.monotonic() - started
        assert "busy" in result.error["message"] and "try again" in result.error["message"]
        readable = kiosk.refused("doc", "post", "-", stdin=json.dumps(BIG), code="db_unavailable", json_out=False, env={"KIOSK_BUSY_TIMEOUT_MS": "100"})
        assert "busy" in readable.err
    finally:
        holder.rollback()
        holder.close()
    assert 0.1 < waited < 15  # it waited for the lock, and gave up within a bound
    assert counts(path) == (0, 0, 0, 0)
    assert kiosk.post(BIG).status == 0  # the lock is gone: the same post goes through
    assert counts(path) == (1, 2, 1000, 1000)


def test_a_short_lock_is_waited_out(kiosk):
    """Within the busy timeout a locked database is no error: the post waits and goes through."""
    holder = sqlite3.connect(path_of(kiosk.db_url), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    proc = subprocess.Popen([KIOSK, "--db", kiosk.db_url, "--json", "doc", "post", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=kiosk.env | {"KIOSK_BUSY_TIMEOUT_MS": "5000"})
    proc.stdin.write(json.dumps(BIG).encode())
    proc.stdin.close()
    time.sleep(0.8)
    holder.rollback()
    holder.close()
    assert proc.wait(30) == 0, proc.stdout.read()
    assert json.loads(proc.stdout.read())["posted"][0]["number"] == "PUR-000001"


def test_a_busy_timeout_that_is_not_a_number_is_bad_config(kiosk):
    result = kiosk.refused("warehouse", "list", code="bad_config", env={"KIOSK_BUSY_TIMEOUT_MS": "soon"})
    assert "KIOSK_BUSY_TIMEOUT_MS" in result.error["message"]


# ---------------------------------------------------------------- disk full


def _checkpointed(path) -> int:
    """Fold the WAL into the file, so the next write starts the WAL afresh; the file's size."""
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return path.stat().st_size


def test_a_full_disk_refuses_the_post_whole_and_the_next_post_works(kiosk):
    """RLIMIT_FSIZE makes every write past 64 KiB fail as on a full disk (EFBIG; Python
    ignores SIGXFSZ), so the 1000-serial document cannot reach the WAL file."""
    path = path_of(kiosk.db_url)
    _checkpointed(path)
    before = counts(path)

    def full_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))

    proc = subprocess.run([KIOSK, "--db", kiosk.db_url, "--json", "doc", "post", "-"], input=json.dumps(BIG).encode(),
                          capture_output=True, env=kiosk.env, preexec_fn=full_disk, timeout=60)
    assert proc.returncode == 3 and proc.stderr == b"", proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "db_unavailable" and "disk is full" in error["message"], error
    assert "rollback" not in error["message"]  # the cause, not peewee's failed rollback after it
    assert integrity(path) == "ok"
    assert counts(path) == before
    check_counters(path)
    assert kiosk.post(BIG).status == 0  # space again: the same document posts
    assert counts(path) == (before[0] + 1, before[1] + 2, 1000, 1000)


STATION = """
import json, resource, sys
from kiosk.model import db
from kiosk.model.api import Ledger
from kiosk.model.errors import KioskError

db.connect(sys.argv[1])
ledger = Ledger(station="full", operator="tester")
doc = json.loads(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))
try:
    ledger.post(doc)
    print(json.dumps({"first": "posted"}))
except KioskError as exc:
    print(json.dumps({"first": exc.code, "message": exc.message}))
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
print(json.dumps({"second": ledger.post(doc)["number"]}))
"""


def test_a_station_whose_disk_filled_posts_again_in_the_same_process_once_space_frees(kiosk):
    path = path_of(kiosk.db_url)
    _checkpointed(path)
    proc = subprocess.run([sys.executable, "-c", STATION, kiosk.db_url, json.dumps(BIG)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    first, second = map(json.loads, proc.stdout.splitlines())
    assert first["first"] == "db_unavailable" and "disk is full" in first["message"], first
    assert second == {"second": "PUR-000001"}
    assert integrity(path) == "ok"
    check_counters(path)


def test_max_page_count_reached_is_a_clear_refusal_with_nothing_written(sqlite_url):
    """The same refusal when SQLite itself runs out of pages (PRAGMA max_page_count)."""
    from kiosk.model import db as kdb
    from kiosk.model.api import Ledger
    from kiosk.model.errors import KioskError
    from tests.robustness.support import prepare

    prepare(sqlite_url)
    database = kdb.connect(sqlite_url)
    try:
        pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
        database.execute_sql(f"PRAGMA max_page_count = {pages + 2}")
        ledger = Ledger(station="full", operator="tester")
        with pytest.raises(KioskError) as caught:
            ledger.post(BIG)
        refused = caught.value
        assert refused.code == "db_unavailable" and "disk is full" in refused.message and "free space" in refused.message
        assert refused.exit_status == 3
        database.execute_sql("PRAGMA max_page_count = 1073741823")
    finally:
        kdb.close()
    path = path_of(sqlite_url)
    assert counts(path) == (0, 0, 0, 0)
    post_works(sqlite_url, ["AFTER-1", "AFTER-2"])
    check_counters(path)


# ---------------------------------------------------------------- PostgreSQL unreachable


def test_the_station_on_an_unreachable_postgresql_exits_3_in_one_line_before_the_screen(kiosk):
    from tests.pg import free_port

    url = f"postgresql://kiosk@127.0.0.1:{free_port()}/kiosk"
    result = kiosk.refused("run", code="db_unavailable", json_out=False, db=url, timeout=30)
    assert result.out == "" and "unavailable" in result.err
