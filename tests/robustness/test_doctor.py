"""``kiosk doctor``: every check of a deployed station, what it says, and the fix.

Real files, a real loopback "printer" (a listening socket), a closed port for one that
is off, and ``KIOSK_INPUT_DIR`` for the scanners' ``/dev/input`` (no input devices
exist in the test machine; the one readable scanner is the test suite's fake evdev
device, patched in where python-evdev opens the node).
"""

from __future__ import annotations

import functools
import io
import json
import socket
import sqlite3
from argparse import Namespace

import pytest

from tests.pg import free_port
from tests.robustness.support import path_of, prepare

KEYS = {"name", "ok", "message", "fix"}


def checks(result) -> dict[str, dict]:
    rows = result.value["checks"]
    assert all(set(row) == KEYS for row in rows), rows
    assert all(row["ok"] == (row["fix"] is None) for row in rows), rows  # a fix for every failure, only then
    return {row["name"]: row for row in rows}


@pytest.fixture
def listening():
    """A TCP port that accepts connections, as a network printer's raw port does."""
    server = socket.create_server(("127.0.0.1", 0))
    yield server.getsockname()[1]
    server.close()


def config(tmp_path, text: str) -> dict:
    path = tmp_path / "station.toml"
    path.write_text('[station]\nname = "dock-1"\nwarehouse = "MAIN"\n' + text)
    return {"KIOSK_CONFIG": str(path), "KIOSK_LOG_DIR": str(tmp_path / "logs"), "KIOSK_INPUT_DIR": str(tmp_path / "input")}


def test_a_healthy_station_passes_every_check(kiosk, tmp_path, listening):
    env = config(tmp_path, f'[[printers]]\nname = "labels"\nkind = "network"\nhost = "127.0.0.1"\nport = {listening}\nquery_status = false\n'
                 f'[[printers]]\nname = "receipts"\nkind = "file"\nrole = "receipts"\npath = "{tmp_path / "receipts.bin"}"\n')
    found = checks(kiosk("doctor", env=env))
    assert set(found) == {"config", "database", "schema", "database integrity", "database file writable",
                          "log directory writable", "scanners", "printer labels", "printer receipts"}
    assert all(row["ok"] for row in found.values()), found
    assert found["database integrity"]["message"] == "PRAGMA integrity_check: ok"
    assert "station.toml" in found["config"]["message"]
    readable = kiosk("doctor", json_out=False, env=env)
    assert readable.status == 0 and readable.out.rstrip().endswith("all checks passed") and readable.err == ""


def test_a_broken_station_is_exit_1_with_a_fix_for_each_fault(kiosk, tmp_path):
    (tmp_path / "input").mkdir()
    env = config(tmp_path, '[[scanners]]\nname = "dock scanner"\nmatch = "ffff:0035"\n'
                 f'[[printers]]\nname = "labels"\nkind = "network"\nhost = "127.0.0.1"\nport = {free_port()}\ntimeout = 1\n')
    (tmp_path / "logs").write_text("a file where the log directory should be")
    result = kiosk("doctor", env=env)
    assert result.status == 1
    found = checks(result)
    failed = {name for name, row in found.items() if not row["ok"]}
    assert failed == {"scanner dock scanner", "printer labels", "log directory writable"}, found
    assert "ffff:0035" in found["scanner dock scanner"]["message"] and "kiosk scanners list" in found["scanner dock scanner"]["fix"]
    assert "KIOSK_LOG_DIR" in found["log directory writable"]["fix"]
    assert "refused" in found["printer labels"]["message"].lower() and "--retry" in found["printer labels"]["fix"]
    readable = kiosk("doctor", json_out=False, env=env)
    assert readable.status == 1 and "FAIL  printer labels" in readable.out and "      fix: " in readable.out
    assert readable.out.rstrip().endswith("3 of 8 checks failed")


