"""Widgets of our own, and the one way outside text becomes screen text."""

from __future__ import annotations

from rich.text import Text

from ...model.text import printable


def data(value: object, style: str = "") -> Text:
    """Scanned, typed or stored text for the screen: a ``Text`` (never parsed as markup)
    with every control, format and other non-printable character escaped, so an ESC,
    an OSC title, a C1 CSI or a bidi override in a name or a scan is shown, not obeyed."""
    lines = str("" if value is None else value).split("\n")  # line breaks are layout, kept
    return Text("\n".join(printable(line) for line in lines), style=style)
