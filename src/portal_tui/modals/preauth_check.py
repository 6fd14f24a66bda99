"""Does this procedure code need a preauthorization for this member's plan on this date? The answer,
why, and the templates to request it with; enter on a template starts a request from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from portal_tui.display_text import plain_label, printable
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.screens.base import PortalModal
from portal_tui.widgets.record_view import RecordView

if TYPE_CHECKING:
    from portal_core.models.preauth import PreauthCheckResult


@dataclass(frozen=True)
class CheckStart:
    """Start a request from the check: the template and what was already typed."""

    template_id: str
    member_id: str
    procedure_code: str
    service_date: date | None


def check_text(result: PreauthCheckResult) -> str:
    """The answer: needed or not, why, and the plan it was decided by."""
    plan = f"Plan: {result.plan_name}" if result.plan_name else ""
    if result.product_line:
        plan += f" ({result.product_line})"
    head = "Preauthorization REQUIRED." if result.required else "No preauthorization needed."
    return "\n".join(part for part in (head, result.why, plan) if part)


class PreauthCheckModal(PortalModal[CheckStart | None]):
    """Dismisses with the request to start, or None when closed."""

    DEFAULT_CSS = (
        "PreauthCheckModal {" + MODAL_CSS + "}"
        " PreauthCheckModal > Vertical { width: 72; }"
        " PreauthCheckModal .field-row { height: 1; }"
        " PreauthCheckModal .field-label { width: 14; color: $text-muted; }"
        " PreauthCheckModal .field-row Input { width: 20; }"
        " PreauthCheckModal #check-answer { height: auto; margin-top: 1; }"
        " PreauthCheckModal #check-templates { height: auto; max-height: 6; }"
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="preauth_check.close"),
        Binding("ctrl+s", "run", "Check", id="preauth_check.run"),
        Binding("f9", "start", "Start a request", id="preauth_check.start"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | preauth_check.close | Close. |
    | enter, ctrl+s | preauth_check.run | Check. |
    | f9 | preauth_check.start | Start a request from the template highlighted. |
    """

    def __init__(self) -> None:
        super().__init__()
        self.result: PreauthCheckResult | None = None
        """The last answer."""
        self.asked: tuple[str, str, date | None] = ("", "", None)
        """(member ID, code, date) of the last answer."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Does this need a preauthorization?", classes="modal-title")
            with Horizontal(classes="field-row"):
                yield Label("Member ID", classes="field-label")
                yield Input(placeholder="member ID", id="check-member", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Procedure", classes="field-label")
                yield Input(placeholder="CPT/HCPCS, e.g. 95810", id="check-code", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("Service date", classes="field-label")
                yield Input(placeholder="YYYY-MM-DD (today)", id="check-date", compact=True)
            yield Static("", classes="modal-error", markup=False)
            yield RecordView(id="check-answer")
            yield OptionList(id="check-templates")
            yield Static(
                "enter checks; enter on a template (or f9) starts a request; esc closes.",
                classes="modal-text",
            )

    def on_mount(self) -> None:
        self.query_one("#check-templates", OptionList).display = False
        self.query_one("#check-member", Input).focus()

    def error(self, text: str) -> None:
        """Say what is wrong (and clear it with an empty text)."""
        self.query_one(".modal-error", Static).update(printable(text))

    @on(Input.Submitted)
    def action_run(self) -> None:
        member = self.query_one("#check-member", Input).value.strip().upper()
        code = self.query_one("#check-code", Input).value.strip().upper()
        when_text = self.query_one("#check-date", Input).value.strip()
        if not member or not code:
            self.error("Type the member ID and the procedure code.")
            return
        when: date | None = None
        if when_text:
            try:
                when = date.fromisoformat(when_text)
            except ValueError:
                self.error("Type the service date as YYYY-MM-DD (or leave it for today).")
                return
        self.error("")
        self.run(member, code, when)

    @work(exclusive=True, group="preauth-check")
    async def run(self, member: str, code: str, when: date | None) -> None:
        """Ask the portal."""
        from portal_core.models.preauth import PreauthCheckQuery

        service_date = when or self.portal_today()
        self.result = None
        self.asked = ("", "", None)
        options = self.query_one("#check-templates", OptionList)
        options.clear_options()
        options.display = False
        query = PreauthCheckQuery(member_id=member, procedure_code=code, service_date=service_date)
        result = await self.query_one("#check-answer", RecordView).look_up(
            lambda: self.client.check_preauth(query), check_text, report=self.report
        )
        if result is None:
            return
        self.result = result
        self.asked = (member, code, service_date)
        pairs = list(zip(result.template_ids, result.template_names, strict=False))
        options.add_options([Option(plain_label(name), id=tid) for tid, name in pairs])
        options.display = bool(pairs)
        if pairs:
            options.highlighted = 0
            options.focus()

    def portal_today(self) -> date:
        """Today where the user is (the service checks the date again)."""
        return date.today()

    @on(OptionList.OptionSelected, "#check-templates")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.start(event.option.id)

    def action_start(self) -> None:
        options = self.query_one("#check-templates", OptionList)
        if options.display and options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            self.start(option.id)
        else:
            self.error("Check a code that needs a preauthorization first.")

    def start(self, template_id: str | None) -> None:
        """Close with the request to start."""
        if template_id is None:
            return
        member, code, when = self.asked
        self.dismiss(CheckStart(template_id, member, code, when))

    def action_close(self) -> None:
        self.dismiss(None)
