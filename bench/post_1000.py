"""Wall time of ``kiosk --json doc post`` for one 1000-serial purchase on SQLite.

Run by hand (not a test: tests are never timed):

    .venv/bin/python bench/post_1000.py [--runs 5]

Each run posts a purchase of 1000 new serials to a fresh-enough SQLite file through
the installed ``kiosk`` script, process start included, and the median is printed.
The target is under one second. ``python -X importtime`` and ``cProfile`` show where
the time goes when it is not.

About a third of the time is Python starting and importing; with
``PYTHONDONTWRITEBYTECODE=1`` every run also compiles kiosk and peewee from source
(about 0.1 s more), which an installed station never does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIOSK = str(Path(sys.executable).with_name("kiosk"))


def kiosk(url: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([KIOSK, "--db", url, "--json", *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"kiosk {' '.join(args)} failed: {result.stdout}{result.stderr}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        kiosk(url, "warehouse", "add", "MAIN")
        kiosk(url, "item", "add", "PHN", "--name", "Phone", "--serial")
        times = []
        for run in range(args.runs):
            document = Path(tmp) / f"purchase-{run}.json"
            serials = [f"B{run}-{n:06d}" for n in range(1000)]
            document.write_text(json.dumps({"type": "purchase", "warehouse": "MAIN", "lines": [{"sku": "PHN", "serials": serials}]}))
            started = time.perf_counter()
            result = kiosk(url, "doc", "post", str(document))
            times.append(time.perf_counter() - started)
            assert len(json.loads(result.stdout)["posted"][0]["lines"][0]["serials"]) == 1000
    print(f"kiosk --json doc post (1000 serials, SQLite, process start included): "
          f"median {statistics.median(times):.3f} s of {args.runs} runs "
          f"(min {min(times):.3f} s, max {max(times):.3f} s)")


if __name__ == "__main__":
    main()
