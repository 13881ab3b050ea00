"""The command line as its users meet it: the installed ``kiosk`` script in a subprocess.

``kiosk`` runs the real console script on a real SQLite file, with the user's config
and data directories moved into ``tmp_path`` so no test reads or writes the real
ones. Every call checks what holds for every command: no traceback on stderr, and
with ``--json`` exactly one JSON value on stdout.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.model import db as kdb
from kiosk.model.api import Ledger
from kiosk.model.catalog import ItemSpec

KIOSK = str(Path(sys.executable).with_name("kiosk"))
SPEC_DOC_KEYS = {"number", "type", "status", "warehouse", "to_warehouse", "partner", "posted_at", "lines"}
ISO_UTC = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)"


@dataclass
class Result:
    status: int
    out: str
    err: str
    value: object = None  # the JSON value printed with --json

    @property
    def error(self) -> dict:
        assert isinstance(self.value, dict) and "error" in self.value, self.out
        return self.value["error"]


class Kiosk:
    """``kiosk [--db URL] [--json] ARGS…`` in a subprocess, with the checks every call shares."""

    def __init__(self, db_url: str | None, home: Path, pycache: Path) -> None:
        self.db_url = db_url
        self.home = home
        hidden = ("KIOSK_DB", "KIOSK_CONFIG", "PYTHONDONTWRITEBYTECODE")
        self.env = {key: value for key, value in os.environ.items() if key not in hidden} | {
            "PYTHONPYCACHEPREFIX": str(pycache),  # compiled once per session, outside the work tree
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_STATE_HOME": str(home / "state"),
            "PYTHONWARNINGS": "ignore",
        }

    def __call__(
        self,
        *args: str,
        json_out: bool = True,
        stdin: str | bytes | None = None,
        db: str | None = "default",
        env: dict | None = None,
        timeout: float = 60,
    ) -> Result:
        url = self.db_url if db == "default" else db
        argv = [KIOSK, *(["--db", url] if url else []), *(["--json"] if json_out else []), *args]
        data = stdin.encode() if isinstance(stdin, str) else stdin
        proc = subprocess.run(
            argv, input=data, capture_output=True, env=self.env | (env or {}), cwd=self.home, timeout=timeout
        )
        out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
        assert "Traceback" not in err and "Traceback" not in out, err
        result = Result(proc.returncode, out, err)
        if json_out and "--help" not in args:
            result.value = json.loads(out)  # exactly one JSON value, nothing else
            assert err == "", err
        return result

    def ok(self, *args: str, **kwargs) -> object:
        """A command that must succeed; its JSON value."""
        result = self(*args, **kwargs)
        assert result.status == 0, (result.out, result.err)
        return result.value

    def post(self, *documents: dict, **kwargs) -> Result:
        """``doc post -`` with the documents as JSON Lines on stdin."""
        return self("doc", "post", "-", stdin="\n".join(json.dumps(d) for d in documents), **kwargs)

    def refused(self, *args: str, code: str, status: int | None = None, **kwargs) -> Result:
        """A command refused with ``code``: the ERROR shape with --json, one line on stderr without."""
        expected = status if status is not None else 2 if code in ("bad_request", "bad_config") else 3 if code == "db_unavailable" else 1
        result = self(*args, **kwargs)
        assert result.status == expected, (result.out, result.err)
        if kwargs.get("json_out", True):
            assert set(result.error) >= {"code", "message", "serials"}, result.value
            assert result.error["code"] == code, result.value
            assert isinstance(result.error["serials"], list) and isinstance(result.error["message"], str)
        else:
            lines = result.err.splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"kiosk: {code}: "), result.err
            assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", result.err), result.err  # no raw controls
        return result


def doc(doc_type: str, *lines: dict, warehouse: str = "MAIN", **extra) -> dict:
    return {"type": doc_type, "warehouse": warehouse, "lines": list(lines), **extra}


def line(sku: str = "PHN", serials=None, **extra) -> dict:
    return {"sku": sku, **({"serials": serials} if serials is not None else {}), **extra}


@pytest.fixture(scope="session")
def pycache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture
def kiosk(sqlite_url, tmp_path, pycache) -> Kiosk:
    return Kiosk(sqlite_url, tmp_path, pycache)


@pytest.fixture(scope="session")
def stocked_template(tmp_path_factory) -> Path:
    """Warehouses MAIN and WEST; serial item PHN with PHN-001…PHN-060 in MAIN; plain CBL (box=10)."""
    path = tmp_path_factory.mktemp("template") / "stocked.db"
    kdb.connect(f"sqlite:///{path}")
    try:
        ledger = Ledger(station="setup", operator="setup")
        ledger.add_warehouse("MAIN", "Main store")
        ledger.add_warehouse("WEST")
        ledger.add_item(ItemSpec("PHN", "Phone", serial=True, barcodes=["6901234567892"]))
        ledger.add_item(ItemSpec("CBL", "Cable", packs=[("box", 10)]))
        ledger.post(doc("purchase", line(serials=[f"PHN-{n:03d}" for n in range(1, 61)])))
    finally:
        kdb.close()
    return path


@pytest.fixture
def stocked(sqlite_url, stocked_template) -> str:
    """A copy of ``stocked_template`` at ``sqlite_url``: set up once, not once per test."""
    with sqlite3.connect(stocked_template) as source, sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    return sqlite_url
