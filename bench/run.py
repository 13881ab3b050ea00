"""One million serials: the benchmark of SPEC §8, run by hand (never part of the tests).

    .venv/bin/python bench/run.py            # 1,000,000 serials, > 3,000,000 movements
    .venv/bin/python bench/run.py --quick    # a smoke run: 20,000 serials, a minute

It builds an SQLite database THROUGH THE DOMAIN API (``kiosk.model.api.Ledger.post``)
from realistic 1000-serial documents — purchases, transfers, sales, sales returns,
purchase returns and stock counts, interleaved as a shop would post them — then
measures, on that database:

- the posting rate of 1000-serial documents, beside a plain ``sqlite3`` loop that
  checks and writes the same rows (the floor) in the same run and the same file;
- one scan's validation (``Draft.add`` and ``Draft.scan``), p50 and p99;
- the search first page (``{"total", "results"}``) for every filter of SPEC §5;
- the history of one serial;
- export of every serial to CSV and XLSX by ``kiosk serials export`` in a
  subprocess: wall time and peak memory (``ru_maxrss`` of that process);
- ``kiosk --help`` and a real command: wall time, process start included;
- the station (``StationApp``) up to its home screen, and its memory;
- the same posting, scan, search and history figures on PostgreSQL (a smaller
  dataset, ``--pg-serials``), on a throwaway server started as ``tests/pg.py`` does;
- many stations: 8 processes posting and scanning at once against one PostgreSQL
  database and 4 against one SQLite file, then a proof that no serial was lost or
  posted twice.

Progress goes to stderr; the table of figures goes to stdout (Markdown), and with
``--json FILE`` as JSON too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # kiosk, and tests/pg.py for the PostgreSQL server

from kiosk.model import catalog  # noqa: E402
from kiosk.model import db as kdb  # noqa: E402
from kiosk.model.api import Ledger  # noqa: E402
from kiosk.model.errors import KioskError  # noqa: E402
from kiosk.model.queries import SerialFilter  # noqa: E402

KIOSK = str(Path(sys.executable).with_name("kiosk"))
STARTED = time.perf_counter()
WAREHOUSES = ["MAIN", "WEST", "EAST"]
ITEMS = [f"S{n:02d}" for n in range(10)]
BLOCK = 1000  # serials per document


def say(text: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f} s] {text}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


@dataclass
class Row:
    figure: str
    sqlite: str = "—"
    pg: str = "—"
    target: str = ""
    met: str = ""
    marks: dict = field(default_factory=dict)  # backend -> yes | NO


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, figure: str) -> Row:
        for row in self.rows:
            if row.figure == figure:
                return row
        row = Row(figure)
        self.rows.append(row)
        return row

    def put(self, figure: str, backend: str, value: str, target: str = "", ok: bool | None = None) -> None:
        row = self.row(figure)
        setattr(row, backend, value)
        if target:
            row.target = target
        if ok is not None:
            row.marks[backend] = "yes" if ok else "NO"
            marks = set(row.marks.values())
            row.met = marks.pop() if len(marks) == 1 else ", ".join(
                f"{'SQLite' if b == 'sqlite' else 'PG'} {m}" for b, m in sorted(row.marks.items(), key=lambda i: i[0] != "sqlite")
            )

    def markdown(self) -> str:
        lines = ["| figure | SQLite | PostgreSQL | target | met |", "|---|---|---|---|---|"]
        lines += [f"| {r.figure} | {r.sqlite} | {r.pg} | {r.target} | {r.met} |" for r in self.rows]
        return "\n".join(lines)


# ---------------------------------------------------------------- the dataset


def code(n: int) -> str:
    """Serial number n: a realistic code, sortable, with a vendor prefix."""
    return f"SN{n:08d}X"


def block_lines(block: int, codes: list[str]) -> list[dict]:
    """A block's 1000 serials as two lines of 500, two SKUs (as shops receive them)."""
    half = len(codes) // 2
    return [
        {"sku": ITEMS[(2 * block) % len(ITEMS)], "serials": codes[:half]},
        {"sku": ITEMS[(2 * block + 1) % len(ITEMS)], "serials": codes[half:]},
    ]


@dataclass
class Build:
    """Where each block of serials is, and what the build did (for the figures)."""

    blocks: int
    where: dict[int, str | None] = field(default_factory=dict)  # block -> warehouse, None when sold
    times: dict[str, list[float]] = field(default_factory=dict)  # doc type -> seconds per document
    serials: dict[str, int] = field(default_factory=dict)  # doc type -> serials posted
    numbers: dict[str, list[str]] = field(default_factory=dict)
    marks: dict[str, str] = field(default_factory=dict)  # phase name -> ISO time
    movements: int = 0
    spent: float = 0.0  # seconds the build took


