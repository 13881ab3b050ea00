"""doctor: check a station before (and after) it runs unattended, and say what to fix.

Each check is one row, ``{"name", "ok", "message", "fix"}``: the config file, the
database (reachable, ``integrity_check`` on SQLite, schema up to date — the doctor
never migrates or changes anything), the write permissions the station needs (the
database file and its directory, the log directory), each configured scanner (a
device matches, and this user may read it) and each configured printer (it answers;
no jobs failed). Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import os
from argparse import Namespace
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..model.errors import KioskError
from .context import Context, safe


@dataclass
class Check:
    name: str
    ok: bool
    message: str
    fix: str | None = None


def register(sub) -> None:
    p = sub.add_parser(
        "doctor", help="check the database, scanners, printers and permissions; say what to fix",
        description="Check this station: config, database (reachable, integrity, schema version), "
        "write permissions, scanners and printers. Changes nothing. Exit status 0 when all is well, else 1.",
        epilog="examples:\n  kiosk doctor\n  kiosk --json --config /etc/kiosk/station.toml doctor",
    )
    p.set_defaults(handler=doctor)


def doctor(ctx: Context, args: Namespace) -> int:
    checks = run_checks(ctx)
    ctx.emit({"checks": [asdict(c) for c in checks]}, report)
    return 0 if all(c.ok for c in checks) else 1


def report(value: dict) -> str:
    lines = []
    for check in value["checks"]:
        lines.append(f"{'ok  ' if check['ok'] else 'FAIL'}  {safe(check['name'])}: {safe(check['message'])}")
        if check["fix"]:
            lines.append(f"      fix: {safe(check['fix'])}")
    failed = sum(not c["ok"] for c in value["checks"])
    lines.append("all checks passed" if not failed else f"{failed} of {len(value['checks'])} checks failed")
    return "\n".join(lines)


def run_checks(ctx: Context) -> list[Check]:
    checks = [_config(ctx)]
    database, database_checks = _database(ctx)
    checks += database_checks
    checks += _permissions(ctx)
    checks += _scanners(ctx)
    checks += _printers(ctx, database is not None)
    return checks


# ---------------------------------------------------------------- config


def _config(ctx: Context) -> Check:
    from .. import config as configlib

    try:
        config = ctx.config
    except KioskError as exc:
        ctx._config = configlib.Config()  # the other checks go on with the defaults
        return Check("config", False, exc.message, "correct the file at the line named, or point --config/KIOSK_CONFIG at the right one")
    where = str(config.path) if config.path else "no config file (defaults)"
    return Check("config", True, f"{where}; station {config.station.name}, warehouse {config.station.warehouse}")


# ---------------------------------------------------------------- database


def shown_url(url: str) -> str:
    """The database URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _database(ctx: Context):
    from ..model import db as kdb

    try:
        url = ctx.database_url()
        database = kdb.connect(url, migrate=False)
    except KioskError as exc:
        return None, [Check("database", False, exc.message, "check the URL (--db, KIOSK_DB, [database] url); start the "
                            "PostgreSQL server, or restore the SQLite file from a backup if it is no database")]
    checks = [Check("database", True, f"reachable: {shown_url(url)}")]
    try:
        checks.append(_schema(database))
        if kdb.is_sqlite(database):
            checks.append(_integrity(database))
    except Exception as exc:  # a damaged file may open and fail only when read
        checks.append(Check("database integrity", False, f"the database cannot be read: {kdb.first_line(exc)}",
                            "stop the station and restore the latest backup (see kiosk db backup)"))
    return database, checks


def _schema(database) -> Check:
    from playhouse.migrations import Runner

    from ..model.db import MIGRATIONS

    runner = Runner(database, directory=str(MIGRATIONS))
    if not runner.History.table_exists():
        return Check("schema", False, "the database has no kiosk schema yet", "run: kiosk db migrate")
    status = runner.status()
    pending = [m.name for m in status if not m.applied]
    if pending:
        return Check("schema", False, f"{len(pending)} migration(s) not applied: {', '.join(pending)}", "run: kiosk db migrate")
    return Check("schema", True, f"up to date ({status[-1].name})")


