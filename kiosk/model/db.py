"""URL → database, the SQLite pragmas, schema migrations, and the one transaction helper.

Every difference between SQLite and PostgreSQL in how we write lives here:
``write_transaction`` takes SQLite's write lock up front (``BEGIN IMMEDIATE``) and
retries PostgreSQL's lost races, and ``locked`` adds ``FOR UPDATE`` only where the
database has it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar
from urllib.parse import urlparse

import peewee
from playhouse import db_url
from playhouse.migrations import Runner
from playhouse.shortcuts import ReconnectMixin

from .errors import KioskError
from .tables import db

T = TypeVar("T")

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,  # ms a writer waits for another station's transaction
    "synchronous": "full",  # a posted document survives a power cut, not only a kill
    "cache_size": -64000,  # KiB
    "temp_store": "memory",
}
PG_MIGRATION_LOCK = 0x6B696F736B  # "kiosk": advisory lock key held while migrating
RETRIES = 8
BUSY_TIMEOUT_ENV = "KIOSK_BUSY_TIMEOUT_MS"  # overrides busy_timeout (tests, slow shared disks)


def sqlite_pragmas() -> dict:
    """``SQLITE_PRAGMAS`` with the busy timeout from ``$KIOSK_BUSY_TIMEOUT_MS`` when set."""
    value = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not value:
        return dict(SQLITE_PRAGMAS)
    if not value.isdigit():
        raise KioskError("bad_config", f"{BUSY_TIMEOUT_ENV}={value!r}: must be a whole number of milliseconds")
    return SQLITE_PRAGMAS | {"busy_timeout": int(value)}


class PostgresDatabase(ReconnectMixin, peewee.PostgresqlDatabase):
    """PostgreSQL that opens a new connection when the server has dropped the old one
    (restarted mid-shift). peewee's ReconnectMixin only does so outside a transaction,
    so a write is never silently re-run: a failed post is reported and posted again
    with its key (``ledger.post``)."""

    reconnect_errors = (
        (peewee.OperationalError, "server closed the connection"),
        (peewee.OperationalError, "terminating connection"),
        (peewee.OperationalError, "connection already closed"),
        (peewee.InterfaceError, "connection already closed"),
    )


def default_url() -> str:
    """The embedded database in the user's data directory."""
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path('kiosk') / 'kiosk.db'}"


def is_sqlite(database: peewee.Database | None = None) -> bool:
    return isinstance(database or db.obj, peewee.SqliteDatabase)


def connect(url: str, *, migrate: bool = True) -> peewee.Database:
    """Bind the models to the database at ``url``, open it and bring its schema up to date.

    An unusable URL is ``bad_config``; a server or file that cannot be reached is
    ``db_unavailable``.
    """
    scheme = urlparse(url).scheme
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise KioskError(
            "bad_config",
            f"unusable database URL {url!r}: use sqlite:///PATH or postgresql://USER@HOST/NAME",
        )
    try:
        if scheme == "sqlite":
            path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
            if not path or path == ":memory:":
                raise KioskError("bad_config", f"unusable database URL {url!r}: name a file, sqlite:///PATH")
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            database = db_url.connect(url, pragmas=sqlite_pragmas())
        else:
            database = PostgresDatabase(**db_url.parse(url))
    except KioskError:
        raise
    except (ValueError, RuntimeError, TypeError, OSError) as exc:
        raise KioskError("bad_config", f"unusable database URL {url!r}: {exc}") from None
    db.initialize(database)
    try:
        database.connect(reuse_if_open=True)
        if migrate:
            migrate_schema(database)
    except peewee.OperationalError as exc:
        raise unavailable(exc) from None
    except peewee.DatabaseError as exc:
        raise KioskError("db_unavailable", f"the database cannot be used: {first_line(exc)}") from None
    return database


def close() -> None:
    if db.obj is not None and not db.obj.is_closed():
        db.obj.close()


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def unavailable(exc: BaseException) -> KioskError:
    """``db_unavailable`` with what the operator can do about it; the write was rolled back."""
    text = first_line(_cause(exc))
    lowered = text.lower()
    if "disk is full" in lowered or "disk i/o error" in lowered:
        return KioskError(
            "db_unavailable",
            f"the disk is full or failing ({text}): nothing was written; free space and try again",
        )
    if "locked" in lowered or "busy" in lowered:
        return KioskError(
            "db_unavailable",
            f"the database is busy ({text}): another process held it for too long; "
            "nothing was written; try again",
        )
    return KioskError("db_unavailable", f"the database is unavailable: {text}")


