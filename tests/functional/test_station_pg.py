"""A PostgreSQL server stopped mid-shift and started again: nothing lost, nothing twice."""

from __future__ import annotations

import time

from kiosk.model.tables import Document, Movement, Serial
from tests.station_support import demo_station, type_scan


async def until(pilot, predicate, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        await pilot.pause(0.05)


def verdict(app) -> str:
    return str(app.screen.query_one("#verdict").render())


async def test_the_pending_sale_posts_once_when_the_server_is_back(pg_server, pg_url):
    app = demo_station(pg_url)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await type_scan(pilot, "PHN100-0001", "PHN100-0002")
        assert app.screen.draft.count == 2
        pg_server.pause()
        try:
            await pilot.press("f10", "enter")
            await until(pilot, lambda: "database unavailable" in verdict(app))
            assert app.is_running and app.screen.draft.count == 2  # the scans are kept
            await type_scan(pilot, "PHN100-0003")  # no new scans while the post is unconfirmed
            assert app.screen.draft.count == 2
            await pilot.press("f10")  # a retry while the server is down fails again, harmlessly
            await until(pilot, lambda: not app.screen.posting)
        finally:
            pg_server.resume()
        await until(pilot, lambda: "posted SAL-" in verdict(app))  # the retry timer posts it
        assert app.screen.pending is None and app.screen.draft.count == 0
    sales = list(Document.select().where(Document.type == "sale", Document.status == "posted"))
    assert len(sales) == 2  # the demo's one and ours, once
    for code in ("PHN100-0001", "PHN100-0002"):
        serial = Serial.get(Serial.code == code)
        assert serial.status == "out"
        assert Movement.select().where(Movement.serial == serial.id).count() == 2  # purchase in, sale out
