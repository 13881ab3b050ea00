"""Posting reads and writes in bulk: the number of queries does not follow the serials.

A 1000-serial purchase or sale takes the same handful of queries as a 10-serial one,
give or take one per extra chunk of ``ledger.CHUNK`` rows (IN lists and bulk inserts
are cut in chunks so that no statement grows without bound).
"""

from __future__ import annotations

import math

from playhouse.test_utils import count_queries
from rules_support import post, line, world  # noqa: F401

from kiosk.model import ledger as ledger_module

# statements per chunk of serials: read serials, read carton codes, insert serials,
# read their ids, insert movements (a purchase); or read, update, insert (a sale)
PER_CHUNK = 5
BOUND = 40


def queries_to_post(ledger, doc_type: str, codes: list[str]) -> int:
    with count_queries() as counter:
        post(ledger, doc_type, line(serials=codes))
    return counter.count


def test_posting_takes_a_bounded_number_of_queries(world):
    counts = {}
    for n in (10, 1000):
        codes = [f"Q{n}-{i:04d}" for i in range(n)]
        counts[("purchase", n)] = queries_to_post(world, "purchase", codes)
        counts[("sale", n)] = queries_to_post(world, "sale", codes)
    extra_chunks = math.ceil(1000 / ledger_module.CHUNK) - 1
    for doc_type in ("purchase", "sale"):
        small, large = counts[(doc_type, 10)], counts[(doc_type, 1000)]
        assert large <= BOUND, counts
        assert large - small <= PER_CHUNK * extra_chunks, counts
