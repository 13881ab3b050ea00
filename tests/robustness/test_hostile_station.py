"""SPEC §8: scanned or imported text never reaches the station's terminal as markup or
as control sequences.

Scans come from an evdev scanner (``scan_from_device``: any character, ESC and BEL
included), from a keyboard-wedge burst (``type_scan``) and from a paste. After each,
the widget shows the text escaped or literal, and no rendered segment of the whole
screen holds a control character: what Textual writes to the terminal is then only
its own styling and cursor sequences.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import DataTable

from kiosk.hardware.decoder import Scan
from kiosk.model.catalog import ItemSpec
from kiosk.screens.widgets.scanbox import ScanBox
from kiosk.screens.widgets.verdict import Verdict
from tests.station_support import demo_station, type_scan

SIZE = (120, 40)
# C0 and C1 controls, DEL, and the bidi/format characters that reorder or hide text
FORBIDDEN = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} | set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def screen_text(app) -> str:
    """Every character the screen's next full repaint would write, styling aside."""
    update = app.screen._compositor.render_full_update()
    return "".join(seg.text for line in update.strips for strip in line for seg in strip if not seg.control)


def raw_controls(app) -> set[str]:
    return set(screen_text(app)) & FORBIDDEN


def verdict(app) -> str:
    return str(app.screen.query_one(Verdict).render())


@pytest.fixture
def station(sqlite_url):
    return demo_station(sqlite_url)


@pytest.mark.parametrize(
    "scan, shown",
    [
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # OSC: set the terminal's title
        ("\x1b[2J", "\\x1b[2J"),  # CSI: clear the screen
        ("PHN\x9b31mX", "PHN\\x9b31mX"),  # C1 CSI
        ("\u202eevil", "\\u202eevil"),  # bidi override
        ("A\x07\x08\x7fB", "A\\x07\\x08\\x7fB"),  # BEL, backspace, DEL
    ],
)
async def test_control_sequences_from_a_scanner_are_shown_escaped(station, scan, shown):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await station.scan_from_device(Scan(scan, scanner="dock"))
        await pilot.pause()
        assert shown in verdict(station) and "not a valid serial" in verdict(station)
        assert shown in screen_text(station)
        assert raw_controls(station) == set()
        assert station.bells == 1 and station.screen.draft.count == 0


async def test_a_scan_in_no_scanning_mode_is_named_escaped(station):
    async with station.run_test(size=SIZE) as pilot:
        await station.scan_from_device(Scan("\x1b]0;pwned\x07", scanner="dock"))  # on the home screen
        await pilot.pause()
        assert raw_controls(station) == set()
        assert any("\\x1b]0;pwned\\x07" in str(n.message) for n in station._notifications)


async def test_markup_in_a_scan_is_literal_text(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await type_scan(pilot, "PHN-100", "[red]X[/red]", "[link=http://x]Y[/link]")
        assert station.screen.draft.serials() == ["[red]X[/red]", "[link=http://x]Y[/link]"]
        assert "[link=http://x]Y[/link]" in verdict(station)
        table = station.screen.query_one("#scanned", DataTable)
        assert [str(table.get_row_at(i)[1]) for i in range(table.row_count)] == ["[red]X[/red]", "[link=http://x]Y[/link]"]
        text = screen_text(station)
        assert "[red]X[/red]" in text and "[link=http://x]Y[/link]" in text


async def test_a_pasted_control_sequence_stays_escaped_in_the_scan_field(station):
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        station.screen.query_one(ScanBox).post_message(events.Paste("\x1b[2J\x07"))
        await pilot.pause()
        assert "\\x1b[2J\\x07" in str(station.screen.query_one(ScanBox).render())
        assert raw_controls(station) == set()
        await pilot.press("enter")
        assert "\\x1b[2J\\x07" in verdict(station)
        assert raw_controls(station) == set()


async def test_an_item_name_with_markup_is_shown_as_written(station):
    station.ledger.add_item(ItemSpec("EVIL", "[bold red]Evil[/] [link=x]co[/link]", serial=True))
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await type_scan(pilot, "EVIL")
        assert "[bold red]Evil[/] [link=x]co[/link]" in verdict(station)
        assert "[bold red]Evil[/] [link=x]co[/link]" in screen_text(station)


async def test_a_partner_with_control_sequences_is_escaped_in_the_documents_screen(station):
    station.ledger.post({"type": "purchase", "warehouse": "MAIN", "partner": "Acme\x1b]0;pwned\x07\x9b2J\u202e",
                         "lines": [{"sku": "PHN-100", "serials": ["HOSTILE-1"]}]})
    async with station.run_test(size=SIZE) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        assert raw_controls(station) == set()
        await pilot.press("enter")  # the newest document, opened
        await pilot.pause()
        assert raw_controls(station) == set()
