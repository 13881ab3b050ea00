"""Posting and voiding read and write in bulk: the number of queries does not follow the serials.

A 1000-serial purchase, transfer, sale or void takes the same handful of queries as a 10-serial one,
give or take one per extra chunk of ``ledger.CHUNK`` rows (IN lists and bulk inserts
are cut in chunks so that no statement grows without bound).
"""

from __future__ import annotations

import math

from playhouse.test_utils import count_queries
from rules_support import doc, line, world  # noqa: F401

from kiosk.model import ledger as ledger_module

# statements per chunk of serials: read serials, read carton codes, insert serials,
# read their ids, insert movements (a purchase); or read, update, insert (a sale);
# or find later movements, the state before, lock, update (a void)
PER_CHUNK = 5
BOUND = 40


def queries(call, *args) -> tuple[int, object]:
    with count_queries() as counter:
        result = call(*args)
    return counter.count, result


def test_posting_and_voiding_take_a_bounded_number_of_queries(world):
    """purchase → transfer → sale of n serials, then the voids in reverse, for n = 10 and 1000."""
    counts = {}
    for n in (10, 1000):
        codes = [f"Q{n}-{i:04d}" for i in range(n)]
        numbers = {}
        for step, warehouse, extra in [("purchase", "MAIN", {}), ("transfer", "MAIN", {"to_warehouse": "WEST"}), ("sale", "WEST", {})]:
            document = doc(step, line(serials=codes), warehouse=warehouse, **extra)
            counts[(step, n)], posted = queries(world.post, document)
            numbers[step] = posted["number"]
        for step in ("sale", "transfer", "purchase"):
            counts[("void " + step, n)], _ = queries(world.void, numbers[step])
    extra_chunks = math.ceil(1000 / ledger_module.CHUNK) - 1
    for step in ("purchase", "transfer", "sale", "void sale", "void transfer", "void purchase"):
        small, large = counts[(step, 10)], counts[(step, 1000)]
        assert large <= BOUND, counts
        assert large - small <= PER_CHUNK * extra_chunks, counts
