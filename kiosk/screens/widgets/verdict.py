"""The answer to the last scan: large, green or red, with the reason."""

from __future__ import annotations

from textual.widgets import Static

from . import data


class Verdict(Static):
    DEFAULT_CSS = """
    Verdict {
        height: 3;
        content-align: left middle;
        padding: 0 2;
        text-style: bold;
        background: $panel;
    }
    Verdict.-ok {
        background: $success 60%;
        color: $text;
    }
    Verdict.-refused {
        background: $error 70%;
        color: $text;
    }
    Verdict.-info {
        background: $primary 40%;
    }
    """

    def show(self, message: str, state: str) -> None:
        """``state`` is ok, refused or info; the message is data, never markup."""
        self.set_classes(f"-{state}")
        mark = {"ok": "✔ ", "refused": "✘ ", "info": "• "}[state]
        self.update(data(mark + message))
