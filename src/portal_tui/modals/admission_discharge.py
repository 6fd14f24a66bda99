"""Record an admission's discharge: the date and time (payer's clock) and where the member went.
The portal's refusal (before the admission, in the future) shows in the dialog, the typing kept."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from portal_core.errors import PortalError, SessionExpired, ValidationFailed
from portal_core.models.admissions import (
    AdmissionDetail,
    AdmissionDischarge,
    DischargeDisposition,
)
from portal_tui.admission_text import parse_admitted_at
from portal_tui.display_text import printable
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.screens.base import PortalModal

DISPOSITIONS = [
    ("home", "home"),
    ("home health", "home_health"),
    ("skilled nursing", "skilled_nursing"),
    ("rehabilitation", "rehabilitation"),
    ("transfer", "transfer"),
    ("hospice", "hospice"),
    ("left against advice", "against_advice"),
    ("deceased", "deceased"),
    ("other", "other"),
]
"""Where the member went, as the list shows it."""


class DischargeModal(PortalModal[AdmissionDetail | None]):
    """Records the discharge; dismisses with the admission as it now is, or None when cancelled."""

    DEFAULT_CSS = (
        "DischargeModal {" + MODAL_CSS + "}"
        " DischargeModal .field-row { height: 1; margin-bottom: 1; }"
        " DischargeModal .field-label { padding: 0 1 0 0; color: $text-muted; }"
        " DischargeModal #discharge-date { width: 12; margin-right: 2; }"
        " DischargeModal #discharge-time { width: 7; }"
        " DischargeModal #disposition { width: 30; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="discharge.cancel"),
    ]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        """The admission being closed."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                printable(f"Discharge from admission {self.number}"),
                classes="modal-title",
                markup=False,
            )
            with Horizontal(classes="field-row"):
                yield Label("On", classes="field-label")
                yield Input(placeholder="YYYY-MM-DD", id="discharge-date", compact=True)
                yield Label("at (CT)", classes="field-label")
                yield Input(placeholder="14:30", id="discharge-time", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("To", classes="field-label")
                yield Select[str](
                    DISPOSITIONS, value="home", allow_blank=False, id="disposition", compact=True
                )
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Discharge", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#discharge-date", Input).focus()

    def show_error(self, text: str) -> None:
        """The problem, in the dialog."""
        self.query_one(".modal-error", Static).update(printable(text))

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _confirm(self) -> None:
        try:
            at = parse_admitted_at(
                self.query_one("#discharge-date", Input).value,
                self.query_one("#discharge-time", Input).value,
                "discharge",
            )
        except ValidationFailed as error:
            self.show_error(error.message)
            return
        if at is None:
            self.show_error("Give the discharge date and time.")
            return
        disposition = DischargeDisposition(str(self.query_one("#disposition", Select).value))
        self.record(AdmissionDischarge(discharged_at=at, disposition=disposition))

    @work(exclusive=True, group="discharge")
    async def record(self, discharge: AdmissionDischarge) -> None:
        """Send the discharge; close on success, say why not otherwise."""
        self.show_error("")
        try:
            admission = await self.client.discharge_admission(self.number, discharge)
        except PortalError as error:
            if isinstance(error, SessionExpired):
                self.dismiss(None)
                self.report(error)
                return
            self.show_error(error.message)
            return
        self.dismiss(admission)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
