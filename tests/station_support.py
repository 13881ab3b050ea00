"""Helpers for driving the real station on a real demo database under Pilot."""

from __future__ import annotations

import datetime as dt

from textual import events
from textual.keys import _character_to_key

from kiosk import demo
from kiosk.model import db as kdb
from kiosk.model.api import Ledger
from kiosk.model.tables import Document, Movement, Serial
from kiosk.screens.app import StationApp, StationInfo
from kiosk.screens.widgets.scanbox import GS

FROZEN = dt.datetime(2026, 11, 26, 9, 30, 0)


def freeze_clock(monkeypatch) -> None:
    """Every time stamp the ledger writes is FROZEN: snapshots do not change by the minute."""
    import kiosk.model.catalog
    import kiosk.model.ledger

    monkeypatch.setattr(kiosk.model.ledger, "utcnow", lambda: FROZEN)
    monkeypatch.setattr(kiosk.model.catalog, "utcnow", lambda: FROZEN)


class Station(StationApp):
    """The real app, counting the bells it rings (a refused scan must ring one)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.bells = 0

    def bell(self) -> None:
        self.bells += 1


def demo_station(
    url: str, *, operator: str | None = "demo", locked_mode: str | None = None, scanner_names=(), **services
) -> Station:
    kdb.connect(url)
    ledger = Ledger(station=demo.DEMO_STATION, operator=operator or "")
    demo.fill(ledger)
    info = StationInfo(
        name="demo", warehouse="MAIN", operator=operator, locked_mode=locked_mode, scanners=list(scanner_names)
    )
    return Station(ledger, info, **services)


async def type_scan(pilot, *scans: str) -> None:
    """What a keyboard-wedge scanner does: each scan's characters and Enter as one burst
    of key events into the terminal driver, with no pause between keys; then wait
    until the app has handled them all."""
    app = pilot.app
    for text in scans:
        for ch in text:
            event = events.Key(_key_name(ch), ch)
            event.set_sender(app)
            app._driver.send_message(event)
        enter = events.Key("enter", "\r")
        enter.set_sender(app)
        app._driver.send_message(enter)
    await settled(pilot)


async def settled(pilot, quiet: int = 3, timeout: float = 10.0) -> None:
    """Wait until the burst is handled: the screen's state unchanged for a few polls
    (a loaded machine may take a while; a fixed pause would make tests flaky)."""
    import time

    end, last, same = time.monotonic() + timeout, None, 0
    while same < quiet and time.monotonic() < end:
        await pilot.pause(0.02)
        screen = pilot.app.screen
        now = (
            getattr(getattr(screen, "draft", None), "count", None),
            str(screen.query_one("#verdict").render()) if screen.query("#verdict") else None,
            screen.query_one("ScanBox").buffer if screen.query("ScanBox") else None,
        )
        same = same + 1 if now == last and not now[2] else 0
        last = now


def _key_name(ch: str) -> str:
    if ch.isalnum() and ch.isascii():
        return ch
    if ch == GS:
        return "ctrl+right_square_bracket"
    return _character_to_key(ch) if ch.isascii() else ch


async def as_supervisor(pilot) -> None:
    """Answer an open PIN dialog as the demo's supervisor."""
    await pilot.press(*"boss", "enter", *"9999", "enter")


def select_row(table, key: str) -> None:
    """Put the cursor of a DataTable on the row with this key."""
    keys = [table.coordinate_to_cell_key((r, 0)).row_key.value for r in range(table.row_count)]
    table.move_cursor(row=keys.index(key))


def last_movement(code: str) -> tuple[str, str, bool]:
    """(document type, direction, voided) of a serial's latest movement."""
    row = (
        Movement.select(Document.type, Movement.direction, Movement.voided)
        .join(Document)
        .switch(Movement)
        .join(Serial)
        .where(Serial.code == code)
        .order_by(Movement.id.desc())
        .tuples()
        .first()
    )
    return row
