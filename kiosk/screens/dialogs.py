"""Dialogs: modal screens that return a value to the screen that opened them."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class PinDialog(ModalScreen[bool]):
    """Name and PIN, checked by ``check``; dismissed with True once it passes."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def __init__(self, prompt: str, check: Callable[[str, str], str | None]) -> None:
        super().__init__()
        self.prompt = prompt
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-dialog"):
            yield Label(self.prompt)
            yield Input(placeholder="name", id="pin-name")
            yield Input(placeholder="PIN", password=True, id="pin-pin")
            yield Static("", id="pin-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pin-name":
            self.query_one("#pin-pin", Input).focus()
            return
        name = self.query_one("#pin-name", Input).value
        reason = self.check(name, event.value)
        if reason is None:
            self.dismiss(True)
        else:
            self.app.bell()
            self.query_one("#pin-error", Static).update(reason)
            event.input.value = ""

    def action_cancel(self) -> None:
        self.dismiss(False)