def _cause(exc: BaseException) -> BaseException:
    """The error behind a failed rollback: SQLite rolls back by itself on a full disk or an
    I/O error, so peewee's own rollback then fails with "no transaction is active"."""
    seen = exc
    while "no transaction is active" in str(seen) and seen.__context__ is not None:
        seen = seen.__context__
    return seen if "no transaction is active" not in str(seen) else exc


def migrate_schema(database: peewee.Database) -> list[str]:
    """Apply pending migrations; several stations starting at once apply them once."""
    runner = Runner(database, directory=str(MIGRATIONS))
    if runner.History.table_exists() and all(m.applied for m in runner.status()):
        return []
    with _exclusive(database):
        return runner.up()


@contextlib.contextmanager
def _exclusive(database: peewee.Database) -> Iterator[None]:
    if isinstance(database, peewee.SqliteDatabase):
        with database.atomic("IMMEDIATE"):
            yield
    else:
        with database.atomic():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (PG_MIGRATION_LOCK,))
            yield


def schema_version(database: peewee.Database | None = None) -> list[str]:
    runner = Runner(database or db.obj, directory=str(MIGRATIONS))
    return [m.name for m in runner.status() if m.applied]


def write_transaction(work: Callable[[], T]) -> T:
    """Run ``work`` as one atomic write: all of it is committed or none.

    SQLite: ``BEGIN IMMEDIATE`` serialises writers before anything is read, so the rules
    are checked against the state the write will commit on. PostgreSQL: rows are
    locked with ``locked()`` as they are read; a lost race (unique violation, deadlock,
    serialisation failure) is rolled back and ``work`` runs again, now seeing the
    winner's rows, so the loser gets the rule's error, never a database error.
    """
    database = db.obj
    for attempt in range(RETRIES):
        try:
            if is_sqlite(database):
                with database.atomic("IMMEDIATE"):
                    return work()
            with database.atomic():
                return work()
        except KioskError:
            raise
        except peewee.IntegrityError:
            if is_sqlite(database) or attempt == RETRIES - 1:
                raise
        except peewee.OperationalError as exc:
            # SQLite has already waited its busy timeout for the write lock: that is the bound
            if is_sqlite(database) or not _retryable(exc) or attempt == RETRIES - 1:
                raise unavailable(exc) from None
        time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def guarded(function: Callable[..., T]) -> Callable[..., T]:
    """A domain call whose database went away answers ``db_unavailable``, not a driver
    error: the connection is dropped so the next call opens a new one (a PostgreSQL
    server restarted mid-shift is picked up again without restarting the station)."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            _drop_connection()
            raise unavailable(exc) from None
        except KioskError as exc:
            if exc.code == "db_unavailable":
                _drop_connection()
            raise

    return call


def guard_methods(cls: type) -> type:
    """``guarded`` on every public method of a class (the domain API, the draft)."""
    for name, value in list(vars(cls).items()):
        if callable(value) and not name.startswith("_"):
            setattr(cls, name, guarded(value))
    return cls


def _drop_connection() -> None:
    """Forget this thread's connection, even a dead one inside a failed transaction."""
    database = db.obj
    if database is None:
        return
    state = database._state  # peewee keeps no public way to drop a broken connection
    conn = state.conn
    state.reset()
    if conn is not None:
        try:
            conn.close()
        except Exception:  # the driver's error for a connection that is already gone
            pass


def _retryable(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        s in text
        for s in ("deadlock detected", "could not serialize")
    )


def locked(query: peewee.Select) -> peewee.Select:
    """``SELECT … FOR UPDATE`` where the database has row locks (SQLite locks the file)."""
    return query if is_sqlite() else query.for_update()


def backup(dest: str | os.PathLike) -> Path:
    """Copy the open SQLite database to ``dest`` with the online backup API."""
    database = db.obj
    if not is_sqlite(database):
        raise KioskError("bad_request", "db backup copies SQLite databases; use pg_dump for PostgreSQL")
    import sqlite3

    target = Path(dest)
    if target.exists():
        raise KioskError("bad_request", f"{target} exists; name a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    dst = sqlite3.connect(target)
    try:
        database.connection().backup(dst)
    finally:
        dst.close()
    return target
