"""Stations posting the same serials at the same moment (SPEC §3 "exactly one wins"),
and a post killed half-way (all of it or nothing).

Several processes (``spawn``: nothing shared but the database) run ``kiosk --json doc
post`` through the command line's own ``main``, released together by a barrier each
round: first every racer purchases the same new serials, then every racer sells
them, each in its own order. Exactly one post wins each round; every loser gets the
rule's error and exit status 1, never a database error; afterwards each serial has
exactly one purchase and one sale, and the stock row agrees with the serials.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import subprocess
import time

import pytest

RACERS = 4
ROUNDS = 4
SERIALS = 20
OPENING_QTY = 5  # unserialized units that stay on hand throughout


def racer(url: str, commands: list[list[str]], barrier, results) -> None:
    """One station: for each command, wait for the others, then run ``kiosk --json COMMAND``.

    A file name alone stands for ``doc post FILE``.
    """
    from kiosk.cli import main
    from kiosk.model import api, ledger  # noqa: F401 - imported before the barrier, not raced

    for command in commands:
        args = ["doc", "post", command] if isinstance(command, str) else command
        barrier.wait(timeout=60)
        out = io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(out):
            status = main(["--db", url, "--json", *args])
        results.put((args[-1], status, out.getvalue(), started, time.monotonic()))


def document_file(tmp_path, name: str, doc_type: str, serials: list[str], warehouse: str = "MAIN") -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"type": doc_type, "warehouse": warehouse, "lines": [{"sku": "PHN", "serials": serials}]}))
    return str(path)


def contested_rounds(tmp_path) -> list[list[str]]:
    """Per racer, per round: a purchase, then a sale, of the round's serials, each racer in its own order."""
    files: list[list[str]] = [[] for _ in range(RACERS)]
    for n in range(ROUNDS):
        codes = [f"R{n}-{i:02d}" for i in range(SERIALS)]
        for who in range(RACERS):
            mine = codes[who * 5 :] + codes[: who * 5]
            if who % 2:
                mine.reverse()
            for doc_type in ("purchase", "sale"):
                files[who].append(document_file(tmp_path, f"{doc_type}-{n}-{who}", doc_type, mine))
    return files


