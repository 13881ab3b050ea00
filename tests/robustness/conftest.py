"""Fixtures for the robustness tests: the real ``kiosk`` script on a prepared SQLite file."""

from __future__ import annotations

import pytest

from tests.functional.conftest import Kiosk
from tests.robustness.support import prepare


@pytest.fixture(scope="session")
def pycache(tmp_path_factory):
    return tmp_path_factory.mktemp("pycache")


@pytest.fixture
def kiosk(sqlite_url, tmp_path, pycache) -> Kiosk:
    """``kiosk`` on a database with MAIN, WEST, serial item PHN and plain item CBL."""
    prepare(sqlite_url)
    return Kiosk(sqlite_url, tmp_path, pycache)
