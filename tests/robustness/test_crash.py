"""SPEC §3/§8: a station killed (SIGKILL) at any moment of posting leaves only whole
documents and a usable database.

Each round runs the real command line (``kiosk doc post`` of a JSON Lines batch) in a
subprocess and kills it at a random moment 20–400 ms after its first post began. The
child reports each ``write_transaction`` on stderr (``begin``/``end``) so the test
knows where the kill landed. After every kill: ``PRAGMA integrity_check`` is ok, the
batch's documents present are its first N, each with all its lines, serials and
movements, the serial rows and stock counters equal what the movements imply, and the
next post goes through.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.robustness.support import (
    batch,
    check_counters,
    check_whole,
    integrity,
    jsonl,
    path_of,
    post_works,
    prepare,
)

ROUNDS = 20
BATCH = 300  # more documents than any round can post before its kill
SEED = int(os.environ.get("CRASH_SEED", "20261126"))
ROOT = Path(__file__).resolve().parents[2]

TRACED_CLI = """
import os, sys
import kiosk.model.ledger as ledger
from kiosk.cli import main

inner = ledger.write_transaction

def traced(work):
    os.write(2, b"begin\\n")
    try:
        return inner(work)
    finally:
        os.write(2, b"end\\n")

ledger.write_transaction = traced
sys.exit(main(sys.argv[1:]))
"""


class Victim:
    """``kiosk --db URL --json doc post FILE`` in a subprocess, its stderr read as it comes."""

    def __init__(self, url: str, file: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", TRACED_CLI, "--db", url, "--json", "doc", "post", str(file)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self.lines: list[str] = []
        self.started = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for raw in self.proc.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            if self.lines[-1] == "begin":
                self.started.set()
        self.started.set()

    def kill_after(self, delay: float) -> bool:
        """SIGKILL ``delay`` s after the first post began; True when it landed inside a post."""
        assert self.started.wait(30), "the batch never started posting"
        time.sleep(delay)
        finished = self.proc.poll() is not None
        if not finished:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.reader.join(30)
        assert finished or self.proc.returncode == -signal.SIGKILL
        return not finished and self.lines[-1] == "begin"


def test_sigkill_during_batch_posting_leaves_whole_documents_and_a_usable_database(sqlite_url, tmp_path):
    prepare(sqlite_url)
    path = path_of(sqlite_url)
    rng = random.Random(SEED)
    inside = total = 0
    for round_no in range(ROUNDS):
        docs = batch(f"K{round_no:02d}", BATCH)
        file = tmp_path / f"batch-{round_no}.jsonl"
        file.write_text(jsonl(docs))
        inside += Victim(sqlite_url, file).kill_after(rng.uniform(0.02, 0.4))

        assert integrity(path) == "ok", round_no
        expected = {d["note"]: d for d in docs}
        present = check_whole(path, expected)
        assert present < BATCH, "the kill came after the whole batch: make the batch longer"
        with sqlite3.connect(path) as con:
            notes = [n for (n,) in con.execute("SELECT note FROM document WHERE note LIKE ? ORDER BY id", (f"K{round_no:02d}#%",))]
        con.close()
        assert notes == [d["note"] for d in docs[:present]], round_no  # the batch's first N, in order
        check_counters(path)
        post_works(sqlite_url, [f"AFTER{round_no:02d}-{i}" for i in range(3)])
        total += present
    print(f"{ROUNDS} SIGKILLs, {inside} inside a post, {total} documents posted before them")
    assert inside >= ROUNDS // 2, f"only {inside} of {ROUNDS} kills landed inside a post"
    assert total > ROUNDS  # the batches were posting, not starting up
