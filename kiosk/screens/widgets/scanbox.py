"""The scan field: takes a keyboard-wedge scanner's burst, GS included, and lists.

Textual's ``Input`` drops GS (ASCII 29, typed by scanners as Ctrl+]) and lets
unhandled letters fall through to bindings; this widget keeps every printable key and
the GS in order, stops them there, and leaves only function keys, Escape and the
arrows to the screen. Enter submits: one code is a ``Scanned``, several codes (typed
or pasted with the separators of SPEC §2) are a ``ListEntered``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from ...model.codes import split_entry

GS = "\x1d"
SUBMIT_KEYS = ("enter", "ctrl+m", "ctrl+j")


def visible(text: str) -> Text:
    """A scan as the clerk sees it: GS as ␝, other control characters escaped, no markup."""
    shown = "".join(
        "␝" if ch == GS else ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text
    )
    return Text(shown)


class ScanBox(Widget, can_focus=True):
    DEFAULT_CSS = """
    ScanBox {
        height: 3;
        border: tall $accent;
        padding: 0 1;
        background: $boost;
    }
    ScanBox:focus {
        border: tall $success;
    }
    """

    buffer: reactive[str] = reactive("", layout=False)

    @dataclass
    class Scanned(Message):
        """One code, from the keyboard (wedge scanner or typing) or an evdev scanner."""

        text: str
        source: str = "keyboard"

    @dataclass
    class ListEntered(Message):
        """Several codes at once: a typed or pasted list."""

        codes: list[str]

    def __init__(self, placeholder: str = "scan or type a code, Enter", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.placeholder = placeholder

    def render(self) -> Text:
        if not self.buffer:
            return Text("▶ ", style="bold") + Text(self.placeholder, style="dim")
        return Text("▶ ", style="bold") + visible(self.buffer) + Text("▏", style="blink")

    def on_key(self, event: events.Key) -> None:
        key = event.key
        if key in SUBMIT_KEYS:
            self.submit()
        elif key == "backspace":
            self.buffer = self.buffer[:-1]
        elif key == "ctrl+u":
            self.buffer = ""
        elif event.character == GS or key == "ctrl+right_square_bracket":
            self.buffer += GS
        elif event.is_printable and event.character:
            self.buffer += event.character
        else:
            return  # F-keys, Escape, arrows: the screen's and the app's
        event.stop()
        event.prevent_default()

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        codes = split_entry(event.text)
        if len(codes) > 1 or "\n" in event.text.strip():
            self.buffer = ""
            self.post_message(self.ListEntered(codes))
        else:
            self.buffer += event.text.strip("\r\n")

    def submit(self) -> None:
        text, self.buffer = self.buffer, ""
        if not text.strip():
            return
        codes = split_entry(text) if GS not in text else [text]
        if len(codes) > 1:
            self.post_message(self.ListEntered(codes))
        else:
            self.post_message(self.Scanned(codes[0] if codes else text))
