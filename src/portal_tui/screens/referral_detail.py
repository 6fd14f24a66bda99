"""One referral: who referred whom, the diagnosis, visits used of authorized, the dates and the
history; `v` counts a visit, `x` cancels it (with a confirmation and a reason)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_core.errors import PortalError, SessionExpired
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.screens.admissions import is_provider_side
from portal_tui.screens.base import MenuScreen

if TYPE_CHECKING:
    from portal_core.models.referrals import ReferralDetail


def referral_text(referral: ReferralDetail) -> str:
    """The detail screen's body."""
    lines = [
        f"Status: {referral.status.value}   Visits used: {referral.visits_used} of "
        f"{referral.visits_authorized}",
        f"Valid: {referral.start_date:%m/%d/%Y} to {referral.end_date:%m/%d/%Y}",
        f"Member: {referral.member_id} {referral.member_name}".rstrip(),
        f"Referring PCP: {referral.referring_npi} {referral.referring_name}".rstrip(),
        f"Specialist: {referral.specialist_npi} {referral.specialist_name}".rstrip(),
        "Diagnosis: " + ", ".join(referral.diagnosis_codes),
        f"TIN: {referral.tin}   Written by {referral.created_by_username} on "
        + when(referral.created_at, "day"),
    ]
    if referral.reason:
        lines.append(f"Reason: {referral.reason}")
    if referral.notes:
        lines.append(f"Notes: {referral.notes}")
    if referral.cancel_reason:
        lines.append(f"Cancelled: {referral.cancel_reason}")
    lines += ["", "History:"]
    for event in referral.history:
        detail = f": {event.detail}" if event.detail else ""
        lines.append(f"  {when(event.at)}  {event.event} by {event.username}{detail}")
    return "\n".join(lines)


class ReferralDetailScreen(MenuScreen):
    """A referral the user may see, with what may be done with it."""

    MENU = "referrals"
    GUIDE = "referrals"
    CSS_PATH = stylesheet("referral_detail")
    AUTO_FOCUS = "#ref-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="referral.back"),
        Binding("v", "visit", "Record visit", id="referral.visit"),
        Binding("x", "cancel", "Cancel it", id="referral.cancel"),
        Binding("f5", "refresh", "Refresh", show=False, id="referral.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | referral.back | Back. |
    | v | referral.visit | Count one visit against the referral. |
    | x | referral.cancel | Cancel the referral (asks, with a reason). |
    | f5 | referral.refresh | Fetch again. |
    """

    def __init__(self, number: str, note: str = "") -> None:
        super().__init__()
        self.number = number.strip().upper()
        """The referral shown."""
        self.note = note
        """A line to show first (what the form just did)."""
        self.referral: ReferralDetail | None = None
        """The referral as last loaded."""

    def compose_content(self) -> ComposeResult:
        yield Static(printable(f"Referral {self.number}"), classes="screen-title", markup=False)
        yield Static(printable(self.note), id="ref-message", markup=False)
        yield LoadingIndicator(id="ref-loading")
        with VerticalScroll(id="ref-body"):
            yield Static("", id="ref-facts", markup=False)

    def on_mount(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()

    def say(self, text: str, error: bool = False) -> None:
        """The line under the title (red for a problem)."""
        message = self.query_one("#ref-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def fail(self, error: PortalError) -> None:
        """Say what went wrong; an ended session goes back to sign-in."""
        self.say(error.message, error=True)
        if isinstance(error, SessionExpired):
            self.report(error)

    def show(self, referral: ReferralDetail) -> None:
        """Put the referral on screen and offer what may be done with it."""
        self.referral = referral
        self.query_one("#ref-facts", Static).update(printable(referral_text(referral)))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"visit", "cancel"}:
            referral = self.referral
            return (
                referral is not None
                and referral.status.value == "active"
                and is_provider_side(self.portal)
            )
        return True

    @work(exclusive=True, group="referral-detail")
    async def load(self) -> None:
        """Fetch the referral."""
        loading = self.query_one("#ref-loading")
        loading.display = True
        try:
            referral = await self.client.get_referral(self.number)
        except PortalError as error:
            self.fail(error)
            return
        finally:
            loading.display = False
        self.show(referral)

    @work(exclusive=True, group="referral-write")
    async def action_visit(self) -> None:
        """Count one visit."""
        try:
            referral = await self.client.record_referral_visit(self.number)
        except PortalError as error:
            self.fail(error)
            return
        self.show(referral)
        left = referral.visits_authorized - referral.visits_used
        self.say(
            f"Visit recorded: {referral.visits_used} of {referral.visits_authorized} used"
            + (f", {left} left." if left else "; every visit is used.")
        )

    @work(exclusive=True, group="referral-write")
    async def action_cancel(self) -> None:
        """Cancel, after a confirmation with the reason."""
        from portal_tui.modals.justification import JustificationModal

        reason = await self.app.push_screen_wait(
            JustificationModal(
                f"Cancel referral {self.number}?",
                "No further visit can be counted against it; this cannot be undone. Say why.",
                "Cancel the referral",
            )
        )
        if reason is None:
            return
        try:
            referral = await self.client.cancel_referral(self.number, reason)
        except PortalError as error:
            self.fail(error)
            return
        self.show(referral)
        self.say("Referral cancelled.")