def post(ledger: Ledger, build: Build, document: dict) -> dict:
    started = time.perf_counter()
    posted = ledger.post(document)
    spent = time.perf_counter() - started
    kind = document["type"]
    build.times.setdefault(kind, []).append(spent)
    n = sum(len(line["serials"]) for line in posted["lines"])
    build.serials[kind] = build.serials.get(kind, 0) + n
    build.numbers.setdefault(kind, []).append(posted["number"])
    build.movements += 2 * n if kind == "transfer" else n
    if kind == "count":
        build.movements += sum(len(line["gained"]) + len(line["lost"]) for line in posted["lines"]) - n
    return posted


def setup_catalog(ledger: Ledger) -> None:
    for wh in WAREHOUSES + ["NORTH"]:
        ledger.add_warehouse(wh, f"{wh.title()} store")
    for sku in ITEMS:
        ledger.add_item(catalog.ItemSpec(sku=sku, name=f"Phone model {sku}", serial=True, barcodes=[f"69{sku[1:]}0000000"]))
    ledger.add_item(catalog.ItemSpec(sku="CNT", name="Counted accessory", serial=True))
    ledger.add_item(catalog.ItemSpec(sku="FLOOR", name="Floor comparison", serial=True))


def build_dataset(ledger: Ledger, serials: int, lag: int = 20) -> Build:
    """Post ``serials`` new serials in 1000-serial purchases, and, a little behind each
    purchase, move earlier blocks on: 70 % transferred, 60 % sold, a sixth of those
    returned, 2 % returned to the vendor, and a stock count every 50 blocks."""
    blocks = serials // BLOCK
    build = Build(blocks)
    rng = random.Random(7)
    fate = {}
    for b in range(blocks):
        r = rng.random()
        fate[b] = {
            "transfer": r < 0.70,
            "sale": r < 0.60,
            "return": r < 0.10,
            "purchase_return": 0.95 < r < 0.97,
        }

    counted = [f"CNT{n:06d}" for n in range(900)]
    post(ledger, build, {"type": "purchase", "warehouse": "NORTH", "partner": "Acme", "lines": [{"sku": "CNT", "serials": counted}]})
    next_count = 900

    build.marks["start"] = _now()
    report_every = max(1, blocks // 10)
    for b in range(blocks + lag):
        if b < blocks:
            codes = [code(b * BLOCK + i) for i in range(BLOCK)]
            wh = WAREHOUSES[b % len(WAREHOUSES)]
            post(ledger, build, {"type": "purchase", "warehouse": wh, "partner": f"Vendor {b % 7}", "lines": block_lines(b, codes)})
            build.where[b] = wh
        old = b - lag
        if old >= 0:
            _move_on(ledger, build, old, fate[old])
        if b % 50 == 49:  # a stock count: 10 missing, 10 found that were never received
            keep = counted[10:]
            found = [f"CNT{n:06d}" for n in range(next_count, next_count + 10)]
            next_count += 10
            post(ledger, build, {"type": "count", "warehouse": "NORTH", "lines": [{"sku": "CNT", "qty": len(keep) + 10, "serials": keep + found}]})
            counted = keep + found
        if b == blocks // 2:
            build.marks["middle"] = _now()
        if b % report_every == report_every - 1:
            done = sum(build.serials.values())
            say(f"built {b + 1}/{blocks} blocks: {done} serials posted, {build.movements} movements")
    build.marks["end"] = _now()
    return build


def _move_on(ledger: Ledger, build: Build, b: int, fate: dict) -> None:
    codes = [code(b * BLOCK + i) for i in range(BLOCK)]
    wh = build.where[b]
    if fate["transfer"]:
        dest = WAREHOUSES[(WAREHOUSES.index(wh) + 1) % len(WAREHOUSES)]
        post(ledger, build, {"type": "transfer", "warehouse": wh, "to_warehouse": dest, "lines": block_lines(b, codes)})
        wh = build.where[b] = dest
    if fate["sale"]:
        post(ledger, build, {"type": "sale", "warehouse": wh, "partner": f"Customer {b}", "lines": block_lines(b, codes)})
        build.where[b] = None
        if fate["return"]:
            back = WAREHOUSES[b % len(WAREHOUSES)]
            post(ledger, build, {"type": "sale_return", "warehouse": back, "partner": f"Customer {b}", "lines": block_lines(b, codes)})
            build.where[b] = back
    elif fate["purchase_return"]:
        post(ledger, build, {"type": "purchase_return", "warehouse": wh, "partner": "Vendor 1", "lines": block_lines(b, codes)})
        build.where[b] = None


def _now() -> str:
    from kiosk.model.tables import utcnow

    return utcnow().isoformat(timespec="microseconds")


# ---------------------------------------------------------------- posting rate and the floor


def posting_rate(ledger: Ledger, build: Build, report: Report, backend: str, sqlite_path: str | None, samples: int) -> None:
    """Purchases of 1000 new serials on the full database, kiosk and (SQLite) the floor
    interleaved, so both see the same file, cache and machine load."""
    from kiosk.model.tables import Item, Serial

    # past every serial posted so far, so a reused database (--keep) takes new ones
    base = build.blocks * BLOCK + 5_000_000 + 2 * Serial.select().join(Item).where(Item.sku == "FLOOR").count()
    kiosk_times, floor_times = [], []
    floor = Floor(sqlite_path) if sqlite_path else None
    for s in range(samples):
        codes = [code(base + s * BLOCK + i) for i in range(BLOCK)]
        started = time.perf_counter()
        ledger.post({"type": "purchase", "warehouse": "MAIN", "partner": "Bench", "lines": [{"sku": "FLOOR", "serials": codes}]})
        kiosk_times.append(time.perf_counter() - started)
        if floor:
            codes = [code(base + 1_000_000 + s * BLOCK + i) for i in range(BLOCK)]
            started = time.perf_counter()
            floor.purchase(codes)
            floor_times.append(time.perf_counter() - started)
    if floor:
        floor.close()
    rate = BLOCK * len(kiosk_times) / sum(kiosk_times)
    build_rate = build.serials["purchase"] / sum(build.times["purchase"])
    all_rate = sum(build.serials.values()) / sum(sum(t) for t in build.times.values())
    report.put("post 1000-serial purchase, full database (serials/s)", backend, f"{rate:,.0f}", "≥ 20,000", rate >= 20_000)
    report.put("post 1000-serial purchase, whole build (serials/s)", backend, f"{build_rate:,.0f}")
    report.put("post 1000-serial documents, all types, whole build (serials/s)", backend, f"{all_rate:,.0f}")
    for kind in ("transfer", "sale", "sale_return", "count"):
        if kind in build.times:
            times = build.times[kind]
            report.put(f"post one {kind} document, p50 (serials in it: {build.serials[kind] // len(times)})", backend, ms(pct(times, 50)))
    if floor_times:
        floor_rate = BLOCK * len(floor_times) / sum(floor_times)
        ratio = floor_rate / rate
        report.put("plain sqlite3 floor, same rows, same file (serials/s)", backend, f"{floor_rate:,.0f}")
        report.put("kiosk posting vs the floor (floor ÷ kiosk)", backend, f"{ratio:.2f}×", "≤ 2×", ratio <= 2)


class Floor:
    """What a hand-written sqlite3 loop does for a 1000-serial purchase: per serial, look
    it up and write it and its movement; per document, one document, line and stock
    row; one ``BEGIN IMMEDIATE`` transaction, the same pragmas as kiosk."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for name, value in kdb.SQLITE_PRAGMAS.items():
            self.conn.execute(f"PRAGMA {name} = {value}")
        c = self.conn
        self.item = c.execute("SELECT id FROM item WHERE sku = 'FLOOR'").fetchone()[0]
        self.wh = c.execute("SELECT id FROM warehouse WHERE code = 'MAIN'").fetchone()[0]

    def purchase(self, codes: list[str]) -> None:
        from kiosk.model.tables import utcnow

        c = self.conn
        now = utcnow().isoformat(sep=" ")
        c.execute("BEGIN IMMEDIATE")
        try:
            doc = c.execute(
                "INSERT INTO document (type, warehouse_id, partner, station, operator, posted_at, status) "
                "VALUES ('purchase', ?, 'Floor', 'floor', 'floor', ?, 'posted')", (self.wh, now)
            ).lastrowid
            c.execute("UPDATE document SET number = ? WHERE id = ?", (f"PUR-{doc:06d}", doc))
            line = c.execute(
                "INSERT INTO doc_line (document_id, line_no, item_id, qty, unit, base_qty, delta, to_delta, serials) "
                "VALUES (?, 1, ?, ?, 'pcs', ?, ?, 0, ?)", (doc, self.item, len(codes), len(codes), len(codes), "\n".join(codes))
            ).lastrowid
            for serial in codes:
                if c.execute("SELECT id, status FROM serial WHERE code = ?", (serial,)).fetchone() is not None:
                    raise RuntimeError(f"{serial} exists")
                sid = c.execute(
                    "INSERT INTO serial (code, item_id, status, warehouse_id, last_doc_id, updated_at) VALUES (?, ?, 'in_stock', ?, ?, ?)",
                    (serial, self.item, self.wh, doc, now),
                ).lastrowid
                c.execute(
                    "INSERT INTO movement (serial_id, document_id, line_id, direction, warehouse_id, role, voided, at) "
                    "VALUES (?, ?, ?, 'in', ?, '', 0, ?)", (sid, doc, line, self.wh, now)
                )
            updated = c.execute(
                "UPDATE stock SET on_hand = on_hand + ?, serials_in_stock = serials_in_stock + ? WHERE item_id = ? AND warehouse_id = ?",
                (len(codes), len(codes), self.item, self.wh),
            ).rowcount
            if not updated:
                c.execute(
                    "INSERT INTO stock (item_id, warehouse_id, on_hand, serials_in_stock) VALUES (?, ?, ?, ?)",
                    (self.item, self.wh, len(codes), len(codes)),
                )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------- reads


def timed(call, reps: int, budget: float = 5.0) -> list[float]:
    call()  # warm
    times = []
    deadline = time.perf_counter() + budget
    for _ in range(reps):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
        if time.perf_counter() > deadline and len(times) >= 10:
            break
    return times


def in_stock_codes(build: Build, wh: str, n: int, rng: random.Random) -> list[str]:
    blocks = [b for b, w in build.where.items() if w == wh]
    picked = set()
    while len(picked) < n:
        b = rng.choice(blocks)
        picked.add(code(b * BLOCK + rng.randrange(BLOCK)))
    return list(picked)


def scan_figures(build: Build, report: Report, backend: str, reps: int) -> None:
    from kiosk.model.scans import Draft

    rng = random.Random(11)
    codes = in_stock_codes(build, "MAIN", reps, rng)

    def run(make, texts, method):
        times = []
        draft = make()
        for i, text in enumerate(texts):
            if i % 500 == 0:
                draft = make()
            started = time.perf_counter()
            result = getattr(draft, method)(text)
            times.append(time.perf_counter() - started)
            assert result.ok, (result.text, result.message)
        return times

    def purchase_draft():
        draft = Draft("purchase", "MAIN")
        draft.choose_item("S01")
        return draft

    sale = run(lambda: Draft("sale", "MAIN"), codes, "add")
    scan = run(lambda: Draft("sale", "MAIN"), codes, "scan")
    fresh = [f"NEW{rng.randrange(10**9):09d}" for _ in range(reps)]
    new = run(purchase_draft, fresh, "scan")
    for label, times in (("Draft.add, checkout, serial in stock", sale), ("Draft.scan, checkout, serial in stock", scan), ("Draft.scan, receiving, new serial", new)):
        report.put(f"scan validation p50 / p99: {label}", backend, f"{ms(pct(times, 50))} / {ms(pct(times, 99))}", "p99 ≤ 2 ms", pct(times, 99) <= 0.002)


def search_figures(ledger: Ledger, build: Build, report: Report, backend: str, reps: int) -> None:
    rng = random.Random(5)
    some = code(rng.randrange(build.blocks * BLOCK))
    filters = {
        "sku": SerialFilter(sku="S03"),
        "serial substring, many matches (\"0042\")": SerialFilter(serial="0042"),
        "serial substring, one match (6 digits of a serial)": SerialFilter(serial=some[3:9]),
        "status in_stock": SerialFilter(status="in_stock"),
        "status out": SerialFilter(status="out"),
        "warehouse": SerialFilter(warehouse="WEST"),
        "doc (a transfer)": SerialFilter(doc=build.numbers["transfer"][len(build.numbers["transfer"]) // 2]),
        "since (second half of the build)": SerialFilter(since=build.marks["middle"]),
        "until (first half)": SerialFilter(until=build.marks["middle"]),
        "since + until (the rest of that minute)": SerialFilter(since=build.marks["middle"], until=build.marks["middle"][:17] + "59"),
        "sku + status + warehouse": SerialFilter(sku="S03", status="in_stock", warehouse="MAIN"),
        "none (every serial)": SerialFilter(),
    }
    for label, f in filters.items():
        result = ledger.search(f)
        times = timed(lambda: ledger.search(f), reps)
        p99 = pct(times, 99)
        report.put(
            f"search first page p50 / p99 (total): {label}", backend,
            f"{ms(pct(times, 50))} / {ms(p99)} ({result['total']:,})", "p99 ≤ 30 ms", p99 <= 0.030,
        )
    codes = [code(rng.randrange(build.blocks * BLOCK)) for _ in range(reps)]
    it = iter(codes * 2)
    times = timed(lambda: ledger.history(next(it)), reps)
    report.put("history of one serial p50 / p99", backend, f"{ms(pct(times, 50))} / {ms(pct(times, 99))}", "≤ 5 ms", pct(times, 99) <= 0.005)


# ---------------------------------------------------------------- subprocesses


def run_child(args: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    # the child is reaped by communicate(); its rusage is folded into RUSAGE_CHILDREN,
    # so read it from the child itself where it matters (export, station)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {out}{err}")
    return wall, 0, out


def run_measured(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MiB) of exactly this child, by wait4."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read()
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {text}{err.read()}")
    return wall, usage.ru_maxrss / 1024, text


def export_figures(url: str, report: Report, backend: str, tmp: Path, xlsx_rows: int | None) -> None:
    for fmt in ("csv", "xlsx"):
        out = tmp / f"export.{fmt}"
        limit = ["--limit", str(xlsx_rows)] if fmt == "xlsx" and xlsx_rows else []
        if fmt == "xlsx" and xlsx_rows == 0:
            continue
        wall, rss, text = run_measured([KIOSK, "--db", url, "--json", "serials", "export", "--format", fmt, "--out", str(out), *limit])
        n = json.loads(text)["exported"]
        size = out.stat().st_size / 2**20
        target, ok = ("≤ 15 s, ≤ 200 MB", wall <= 15 and rss <= 200) if fmt == "csv" else ("≤ 200 MB", rss <= 200)
        report.put(f"export {n:,} rows to {fmt.upper()}: time, peak memory ({size:.0f} MiB file)", backend, f"{wall:.1f} s, {rss:.0f} MiB", target, ok)
        out.unlink()


def cli_figures(url: str, build: Build, report: Report, reps: int = 5) -> None:
    def median(args):
        times = [run_child(args)[0] for _ in range(reps)]
        return statistics.median(times)

    some = code(build.blocks * BLOCK // 3)
    for label, args in (
        ("kiosk --help", [KIOSK, "--help"]),
        ("kiosk --json serials history SERIAL", [KIOSK, "--db", url, "--json", "serials", "history", some]),
        ("kiosk --json item show S03", [KIOSK, "--db", url, "--json", "item", "show", "S03"]),
    ):
        wall = median(args)
        report.put(f"command line start-up, median wall: {label}", "sqlite", f"{wall * 1000:.0f} ms", "≤ 0.3 s", wall <= 0.3)


STATION_CHILD = r"""
import asyncio, os, resource, sys, time
started = time.perf_counter()
from kiosk.model import db
from kiosk.model.api import Ledger
from kiosk.screens.app import StationApp, StationInfo
from kiosk.screens.home import HomeScreen
db.connect(sys.argv[1])
app = StationApp(Ledger(station="bench", operator="bench"), StationInfo(name="bench", warehouse="MAIN", operator="bench"))
async def main():
    async with app.run_test(size=(120, 40)) as pilot:
        while not isinstance(app.screen, HomeScreen) or not app.screen.is_mounted:
            await pilot.pause()
        await pilot.pause()
        # Textual captures print() while the app runs: write to the real stdout
        os.write(1, f"{time.perf_counter() - started} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}\n".encode())
asyncio.run(main())
"""


def station_figures(url: str, report: Report, reps: int = 3) -> None:
    walls, rss = [], []
    for _ in range(reps):
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", STATION_CHILD, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        walls.append(time.perf_counter() - started)
        out, err = proc.communicate()
        if not line:
            raise RuntimeError(f"station did not start: {err}")
        rss.append(float(line.split()[1]))
    wall = statistics.median(walls)
    report.put("station start-up to the home screen (process start included), median", "sqlite", f"{wall:.2f} s", "≤ 1.5 s", wall <= 1.5)
    report.put("station memory at the home screen (peak RSS)", "sqlite", f"{max(rss):.0f} MiB")


# ---------------------------------------------------------------- many stations


POOL_CHUNK = 20


def station_worker(url: str, worker: int, seconds: float, pool_chunks: int, seed: int, queue) -> None:
    """One station: purchases of its own new serials, and contested moves of the shared
    pool (transfer MAIN→WEST or back, sale, sales return), each scanned first."""
    from kiosk.model.scans import Draft

    kdb.connect(url)
    ledger = Ledger(station=f"station-{worker}", operator=f"op-{worker}")
    rng = random.Random(seed)
    done: list[tuple[str, list[str]]] = []
    refused = scans = errors = own = 0
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        if rng.random() < 0.3:
            codes = [f"W{worker}-{own + i:06d}" for i in range(100)]
            own += 100
            attempts = [{"type": "purchase", "warehouse": rng.choice(["MAIN", "WEST"]), "lines": [{"sku": "C0", "serials": codes}]}]
        else:
            c = rng.randrange(pool_chunks)
            codes = [f"POOL-{c:04d}-{i:02d}" for i in range(POOL_CHUNK)]
            sku = f"C{1 + c % 3}"
            lines = [{"sku": sku, "serials": codes}]
            moves = [
                {"type": "transfer", "warehouse": "MAIN", "to_warehouse": "WEST", "lines": lines},
                {"type": "transfer", "warehouse": "WEST", "to_warehouse": "MAIN", "lines": lines},
                {"type": "sale", "warehouse": rng.choice(["MAIN", "WEST"]), "lines": lines},
                {"type": "sale_return", "warehouse": "MAIN", "lines": lines},
            ]
            rng.shuffle(moves)
            attempts = moves
        for document in attempts:
            try:
                draft = Draft(document["type"], document["warehouse"], document.get("to_warehouse"))
                if document["type"] in ("purchase", "sale_return"):
                    draft.choose_item(document["lines"][0]["sku"])
                for text in codes[:5]:
                    draft.add(text)
                    scans += 1
                posted = ledger.post(document)
            except KioskError as exc:
                if exc.code == "db_unavailable":
                    errors += 1
                refused += 1
                continue
            done.append((posted["number"], posted["type"], codes))
            break
    kdb.close()
    queue.put({"worker": worker, "done": done, "refused": refused, "scans": scans, "errors": errors})


def many_stations(url: str, stations: int, seconds: float, report: Report, backend: str) -> None:
    kdb.connect(url)
    ledger = Ledger(station="setup", operator="setup")
    for wh in ("MAIN", "WEST"):
        ledger.add_warehouse(wh)
    for n in range(4):
        ledger.add_item(catalog.ItemSpec(sku=f"C{n}", name=f"Contested {n}", serial=True))
    pool_chunks = 50 * stations
    intended: dict[str, int] = {}
    log: list[tuple[str, str, list[str]]] = []
    for first in range(0, pool_chunks, 50):
        lines = {}
        for c in range(first, first + 50):
            lines.setdefault(f"C{1 + c % 3}", []).extend(f"POOL-{c:04d}-{i:02d}" for i in range(POOL_CHUNK))
        posted = ledger.post({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": s, "serials": v} for s, v in lines.items()]})
        log.append((posted["number"], "purchase", [c for v in lines.values() for c in v]))
    kdb.close()

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=station_worker, args=(url, w, seconds, pool_chunks, 100 + w, queue)) for w in range(stations)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - started
    for r in results:
        log.extend(r["done"])
    posted_serials = sum(len(codes) for _, _, codes in log[pool_chunks // 50 :])
    movements = sum(len(codes) * (2 if kind == "transfer" else 1) for _, kind, codes in log[pool_chunks // 50 :])
    docs = len(log) - pool_chunks // 50
    refused = sum(r["refused"] for r in results)
    scans = sum(r["scans"] for r in results)
    errors = sum(r["errors"] for r in results)
    for _, kind, codes in log:
        for c in codes:
            intended[c] = intended.get(c, 0) + (2 if kind == "transfer" else 1)

    kdb.connect(url)
    problems = verify(log, intended)
    kdb.close()
    lost, doubled = problems["lost"], problems["doubled"]
    report.put(
        f"many stations: {stations} processes × {seconds:.0f} s, posting and scanning", backend,
        f"{docs / wall:.0f} docs/s, {movements / wall:,.0f} movements/s ({posted_serials:,} serials in {docs} documents, "
        f"{refused} refused by a rule as intended, {scans:,} scans, {errors} db_unavailable)",
    )
    report.put(
        "many stations: serials lost / posted twice / other faults", backend,
        f"{lost} / {doubled} / {problems['other']} (of {len(intended):,} serials, {problems['movements']:,} movements checked)",
        "0 / 0 / 0", lost == doubled == problems["other"] == 0,
    )
    if problems["examples"]:
        report.notes.append(f"{backend} many stations: " + "; ".join(problems["examples"][:5]))


def verify(log: list[tuple[str, str, list[str]]], intended: dict[str, int]) -> dict:
    """After the run: the database holds exactly what the stations were told was posted.

    - every document a station saw posted is in the database with exactly its serials,
      and no other document exists (nothing posted twice behind a station's back);
    - each serial has exactly the movements intended (purchase, sale, return: one;
      transfer: two), non-voided, alternating in/out, every out leaving the warehouse
      of the in before it, and the serial's state is its last movement (nothing lost);
    - stock counters equal the movements: per item and warehouse, on hand and
      serials in stock = ins − outs = the serials whose state says in stock there.
    """
    from kiosk.model.tables import Document, Movement, Serial, Stock

    examples: list[str] = []
    lost = doubled = other = 0
    logged = {number: set(codes) for number, _, codes in log}
    documents = {d.id: d.number for d in Document.select(Document.id, Document.number)}
    extra = set(documents.values()) - set(logged)
    if extra:
        doubled += len(extra)
        examples.append(f"documents no station saw posted: {sorted(extra)[:5]}")
    serials = {s.id: s for s in Serial.select()}
    moves: dict[int, list] = {}
    in_doc: dict[str, set[str]] = {}
    count = 0
    for m in Movement.select().order_by(Movement.id):
        count += 1
        moves.setdefault(m.serial_id, []).append(m)
        in_doc.setdefault(documents[m.document_id], set()).add(serials[m.serial_id].code)
    for number, codes in logged.items():
        if in_doc.get(number, set()) != codes:
            other += 1
            examples.append(f"{number}: serials differ from what was posted")
    seen = set()
    counters: dict[tuple[int, int], int] = {}
    for sid, serial in serials.items():
        seen.add(serial.code)
        ms_ = moves.get(sid, [])
        want = intended.get(serial.code, 0)
        live = [m for m in ms_ if not m.voided]
        if len(live) > want:
            doubled += 1
            examples.append(f"{serial.code}: {len(live)} movements, {want} intended")
            continue
        if len(live) < want:
            lost += 1
            examples.append(f"{serial.code}: {len(live)} movements, {want} intended")
            continue
        where = None
        ok = True
        for i, m in enumerate(live):
            if m.direction != ("in" if i % 2 == 0 else "out") or (m.direction == "out" and m.warehouse_id != where):
                ok = False
            where = m.warehouse_id if m.direction == "in" else None
        state = ("in_stock", where) if where else ("out", None)
        if not ok:
            doubled += 1
            examples.append(f"{serial.code}: movements do not alternate in/out from one warehouse")
        elif (serial.status, serial.warehouse_id) != state:
            lost += 1
            examples.append(f"{serial.code}: state {serial.status} {serial.warehouse_id}, movements say {state}")
        if where:
            counters[(serial.item_id, where)] = counters.get((serial.item_id, where), 0) + 1
    missing = set(intended) - seen
    lost += len(missing)
    if missing:
        examples.append(f"never written: {sorted(missing)[:5]}")
    for st in Stock.select():
        n = counters.pop((st.item_id, st.warehouse_id), 0)
        if st.serials_in_stock != n or st.on_hand != n:
            other += 1
            examples.append(f"stock item {st.item_id} wh {st.warehouse_id}: on hand {st.on_hand}, serials {st.serials_in_stock}, movements say {n}")
    if any(counters.values()):
        other += 1
        examples.append(f"serials in stock without a stock row: {counters}")
    return {"lost": lost, "doubled": doubled, "other": other, "examples": examples, "movements": count}


# ---------------------------------------------------------------- main


def machine() -> str:
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model or platform.processor()}, "
            f"{ram:.0f} GiB RAM, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, load average at start {load:.1f}")


def new_dataset(url: str, serials: int, backend: str) -> tuple[Ledger, Build]:
    kdb.connect(url)
    ledger = Ledger(station="bench", operator="bench")
    setup_catalog(ledger)
    say(f"{backend}: building {serials:,} serials through Ledger.post")
    started = time.perf_counter()
    build = build_dataset(ledger, serials)
    build.spent = time.perf_counter() - started
    say(f"{backend}: built in {build.spent:.0f} s; {build.movements:,} movements")
    return ledger, build


def report_build(report: Report, backend: str, build: Build) -> None:
    docs = sum(len(t) for t in build.times.values())
    report.put("dataset built through Ledger.post", backend,
               f"{build.blocks * BLOCK + 900:,} serials, {build.movements:,} movements, {docs:,} documents in {build.spent:.0f} s")


def sqlite_part(args, report: Report, tmp: Path) -> None:
    keep = Path(args.keep) if args.keep else None
    path = (keep or tmp) / "million.db"
    url = f"sqlite:///{path}"
    saved = keep / "build.json" if keep else None
    if saved and saved.exists() and path.exists():
        kdb.connect(url)
        ledger = Ledger(station="bench", operator="bench")
        build = Build(**json.loads(saved.read_text()))
        build.where = {int(b): w for b, w in build.where.items()}
        say(f"SQLite: reusing {path} (--keep); build figures are from the run that built it")
    else:
        ledger, build = new_dataset(url, args.serials, "sqlite")
        say(f"SQLite: file {path.stat().st_size / 2**20:.0f} MiB")
        if saved:
            saved.write_text(json.dumps(build.__dict__))
    report_build(report, "sqlite", build)
    kdb.db.obj.execute_sql("PRAGMA optimize")
    posting_rate(ledger, build, report, "sqlite", str(path), args.samples)
    say("SQLite: posting rate measured")
    scan_figures(build, report, "sqlite", args.reps * 10)
    search_figures(ledger, build, report, "sqlite", args.reps)
    say("SQLite: scans, searches and history measured")
    kdb.close()
    export_figures(url, report, "sqlite", tmp, 0 if args.no_xlsx else args.xlsx_rows)
    say("SQLite: export measured")
    cli_figures(url, build, report)
    station_figures(url, report)
    say("SQLite: command line and station measured")
    if not keep:
        path.unlink()


def pg_part(args, report: Report) -> None:
    from tests.pg import PostgresServer

    say("PostgreSQL: starting a throwaway server")
    server = PostgresServer().start()
    try:
        server.execute("CREATE DATABASE bench")
        ledger, build = new_dataset(server.url("bench"), args.pg_serials, "pg")
        report_build(report, "pg", build)
        kdb.db.obj.execute_sql("ANALYZE")
        posting_rate(ledger, build, report, "pg", None, args.samples)
        scan_figures(build, report, "pg", args.reps * 10)
        search_figures(ledger, build, report, "pg", args.reps)
        kdb.close()
        say("PostgreSQL: posting, scans, searches and history measured")
        if not args.no_stations:
            server.execute("CREATE DATABASE stations")
            many_stations(server.url("stations"), 8, args.station_seconds, report, "pg")
            say("PostgreSQL: many stations measured")
    finally:
        kdb.close()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20,000 serials (10,000 on PostgreSQL), short")
    parser.add_argument("--serials", type=int, default=1_000_000)
    parser.add_argument("--pg-serials", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=20, help="1000-serial purchases timed for the posting rate")
    parser.add_argument("--reps", type=int, default=100, help="repetitions of each search and history")
    parser.add_argument("--station-seconds", type=float, default=20)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-stations", action="store_true")
    parser.add_argument("--no-xlsx", action="store_true")
    parser.add_argument("--xlsx-rows", type=int, default=100_000, help="rows exported to XLSX (0: skip; openpyxl writes ~10,000 rows/s, so all 1M would take minutes)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--keep", metavar="DIR", help="keep the SQLite database in DIR and reuse it on the next run (to iterate on reads)")
    args = parser.parse_args()
    if args.quick:
        args.serials, args.pg_serials, args.samples, args.reps, args.station_seconds, args.xlsx_rows = 20_000, 10_000, 5, 20, 5, 5_000
    report = Report()
    report.notes.append("machine: " + machine())
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    try:
        if not args.no_sqlite:
            sqlite_part(args, report, tmp)
            if not args.no_stations:
                many_stations(f"sqlite:///{tmp / 'stations.db'}", 4, args.station_seconds, report, "sqlite")
                say("SQLite: many stations measured")
        if not args.no_pg:
            pg_part(args, report)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - STARTED
    report.notes.append(f"benchmark total run time: {total:.0f} s ({' '.join(sys.argv[1:]) or 'full size'})")
    print(report.markdown())
    print()
    for note in report.notes:
        print(f"- {note}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": [r.__dict__ for r in report.rows], "notes": report.notes}, indent=1))


if __name__ == "__main__":
    main()
