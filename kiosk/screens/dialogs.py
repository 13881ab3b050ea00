"""Dialogs: modal screens that return a value to the screen that opened them."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..model.errors import KioskError
from .widgets import data


class Dialog(ModalScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)


class PinDialog(Dialog):
    """Name and PIN, checked by ``check``; dismissed with the name once it passes."""

    def __init__(self, prompt: str, check: Callable[[str, str], str | None], *, cancel: bool = True) -> None:
        super().__init__()
        self.prompt = prompt
        self.check = check
        self.cancellable = cancel

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="pin-dialog"):
            yield Label(data(self.prompt))
            yield Input(placeholder="name", id="pin-name")
            yield Input(placeholder="PIN", password=True, id="pin-pin")
            yield Static("", id="pin-error", classes="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "pin-name":
            self.query_one("#pin-pin", Input).focus()
            return
        name = self.query_one("#pin-name", Input).value
        reason = self.check(name, event.value)
        if reason is None:
            self.dismiss(name)
        else:
            self.app.bell()
            self.query_one("#pin-error", Static).update(data(reason))
            event.input.value = ""

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(None)


class ConfirmDialog(Dialog):
    """Enter confirms, Escape cancels."""

    BINDINGS = [Binding("enter", "confirm", "Confirm", id="confirm"), *Dialog.BINDINGS]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(data(self.question))
            yield Static(Text("Enter: yes    Escape: no", style="dim"))

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class MessageDialog(Dialog):
    """Text to read (a history, a document); any of Enter or Escape closes it."""

    BINDINGS = [Binding("enter", "cancel", "Close", id="close"), *Dialog.BINDINGS]

    def __init__(self, title: str, body: Text | str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body if isinstance(body, Text) else data(body)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="message-dialog"):
            yield Label(Text(self.title_text, style="bold"))
            with VerticalScroll():
                yield Static(self.body, id="message-body")


class ChoiceDialog(Dialog):
    """One value out of a few."""

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="choice-dialog"):
            yield Label(Text(self.title_text, style="bold"))
            yield OptionList(*[Option(data(label), id=value) for value, label in self.choices])

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class PickDialog(Dialog):
    """A filterable list: type to narrow it, arrows and Enter to pick."""

    def __init__(self, title: str, choices: list[tuple[str, str]] | None = None, *, source: Callable[[str], list[tuple[str, str]]] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices or []
        self.source = source

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="pick-dialog"):
            yield Label(Text(self.title_text, style="bold"))
            yield Input(placeholder="filter", id="pick-filter")
            yield OptionList(id="pick-list")

    def on_mount(self) -> None:
        self.fill("")

    def fill(self, text: str) -> None:
        options = self.source(text) if self.source else [c for c in self.choices if text.lower() in c[1].lower()]
        listing = self.query_one("#pick-list", OptionList)
        listing.clear_options()
        listing.add_options([Option(data(label), id=value) for value, label in options[:200]])
        if options:
            listing.highlighted = 0

    @on(Input.Changed, "#pick-filter")
    def filtered(self, event: Input.Changed) -> None:
        self.fill(event.value)

    @on(Input.Submitted, "#pick-filter")
    def take_highlighted(self, event: Input.Submitted) -> None:
        event.stop()
        listing = self.query_one("#pick-list", OptionList)
        if listing.highlighted is not None and listing.option_count:
            self.dismiss(listing.get_option_at_index(listing.highlighted).id)

    def key_down(self) -> None:
        self.query_one("#pick-list", OptionList).action_cursor_down()

    def key_up(self) -> None:
        self.query_one("#pick-list", OptionList).action_cursor_up()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class GenerateDialog(Dialog):
    """Batch generation: prefix + zero-padded number + suffix, previewed with what exists."""

    def __init__(self, ledger) -> None:
        super().__init__()
        self.ledger = ledger
        self.codes: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="generate-dialog"):
            yield Label(Text("Batch generation", style="bold"))
            with Horizontal(classes="fields"):
                yield Input(placeholder="prefix", id="gen-prefix")
                yield Input(placeholder="start", id="gen-start", type="integer")
                yield Input(placeholder="count", id="gen-count", type="integer")
                yield Input(placeholder="width", id="gen-width", type="integer")
                yield Input(placeholder="suffix", id="gen-suffix")
            yield Static(id="gen-preview")
            with Horizontal(classes="buttons"):
                yield Button("Add these", id="gen-add", variant="success", disabled=True)

    def value(self, name: str) -> str:
        return self.query_one(f"#gen-{name}", Input).value.strip()

    @on(Input.Changed)
    def preview(self) -> None:
        preview = self.query_one("#gen-preview", Static)
        button = self.query_one("#gen-add", Button)
        self.codes = []
        button.disabled = True
        if not self.value("start") or not self.value("count"):
            preview.update(Text("give start and count", style="dim"))
            return
        try:
            width = int(self.value("width")) if self.value("width") else None
            result = self.ledger.generate(self.value("prefix"), int(self.value("start")), int(self.value("count")), width, self.value("suffix"))
        except (KioskError, ValueError) as exc:
            preview.update(data(getattr(exc, "message", str(exc)), style="bold red"))
            return
        codes, existing = result["serials"], result["existing"]
        shown = " ".join(codes[:6]) + (f" … {codes[-1]}" if len(codes) > 6 else "")
        text = data(f"{len(codes)} codes: {shown}")
        if existing:
            text.append(f"\n{len(existing)} exist already: {' '.join(existing[:6])}", style="bold yellow")
        preview.update(text)
        self.codes = codes
        button.disabled = False

    @on(Button.Pressed, "#gen-add")
    def add(self) -> None:
        self.dismiss(self.codes)

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.codes:
            self.dismiss(self.codes)


class PromptDialog(Dialog):
    """One line of text, e.g. a file name."""

    def __init__(self, prompt: str, value: str = "") -> None:
        super().__init__()
        self.prompt = prompt
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="prompt-dialog"):
            yield Label(Text(self.prompt))
            yield Input(value=self.value, id="prompt-input")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)


class AdjustDialog(Dialog):
    """Adjust in-stock serials: serials to take out and serials to put in their place."""

    def __init__(self, sku: str) -> None:
        super().__init__()
        self.sku = sku

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="adjust-dialog"):
            yield Label(Text(f"Adjust the in-stock serials of {self.sku}", style="bold"))
            yield Input(placeholder="remove: serials, separated by spaces or commas", id="adjust-remove")
            yield Input(placeholder="add: serials, separated by spaces or commas", id="adjust-add")
            yield Static(Text("Enter in the last field adjusts; Escape cancels", style="dim"))

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "adjust-remove":
            self.query_one("#adjust-add", Input).focus()
            return
        remove = self.query_one("#adjust-remove", Input).value
        add = self.query_one("#adjust-add", Input).value
        self.dismiss((remove, add))
