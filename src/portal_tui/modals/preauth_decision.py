"""A reviewer's decision on a preauthorization: approve, partly approve (with the units granted),
deny (with a specific reason) or request information (saying what is needed). The portal files the
determination letter; its refusal shows here and nothing typed is lost."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from portal_core.errors import PortalError, SessionExpired
from portal_core.models.preauth import DENIAL_REASONS
from portal_tui.display_text import printable
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.screens.base import PortalModal

if TYPE_CHECKING:
    from portal_core.models.preauth import PreauthDecision, PreauthDetail

OUTCOMES = [
    ("Approve", "approve"),
    ("Partly approve (fewer units)", "partially_approve"),
    ("Deny", "deny"),
    ("Request information", "request_information"),
]
"""(label, value) of the decisions."""

REASONS = [(text, code) for code, text in DENIAL_REASONS.items()]
"""(words, code) of the specific reasons."""


class PreauthDecisionModal(PortalModal["PreauthDetail | None"]):
    """Dismisses with the request as decided, or None when cancelled."""

    DEFAULT_CSS = (
        "PreauthDecisionModal {" + MODAL_CSS + "}"
        " PreauthDecisionModal > Vertical { width: 76; }"
        " PreauthDecisionModal .field-row { height: 1; margin-bottom: 1; }"
        " PreauthDecisionModal .field-label { width: 10; color: $text-muted; }"
        " PreauthDecisionModal #decision-outcome, PreauthDecisionModal #decision-reason"
        " { width: 1fr; }"
        " PreauthDecisionModal #decision-units { width: 10; }"
        " PreauthDecisionModal TextArea { height: 4; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="preauth_decision.cancel"),
        Binding("ctrl+s", "decide", "Decide", id="preauth_decision.decide"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | preauth_decision.cancel | Close without deciding. |
    | ctrl+s | preauth_decision.decide | Record the decision (files the letter). |
    """

    def __init__(self, detail: PreauthDetail) -> None:
        super().__init__()
        self.detail = detail
        """The request decided."""

    def compose(self) -> ComposeResult:
        detail = self.detail
        with Vertical():
            yield Static(
                printable(
                    f"Decide {detail.number}: {detail.template_name}, {detail.units} unit(s)"
                ),
                classes="modal-title",
                markup=False,
            )
            with Horizontal(classes="field-row"):
                yield Label("Decision", classes="field-label")
                yield Select[str](OUTCOMES, prompt="pick one", id="decision-outcome", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Units", classes="field-label")
                yield Input(
                    placeholder="granted", id="decision-units", compact=True, type="integer"
                )
            with Horizontal(classes="field-row"):
                yield Label("Reason", classes="field-label")
                yield Select[str](
                    REASONS, prompt="to deny or partly approve", id="decision-reason", compact=True
                )
            yield Label("Note for the letter (what is needed, to request information)")
            yield TextArea(id="decision-note")
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Decide (ctrl+s)", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#decision-outcome", Select).focus()

    def error(self, text: str) -> None:
        """Say what is wrong and stay open."""
        self.query_one(".modal-error", Static).update(printable(text))

    def decision(self) -> PreauthDecision | None:
        """The decision typed, or None after saying what is missing."""
        from portal_core.models.preauth import DecisionOutcome, PreauthDecision

        outcome = self.query_one("#decision-outcome", Select).value
        if outcome is Select.NULL:
            self.error("Pick a decision.")
            return None
        chosen = DecisionOutcome(str(outcome))
        reason_value = self.query_one("#decision-reason", Select).value
        reason = None if reason_value is Select.NULL else str(reason_value)
        note = self.query_one("#decision-note", TextArea).text.strip()
        units_text = self.query_one("#decision-units", Input).value.strip()
        units: int | None = None
        if chosen == DecisionOutcome.PARTIALLY_APPROVE:
            if not units_text.isdigit():
                self.error("Type the units granted (fewer than asked).")
                return None
            units = int(units_text)
        if chosen in (DecisionOutcome.DENY, DecisionOutcome.PARTIALLY_APPROVE) and not reason:
            self.error("Pick the specific reason.")
            return None
        if chosen == DecisionOutcome.REQUEST_INFORMATION and not note:
            self.error("Say what information is needed, in the note.")
            return None
        keeps_reason = chosen in (DecisionOutcome.DENY, DecisionOutcome.PARTIALLY_APPROVE)
        return PreauthDecision(
            outcome=chosen,
            approved_units=units,
            reason=reason if keeps_reason else None,
            note=note,
        )

    @on(Button.Pressed, "#ok")
    def action_decide(self) -> None:
        decision = self.decision()
        if decision is not None:
            self.send(decision)

    @work(exclusive=True, group="preauth-decision")
    async def send(self, decision: PreauthDecision) -> None:
        """Ask the portal; stay open with its message when it refuses."""
        try:
            decided = await self.client.decide_preauth(self.detail.number, decision)
        except PortalError as error:
            self.error(error.message)
            if isinstance(error, SessionExpired):
                self.report(error)
            return
        self.dismiss(decided)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
