"""A throwaway PostgreSQL server for the tests, started from the machine's binaries.

PostgreSQL refuses to run as root, so under root the cluster is owned by and run as
``nobody``. Each test gets the session's migrated work database emptied (every table
truncated, identities restarted: ten times faster than cloning a template per test),
or, when it must start from nothing, a database of its own. When the server cannot
start, the tests that need it fail (an error naming why); they never skip.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg2

TEMPLATE = "kiosk_template"


def find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise RuntimeError(f"PostgreSQL's {name} is not installed (Debian: apt-get install postgresql)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.counter = itertools.count(1)
        self.work: str | None = None
        self.user = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("nobody")
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)

    def _demote(self):
        if self.user is None:
            return None
        uid, gid = self.user.pw_uid, self.user.pw_gid

        def demote() -> None:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)

        return demote

    def _run(self, *args: str) -> None:
        env = dict(os.environ, LC_ALL="C", HOME=str(self.root))
        result = subprocess.run(
            args, preexec_fn=self._demote(), env=env, cwd=self.root, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> "PostgresServer":
        self._run(find_binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self.options = options
        self.resume()
        self.execute(f"CREATE DATABASE {TEMPLATE}")
        from kiosk.model import db

        db.connect(self.url(TEMPLATE))
        db.close()
        return self

    def pause(self) -> None:
        """Stop the server, keeping its data: a database gone mid-shift."""
        self._run(find_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._run(find_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-o", self.options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run(find_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def execute(self, sql: str, dbname: str = "postgres") -> list[tuple]:
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def emptied_database(self) -> str:
        """The session's work database with every row gone and ids starting at 1 again."""
        if self.work is None:
            self.work = self.fresh_database().rsplit("/", 1)[1]
        # connections a previous test left behind (threads, killed subprocesses) would block TRUNCATE
        self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.work}' AND pid <> pg_backend_pid()"
        )
        tables = [
            name for (name,) in self.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migration'",
                self.work,
            )
        ]
        self.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE", self.work)
        return self.url(self.work)

    def fresh_database(self) -> str:
        """A new, migrated database; its URL."""
        name = f"kiosk_test_{os.getpid()}_{next(self.counter)}"
        self.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)
