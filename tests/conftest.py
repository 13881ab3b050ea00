"""Shared fixtures: real databases for every test that touches one.

``db_url`` is parametrised over SQLite (a file in ``tmp_path``) and PostgreSQL (a
fresh database on the throwaway server of ``tests/pg.py``); ``ledger`` is the domain
API bound to it. Tests that need only one backend ask for ``sqlite_url``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from kiosk.model import db as kdb
from kiosk.model.api import Ledger

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")

os.environ.pop("KIOSK_DB", None)
os.environ.pop("KIOSK_CONFIG", None)


@pytest.fixture(scope="session")
def pg_server():
    from tests.pg import PostgresServer

    server = PostgresServer()
    try:
        server.start()
    except Exception as exc:  # a missing server is a failure, never a skip
        server.stop()
        pytest.fail(f"the test PostgreSQL server did not start: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'kiosk.db'}"


@pytest.fixture
def pg_url(pg_server) -> str:
    return pg_server.emptied_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def ledger(db_url):
    kdb.connect(db_url)
    yield Ledger(station="test-station", operator="tester")
    kdb.close()


@pytest.fixture
def sqlite_ledger(sqlite_url):
    kdb.connect(sqlite_url)
    yield Ledger(station="test-station", operator="tester")
    kdb.close()