def test_a_node_that_cannot_be_read_is_named(kiosk, tmp_path):
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "event3").write_text("no device")  # opening it as evdev fails
    env = config(tmp_path, f'[[scanners]]\nname = "dock scanner"\nmatch = "{tmp_path / "input" / "event*"}"\n')
    found = checks(kiosk("doctor", env=env))
    row = found["scanner dock scanner"]
    assert not row["ok"] and "event3" in row["message"] and "99-kiosk-scanners.rules" in row["fix"]


def test_a_readable_scanner_passes(monkeypatch, tmp_path, sqlite_url):
    from kiosk.cli import doctor_cmds
    from kiosk.cli.context import Context
    from kiosk.hardware import scanners
    from kiosk.model import db as kdb
    from tests.unit.test_scanners import FakeInputDevice

    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "event7").write_text("")
    for key, value in config(tmp_path, '[[scanners]]\nname = "dock scanner"\nmatch = "ffff:0035"\n').items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(scanners, "list_candidates", functools.partial(scanners.list_candidates, open_device=FakeInputDevice))
    prepare(sqlite_url)
    out = io.StringIO()
    try:
        assert doctor_cmds.doctor(Context(json=True, db_url=sqlite_url, out=out), Namespace()) == 0
    finally:
        kdb.close()
    found = {row["name"]: row for row in json.loads(out.getvalue())["checks"]}
    assert found["scanner dock scanner"]["ok"] and "ffff:0035" in found["scanner dock scanner"]["message"]


def test_a_schema_behind_the_code_is_reported_and_not_migrated(kiosk, tmp_path):
    path = path_of(kiosk.db_url)
    with sqlite3.connect(path) as con:
        [(last,)] = con.execute("SELECT name FROM schema_migration ORDER BY id DESC LIMIT 1").fetchall()
        con.execute("DELETE FROM schema_migration WHERE name = ?", (last,))
    con.close()
    result = kiosk("doctor", env=config(tmp_path, ""))
    row = checks(result)["schema"]
    assert result.status == 1 and not row["ok"] and last in row["message"] and row["fix"] == "run: kiosk db migrate"
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM schema_migration WHERE name = ?", (last,)).fetchone() == (0,)
    con.close()


def test_a_damaged_database_file_fails_the_integrity_check(kiosk, tmp_path):
    path = path_of(kiosk.db_url)
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("CREATE TABLE filler (x)")
        con.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 200)
        con.commit()
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = con.execute("PRAGMA page_size").fetchone()[0]
        pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.close()
    with open(path, "r+b") as raw:  # scribble over the middle of the last pages (not the header)
        for n in range(pages - 20, pages - 1):
            raw.seek(n * page + 16)
            raw.write(b"\xde\xad\xbe\xef" * 64)
    result = kiosk("doctor", env=config(tmp_path, ""))
    assert result.status == 1
    bad = [row for row in checks(result).values() if not row["ok"]]
    assert [row["name"] for row in bad] in (["database integrity"], ["database"]), bad
    assert "backup" in bad[0]["fix"]


def test_an_unreachable_postgresql_is_a_failed_check_without_the_password(kiosk, tmp_path):
    url = f"postgresql://kiosk:s3cret@127.0.0.1:{free_port()}/kiosk"
    result = kiosk("doctor", db=url, env=config(tmp_path, ""))
    assert result.status == 1 and "s3cret" not in result.out
    row = checks(result)["database"]
    assert not row["ok"] and "PostgreSQL" in row["fix"]
    assert "database file writable" not in checks(result) and "schema" not in checks(result)


def test_postgresql_passes_without_a_file_check(kiosk, tmp_path, pg_url):
    kiosk.ok("warehouse", "list", db=pg_url)
    found = checks(kiosk("doctor", db=pg_url, env=config(tmp_path, "")))
    assert all(row["ok"] for row in found.values()), found
    assert "database integrity" not in found and "database file writable" not in found