def _integrity(database) -> Check:
    rows = [r[0] for r in database.execute_sql("PRAGMA integrity_check").fetchall()]
    if rows == ["ok"]:
        return Check("database integrity", True, "PRAGMA integrity_check: ok")
    return Check("database integrity", False, "PRAGMA integrity_check: " + "; ".join(rows[:3]),
                 "stop the station and restore the latest backup (see kiosk db backup)")


# ---------------------------------------------------------------- permissions


def _writable_dir(path: Path) -> str | None:
    """Why ``path`` is no directory we can write in, or None."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {path}: {exc.strerror or exc}"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{path} is not writable by this user"
    return None


def _permissions(ctx: Context) -> list[Check]:
    from .. import logs

    checks = []
    try:
        url = ctx.database_url()
    except KioskError:
        url = ""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :]).expanduser()
        problem = _writable_dir(path.parent)
        if problem is None and path.exists() and not os.access(path, os.W_OK):
            problem = f"{path} is not writable by this user"
        checks.append(
            Check("database file writable", problem is None, problem or f"{path} and its directory",
                  None if problem is None else "chown the file and its directory to the station's user (SQLite writes -wal and -shm files beside it)")
        )
    log_dir = logs.log_dir()
    problem = _writable_dir(log_dir)
    checks.append(
        Check("log directory writable", problem is None, problem or str(log_dir),
              None if problem is None else f"create {log_dir} for the station's user, or set KIOSK_LOG_DIR to a writable directory")
    )
    return checks


# ---------------------------------------------------------------- devices


def _scanners(ctx: Context) -> list[Check]:
    from ..hardware import scanners
    from .scanner_cmds import _input_dir

    configs = ctx.config.scanners
    if not configs:
        return [Check("scanners", True, "none configured: scans are typed into the station (keyboard wedge)")]
    try:
        found = scanners.list_candidates(_input_dir(), configs=configs)
    except OSError as exc:  # pragma: no cover - /dev/input unreadable as a whole
        found, reason = [], str(exc)
    else:
        reason = None
    checks = []
    for config in configs:
        mine = [c for c in found if c.config == config.name]
        name = f"scanner {config.name}"
        if not mine:
            message = reason or f"no input device under {_input_dir()} matches {config.match!r}"
            checks.append(Check(name, False, message, "plug the scanner in (USB keyboard emulation), then compare its name and vendor:product in 'kiosk scanners list' with match"))
        elif not any(c.readable for c in mine):
            denied = next((c for c in mine if c.denied), mine[0])
            checks.append(Check(name, False, denied.problem or f"{denied.path} cannot be read",
                                "install config/99-kiosk-scanners.rules with this scanner's vendor:product, reload udev, replug"))
        else:
            ready = next(c for c in mine if c.readable)
            checks.append(Check(name, True, f"{ready.path} ({ready.name}, {ready.vendor_product})"))
    return checks


def _printers(ctx: Context, with_database: bool) -> list[Check]:
    from ..hardware.print_queue import PrintQueue

    printers = ctx.config.printers
    if not printers:
        return [Check("printers", True, "none configured: no labels or receipts are printed")]
    queue = PrintQueue(printers)
    for printer in printers:
        queue.probe(printer.name)
    rows = {row["printer"]: row for row in queue.status()} if with_database else {}
    checks = []
    for printer in printers:
        problem = queue.problems.get(printer.name)
        row = rows.get(printer.name, {})
        name = f"printer {printer.name}"
        if problem:
            checks.append(Check(name, False, problem, "switch it on, check cable or network, paper and the [[printers]] address; "
                                "then 'kiosk printers queue --retry'"))
        elif row.get("failed"):
            checks.append(Check(name, False, f"{row['failed']} job(s) failed: {row['problem']}", "fix the printer, then 'kiosk printers queue --retry'"))
        else:
            waiting = f"; {row['queued']} job(s) waiting" if row.get("queued") else ""
            checks.append(Check(name, True, f"{printer.kind} printer answers{waiting}"))
    return checks