def race(url: str, files: list[list]) -> list[tuple]:
    """Racer ``i`` runs ``files[i]`` one by one, every racer's k-th command released at once."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(files))
    results = context.Queue()
    workers = [context.Process(target=racer, args=(url, mine, barrier, results)) for mine in files]
    for worker in workers:
        worker.start()
    try:
        outcomes = [results.get(timeout=120) for _ in range(sum(map(len, files)))]
        for worker in workers:
            worker.join(timeout=30)
            assert worker.exitcode == 0
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
    return outcomes


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def prepared(request, backend: str) -> str:
    """A database on ``backend`` with warehouse MAIN and serial item PHN, OPENING_QTY unserialized."""
    from kiosk.model import db as kdb
    from kiosk.model.api import Ledger
    from kiosk.model.catalog import ItemSpec

    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    kdb.connect(url)
    try:
        setup = Ledger(station="setup", operator="setup")
        setup.add_warehouse("MAIN")
        setup.add_item(ItemSpec("PHN", "Phone", serial=True))
        setup.post({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "qty": OPENING_QTY}]})
    finally:
        kdb.close()
    return url


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_post_leaves_all_of_it_or_nothing(request, backend, tmp_path):
    from kiosk.model import db as kdb
    from kiosk.model.tables import Document, Serial, Stock
    from tests.functional.conftest import KIOSK

    url = prepared(request, backend)
    posted = 0
    whole = None  # how long a post takes here when nothing kills it
    for attempt, share in enumerate((None, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)):  # killed ever later
        path = tmp_path / f"purchase-{attempt}.json"
        path.write_text(json.dumps({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": [f"K{attempt}-{i:04d}" for i in range(1000)]}]}))
        started = time.monotonic()
        proc = subprocess.Popen([KIOSK, "--db", url, "--json", "doc", "post", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if share is None:
            assert proc.wait(timeout=60) == 0
            whole = time.monotonic() - started
        else:
            time.sleep(whole * share)
            proc.kill()
            proc.wait(timeout=30)
        kdb.connect(url)
        try:
            serials = Serial.select().where(Serial.code.startswith(f"K{attempt}-")).count()
            assert serials in (0, 1000), (attempt, serials)
            posted += serials // 1000
            assert Document.select().count() == 1 + posted
            [stock] = Stock.select()
            in_stock = Serial.select().where(Serial.status == "in_stock").count()
            assert (stock.on_hand, stock.serials_in_stock) == (OPENING_QTY + in_stock, in_stock)
        finally:
            kdb.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_exactly_one_station_wins_each_serial(request, backend, tmp_path):
    from kiosk.model import db as kdb
    from kiosk.model.tables import Document, Movement, Serial, Stock

    url = prepared(request, backend)
    outcomes = race(url, contested_rounds(tmp_path))

    by_doc: dict[tuple[str, int], list[tuple]] = {}
    for path, status, out, started, ended in outcomes:
        doc_type, n, _ = path.rsplit("/", 1)[1].removesuffix(".json").split("-")
        by_doc.setdefault((doc_type, int(n)), []).append((status, json.loads(out), started, ended))
    overlapped = 0
    for (doc_type, n), posts in sorted(by_doc.items()):
        winners = [value for status, value, *_ in posts if status == 0]
        losers = [(status, value) for status, value, *_ in posts if status != 0]
        assert len(winners) == 1, (doc_type, n, posts)
        expected = "already_in_stock" if doc_type == "purchase" else "not_in_stock"
        for status, value in losers:
            assert status == 1 and value["posted"] == [] and value["error"]["code"] == expected, value
            assert set(value["error"]["serials"]) <= {f"R{n}-{i:02d}" for i in range(SERIALS)}
        overlapped += max(p[2] for p in posts) < min(p[3] for p in posts)  # all four running at once
    assert overlapped, "the racers never ran at the same time"

    kdb.connect(url)
    try:
        sold = (
            Movement.select(Serial.code, Document.type)
            .join(Serial)
            .switch(Movement)
            .join(Document)
            .where(Movement.voided == False)  # noqa: E712
            .order_by(Movement.id)
            .tuples()
        )
        moves: dict[str, list[str]] = {}
        for code, doc_type in sold:
            moves.setdefault(code, []).append(doc_type)
        assert moves == {f"R{n}-{i:02d}": ["purchase", "sale"] for n in range(ROUNDS) for i in range(SERIALS)}
        assert Serial.select().where(Serial.status != "out").count() == 0
        [stock] = Stock.select()
        assert (stock.on_hand, stock.serials_in_stock) == (OPENING_QTY, 0)
        assert Document.select().count() == 1 + 2 * ROUNDS
    finally:
        kdb.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_stations_receiving_different_serials_at_once_all_succeed(request, backend, tmp_path):
    """No lost update and no database error when the stock row is created or updated by all at once."""
    from kiosk.model import db as kdb
    from kiosk.model.api import Ledger

    url = prepared(request, backend)
    files = [
        [document_file(tmp_path, f"new-{n}-{who}", "purchase", [f"W{n}-{who}-{i:02d}" for i in range(SERIALS)], f"NEW{n}") for n in range(ROUNDS)]
        for who in range(RACERS)
    ]
    kdb.connect(url)
    try:
        for n in range(ROUNDS):  # a new warehouse each round: no stock row there yet
            Ledger(station="setup", operator="setup").add_warehouse(f"NEW{n}")
    finally:
        kdb.close()
    outcomes = race(url, files)
    assert [status for _, status, *_ in outcomes] == [0] * (RACERS * ROUNDS), outcomes
    numbers = [json.loads(out)["posted"][0]["number"] for _, _, out, *_ in outcomes]
    assert len(set(numbers)) == len(numbers)
    kdb.connect(url)
    try:
        stock = Ledger(station="check", operator="check").item("PHN")["stock"]
    finally:
        kdb.close()
    total = RACERS * SERIALS
    assert stock == {"MAIN": {"on_hand": OPENING_QTY, "serials_in_stock": 0}} | {
        f"NEW{n}": {"on_hand": total, "serials_in_stock": total} for n in range(ROUNDS)
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_stations_starting_at_once_on_an_empty_database_create_the_schema_once(request, backend, tmp_path):
    if backend == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        server = request.getfixturevalue("pg_server")
        name = f"kiosk_empty_{tmp_path.name.lower().replace('-', '_')}"[:60]
        server.execute(f"CREATE DATABASE {name}")
        url = server.url(name)
    outcomes = race(url, [[["warehouse", "add", f"WH{who}"]] for who in range(RACERS)])
    assert sorted(json.loads(out)["code"] for _, status, out, *_ in outcomes if status == 0) == [f"WH{who}" for who in range(RACERS)]

    from kiosk.model import db as kdb

    kdb.connect(url)
    try:
        assert kdb.schema_version() == sorted(p.stem for p in kdb.MIGRATIONS.glob("0*.py"))
        applied = kdb.db.obj.execute_sql("SELECT count(*) FROM schema_migration").fetchone()[0]
        assert applied == len(kdb.schema_version())
    finally:
        kdb.close()
