"""What every command gets: the resolved configuration, the database, and the output.

Commands return JSON-ready values; ``Context.emit`` prints them as one JSON value
(``--json``) or as readable text, and every piece of text that came from outside
(scans, names, file contents) goes through ``safe`` first, so it never reaches the
terminal as a control sequence.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from ..model.errors import KioskError
from ..model.text import printable as safe  # the one escaping rule, shared with the screens


def is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def width(text: str) -> int:
    return sum(2 if is_wide(ch) else 1 for ch in text)


@dataclass
class Context:
    json: bool = False
    db_url: str | None = None
    config_path: str | None = None
    out: Any = field(default_factory=lambda: sys.stdout)
    err: Any = field(default_factory=lambda: sys.stderr)
    _config: Any = None
    _ledger: Any = None

    @property
    def config(self):
        if self._config is None:
            from .. import config

            self._config = config.load(self.config_path)
        return self._config

    def database_url(self) -> str:
        from ..model.db import default_url

        return self.db_url or os.environ.get("KIOSK_DB") or self.config.database.url or default_url()

    def connect(self):
        from ..model import db

        return db.connect(self.database_url())

    @property
    def ledger(self):
        if self._ledger is None:
            from ..model.api import Ledger

            self.connect()
            self._ledger = Ledger(station=self.config.station.name, operator=operator_name())
        return self._ledger

    # output ---------------------------------------------------------------
    def emit(self, value: Any, human: Callable[[Any], str] | None = None) -> None:
        if self.json:
            print(json.dumps(value, ensure_ascii=True), file=self.out)
        else:
            text = human(value) if human else render(value)
            if text:
                print(text, file=self.out)

    def fail(
        self, error: KioskError, partial: dict | None = None, human: Callable[[Any], str] | None = None
    ) -> int:
        """Report ``error``; ``partial`` is what was done before it (e.g. documents posted)."""
        if self.json:
            body = dict(partial or {})
            body.update(error.as_json())
            print(json.dumps(body, ensure_ascii=True), file=self.out)
        else:
            if partial:
                text = human(partial) if human else render(partial)
                if text:
                    print(text, file=self.out)
            print(f"kiosk: {error.code}: {safe(error.message)}", file=self.err)
        return error.exit_status


def operator_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry
        return "cli"


# ---------------------------------------------------------------- readable output


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    if not rows:
        return "(none)"
    columns = columns or [k for k, v in rows[0].items() if not isinstance(v, (list, dict))]
    cells = [[cell(row.get(c), CELL_WIDTH) for c in columns] for row in rows]
    widths = [max(width(c), *(width(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip()]
    for r in cells:
        lines.append("  ".join(v + " " * (w - width(v)) for v, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


CELL_WIDTH = 60  # a table cell longer than this is cut, so one long note cannot flood the screen


def cell(value: Any, limit: int | None = None) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = safe(" ".join(map(str, value)) if isinstance(value, (list, tuple)) else value)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def render(value: Any) -> str:
    """A generic readable form: a table for lists, ``key: value`` lines for objects."""
    if isinstance(value, dict) and set(value) == {"results"}:
        return table(value["results"])
    if isinstance(value, list):
        return table(value)
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, list) and item and isinstance(item[0], dict):
                lines.append(f"{key}:")
                lines.extend("  " + line for line in table(item).splitlines())
            elif isinstance(item, dict):
                lines.append(f"{key}:")
                lines.extend(f"  {safe(k)}: {cell(v)}" for k, v in item.items())
            else:
                lines.append(f"{key}: {cell(item)}")
        return "\n".join(lines)
    return cell(value)
