"""One member: facts, current plan with cost sharing, coverage spans, PCPs and care plans.

Billing users get no clinical detail: the portal refuses their care-plan read and the screen
says so in the care-plan section instead of showing any.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_core.errors import PermissionDenied, PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.record_view import RecordView

if TYPE_CHECKING:
    from portal_core.models.members import CarePlan, MemberDetail


def _care_plans_refused(error: PortalError) -> str:
    """Why no care plan shows (billing users may not read them)."""
    if isinstance(error, PermissionDenied):
        return f"{error.message} Care plans are not shown to you."
    return error.message


class MemberDetailScreen(MenuScreen):
    """A member tied to the user's providers."""

    MENU = "members"
    GUIDE = "members"
    CSS_PATH = stylesheet("member_detail")
    AUTO_FOCUS = "#member-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="member.back"),
        Binding("s", "save_care_plan", "Save care plan", id="member.save_care_plan"),
        Binding("m", "message_care_team", "Message care team", id="member.message"),
        Binding("f5", "refresh", "Refresh", show=False, id="member.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | member.back | Back. |
    | s | member.save_care_plan | Save a care plan as a text file only you can read. |
    | m | member.message | Message the care team: a thread linked to this member. |
    | f5 | member.refresh | Fetch again. |
    """
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "message_care_team": ("send_messages",),
        "save_care_plan": ("read_care_plans",),
    }

    def __init__(self, member_id: str) -> None:
        super().__init__()
        self.member_id = member_id
        """The member shown (as typed; the portal checks it)."""
        self.member: MemberDetail | None = None
        """The member as last loaded."""
        self.care_plans: list[CarePlan] = []
        """The member's care plans (none when the user may not read them)."""

    def compose_content(self) -> ComposeResult:
        yield Static(printable(f"Member {self.member_id}"), classes="screen-title", markup=False)
        yield LoadingIndicator(id="member-loading")
        with VerticalScroll(id="member-body"):
            yield RecordView(id="member-facts")
            yield Static("Care plans", classes="section-title")
            yield RecordView(id="member-care-plans")

    def on_mount(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"save_care_plan", "message_care_team"} and not self.care_plans:
            return False
        return super().check_action(action, parameters)

    @work(exclusive=True, group="member-detail")
    async def load(self) -> None:
        """Fetch the member, then their care plans (refused for billing users); what was shown
        before is cleared first, so a failed refresh never leaves it on screen."""
        from portal_tui.member_text import care_plans_text, member_text

        self.member = None
        self.care_plans = []
        self.refresh_bindings()
        loading = self.query_one("#member-loading")
        loading.display = True
        facts = self.query_one("#member-facts", RecordView)
        plans = self.query_one("#member-care-plans", RecordView)
        plans.start()
        try:
            member = await facts.look_up(
                lambda: self.client.get_member(self.member_id), member_text, report=self.report
            )
            if member is None:
                return
            self.member = member
            care_plans = await plans.look_up(
                lambda: self.client.care_plans(member.member_id),
                care_plans_text,
                report=self.report,
                explain=_care_plans_refused,
            )
            self.care_plans = care_plans or []
        finally:
            loading.display = False
            self.refresh_bindings()

    @work(exclusive=True, group="member-save")
    async def action_save_care_plan(self) -> None:
        """Pick a care plan (when there are several) and save it as text, 0600."""
        from portal_core.paths import data_dir, write_private_file
        from portal_tui.modals.choice import ChoiceModal
        from portal_tui.modals.file_path import FilePathModal

        if not self.care_plans:
            return
        plan: CarePlan | None = self.care_plans[0]
        if len(self.care_plans) > 1:
            plan = await self.app.push_screen_wait(
                ChoiceModal["CarePlan"]("Which care plan?", [(p, p.title) for p in self.care_plans])
            )
        if plan is None:
            return
        default = data_dir() / "exports" / f"care-plan-{plan.member_id}-{plan.id}.txt"
        path = await self.app.push_screen_wait(FilePathModal("Save the care plan", default))
        if path is None:
            return
        try:
            content = await self.client.export_care_plan(plan.id)
        except PortalError as error:
            self.report(error)
            return
        try:
            await asyncio.to_thread(write_private_file, Path(path), content)
        except OSError as error:
            self.notify(f"The file could not be written: {error.strerror}", severity="error")
            return
        self.notify(f"Saved to {path}.")

    @work(exclusive=True, group="member-message")
    async def action_message_care_team(self) -> None:
        """Write to the care team in a thread linked to this member (its reference is shown)."""
        from portal_tui.modals.message_compose import ComposeMessageModal

        reference = await self.app.push_screen_wait(
            ComposeMessageModal(None, "member", self.member_id)
        )
        if reference is not None:
            self.notify(f"Message sent to the care team. Reference number {reference}.")
