"""Change a submitted request until it is decided: new units or dates, and/or a note (the
information a reviewer asked for). The portal's refusal shows here and nothing typed is lost."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static, TextArea

from portal_core.errors import PortalError, SessionExpired
from portal_tui.display_text import printable
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.screens.base import PortalModal

if TYPE_CHECKING:
    from portal_core.models.preauth import PreauthChange, PreauthDetail


class PreauthChangeModal(PortalModal["PreauthDetail | None"]):
    """Dismisses with the request as changed, or None when cancelled."""

    DEFAULT_CSS = (
        "PreauthChangeModal {" + MODAL_CSS + "}"
        " PreauthChangeModal .field-row { height: 1; margin-bottom: 1; }"
        " PreauthChangeModal .field-label { width: 12; color: $text-muted; }"
        " PreauthChangeModal .field-row Input { width: 14; }"
        " PreauthChangeModal TextArea { height: 4; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="preauth_change.cancel"),
        Binding("ctrl+s", "save", "Save", id="preauth_change.save"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | preauth_change.cancel | Close without changing. |
    | ctrl+s | preauth_change.save | Save the change. |
    """

    def __init__(self, detail: PreauthDetail) -> None:
        super().__init__()
        self.detail = detail
        """The request changed."""

    def compose(self) -> ComposeResult:
        detail = self.detail
        with Vertical():
            yield Static(
                printable(f"Change preauthorization {detail.number}"),
                classes="modal-title",
                markup=False,
            )
            if detail.information_requested:
                yield Static(
                    printable(f"Asked for: {detail.information_requested}"),
                    classes="modal-text",
                    markup=False,
                )
            with Horizontal(classes="field-row"):
                yield Label("Units", classes="field-label")
                yield Input(str(detail.units), id="change-units", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Start date", classes="field-label")
                yield Input(detail.start_date.isoformat(), id="change-start", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("End date", classes="field-label")
                yield Input(detail.end_date.isoformat(), id="change-end", compact=True)
            yield Label("Note (e.g. the information asked for)")
            yield TextArea(id="change-note")
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (ctrl+s)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#change-units", Input).focus()

    def error(self, text: str) -> None:
        """Say what is wrong and stay open."""
        self.query_one(".modal-error", Static).update(printable(text))

    def change(self) -> PreauthChange | None:
        """The change typed (only what differs), or None after saying what is wrong."""
        from portal_core.models.preauth import PreauthChange

        detail = self.detail
        try:
            units = int(self.query_one("#change-units", Input).value.strip())
        except ValueError:
            self.error("Type the units as a whole number.")
            return None
        try:
            start = date.fromisoformat(self.query_one("#change-start", Input).value.strip())
            end = date.fromisoformat(self.query_one("#change-end", Input).value.strip())
        except ValueError:
            self.error("Type the dates as YYYY-MM-DD.")
            return None
        if end < start:
            self.error("The end date is before the start date.")
            return None
        if units < 1:
            self.error("Units must be at least 1.")
            return None
        note = self.query_one("#change-note", TextArea).text.strip()
        change = PreauthChange(
            units=units if units != detail.units else None,
            start_date=start if start != detail.start_date else None,
            end_date=end if end != detail.end_date else None,
            note=note,
        )
        unchanged = change.units is None and change.start_date is None and change.end_date is None
        if unchanged and not note:
            self.error("Nothing changed: change the units or dates, or write a note.")
            return None
        return change

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def action_save(self) -> None:
        change = self.change()
        if change is not None:
            self.send(change)

    @work(exclusive=True, group="preauth-change")
    async def send(self, change: PreauthChange) -> None:
        """Ask the portal; stay open with its message when it refuses."""
        try:
            changed = await self.client.modify_preauth(self.detail.number, change)
        except PortalError as error:
            self.error(error.message)
            if isinstance(error, SessionExpired):
                self.report(error)
            return
        self.dismiss(changed)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
