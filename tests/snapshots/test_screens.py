"""What a clerk sees: every screen of the station at 80×24 and 120×40, as SVG.

The demo database is built with a frozen clock, so the times shown do not change;
text cursors do not blink. Regenerate after a deliberate change with
``pytest tests/snapshots --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.station_support import demo_station, freeze_clock, type_scan

SIZES = [(80, 24), (120, 40)]


async def still(pilot) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def checkout_with_scans(pilot) -> None:
    await pilot.press("f2")
    await type_scan(pilot, "PHN100-0001", "PHN100-0002", "PHN100-0002")
    await still(pilot)


async def receiving_with_item(pilot) -> None:
    await pilot.press("f1")
    await type_scan(pilot, "PHN-100", "NEW-0001", "序列号")
    await still(pilot)


async def stocktake_partly_counted(pilot) -> None:
    await pilot.press("f3")
    await type_scan(pilot, "PHN-100", *[f"PHN100-{n:04d}" for n in range(1, 17)], "TAB200-0001")
    await still(pilot)


def pressing(*keys: str):
    async def run(pilot) -> None:
        await pilot.press(*keys)
        await still(pilot)

    return run


SCREENS = {
    "home": pressing(),
    "receiving": receiving_with_item,
    "checkout": checkout_with_scans,
    "stocktake": stocktake_partly_counted,
    "transfer": pressing("f4"),
    "search": pressing("f5"),
    "documents": pressing("f6"),
    "items": pressing("f7"),
    "settings": pressing("f8"),
    "confirm": lambda pilot: _confirm(pilot),
}


async def _confirm(pilot) -> None:
    await pilot.press("f2")
    await type_scan(pilot, "PHN100-0003")
    await pilot.press("f10")
    await still(pilot)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, sqlite_url, monkeypatch, screen, size):
    freeze_clock(monkeypatch)
    app = demo_station(sqlite_url)
    assert snap_compare(app, terminal_size=size, run_before=SCREENS[screen])
