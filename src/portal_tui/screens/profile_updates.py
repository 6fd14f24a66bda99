"""Profile change requests: an administrator's list of their TINs' requests with their status, and
for a payer administrator the approval queue (oldest first); one request's detail with each
field's old and new value, where a payer administrator approves or rejects (with a note)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.screens.base import MenuScreen
from portal_tui.screens.members import end_if_expired
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.providers import ProfileUpdateDecision, ProfileUpdateRequest

PAGE_SIZE = 100
"""Requests fetched per page."""

STATUS_WORDS = {
    "pending": "pending",
    "approved": "approved",
    "rejected": "rejected",
    "partly_approved": "partly approved",
}

REQUEST_COLUMNS: list[Column[ProfileUpdateRequest]] = [
    Column("#", 5, lambda r: str(r.id)),
    Column("Received", 10, lambda r: when(r.requested_at, "day")),
    Column("Provider", 0, lambda r: r.provider_name),
    Column("Fields", 22, lambda r: ", ".join(c.label for c in r.changes)),
    Column("Status", 15, lambda r: STATUS_WORDS.get(r.status, r.status)),
]


def is_approver(screen: MenuScreen) -> bool:
    """Whether the signed-in user is a payer administrator."""
    account = screen.portal.account
    return (
        account is not None
        and account.payer_role is not None
        and (account.payer_role.value == "payer_admin")
    )


def request_text(request: ProfileUpdateRequest) -> str:
    """A request as plain text: who, when, why, each field old → new, documents, decision."""
    lines = [
        f"{request.provider_name} · NPI {request.npi} · TIN {request.tin[:2]}-{request.tin[2:]}",
        f"Requested by {request.requested_by} on {when(request.requested_at)}",
        f"Status: {STATUS_WORDS.get(request.status, request.status)}",
        f"Reason: {request.reason}",
        "",
        "Changes",
    ]
    for change in request.changes:
        decision = f"  [{change.decision}]" if change.decision else ""
        lines.append(f"  {change.label}{decision}")
        lines.append(f"    was: {change.old_value or '—'}")
        lines.append(f"    new: {change.new_value}")
    lines += ["", "Documents"]
    lines += [f"  {d.file_name} ({d.media_type}, {d.size:,} bytes)" for d in request.documents]
    if not request.documents:
        lines.append("  none")
    if request.decided_at is not None:
        lines += [
            "",
            f"Decided by {request.decided_by} on {when(request.decided_at)}",
        ]
        if request.decision_note:
            lines.append(f"Note: {request.decision_note}")
    return "\n".join(lines)


class ProfileUpdatesScreen(MenuScreen):
    """Change requests: the approval queue, or an administrator's own TINs' requests."""

    MENU = "providers"
    GUIDE = "providers"
    CSS_PATH = stylesheet("profile_updates")
    AUTO_FOCUS = "#updates-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="updates.back"),
        Binding("a", "toggle_all", "Pending / all", id="updates.toggle_all"),
        Binding("f5", "refresh", "Refresh", show=False, id="updates.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | updates.back | Back. |
    | a | updates.toggle_all | Pending requests only, or every request. |
    | f5 | updates.refresh | Fetch again. |
    """

    def __init__(self) -> None:
        super().__init__()
        self.pending_only = True
        """Show only requests waiting for a decision."""
        self.shown_once = False
        """Whether a first page has been shown (resuming then fetches again)."""

    def compose_content(self) -> ComposeResult:
        yield Static("Change requests", classes="screen-title", id="updates-title")
        yield Static("", id="updates-message", markup=False)
        yield ResultTable["ProfileUpdateRequest"](
            REQUEST_COLUMNS,
            key=lambda r: r.id,
            empty_text="No change request.",
            id="updates-table",
        )

    @property
    def table(self) -> ResultTable[ProfileUpdateRequest]:
        return self.query_one("#updates-table", ResultTable)

    def on_mount(self) -> None:
        # Administrators follow their requests through to the decision; approvers work the queue.
        self.pending_only = is_approver(self)
        self.load()

    def on_screen_resume(self) -> None:
        # Back from a request that was decided: the queue has changed.
        if self.shown_once:
            self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()

    def action_toggle_all(self) -> None:
        self.pending_only = not self.pending_only
        self.load()

    def title_text(self) -> str:
        if is_approver(self):
            return "Approval queue, oldest first" if self.pending_only else "Every change request"
        which = "Pending change requests" if self.pending_only else "Your TINs' change requests"
        return f"{which}, newest first"

    @on(ResultTable.NeedMore, "#updates-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="profile-updates")
    async def load(self, after: str | None = None) -> None:
        """Fetch the first page (or the page after `after`)."""
        table = self.table
        message = self.query_one("#updates-message", Static)
        if after is None:
            table.reset()
            self.query_one("#updates-title", Static).update(self.title_text())
        status = "pending" if self.pending_only else None
        try:
            page = await self.client.profile_update_requests(status, after=after, limit=PAGE_SIZE)
        except PortalError as error:
            table.show_error(error.message)
            message.update(printable(error.message))
            end_if_expired(self, error)
            return
        table.append_page(page.items, page.next_cursor, page.total)
        self.shown_once = True
        if after is None:
            message.update("Enter opens a request; a shows pending only or every request.")

    @on(ResultTable.Opened, "#updates-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        self.app.push_screen(ProfileUpdateDetailScreen(event.row.id))  # type: ignore[attr-defined]


class ProfileUpdateDetailScreen(MenuScreen):
    """One change request; a payer administrator decides it here."""

    MENU = "providers"
    GUIDE = "providers"
    CSS_PATH = stylesheet("profile_updates")
    AUTO_FOCUS = "#update-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="update.back"),
        Binding("a", "approve", "Approve all", id="update.approve"),
        Binding("r", "reject", "Reject all", id="update.reject"),
        Binding("d", "decide_each", "Field by field", id="update.decide_each"),
        Binding("f5", "refresh", "Refresh", show=False, id="update.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | update.back | Back. |
    | a | update.approve | Approve every field: the changes apply at once. |
    | r | update.reject | Reject the request (a note is required). |
    | d | update.decide_each | Approve or reject field by field. |
    | f5 | update.refresh | Fetch again. |
    """

    def __init__(self, request_id: int, request: ProfileUpdateRequest | None = None) -> None:
        super().__init__()
        self.request_id = request_id
        """The request shown."""
        self.request = request
        """The request as last loaded."""

    def compose_content(self) -> ComposeResult:
        yield Static(f"Change request #{self.request_id}", classes="screen-title")
        yield Static("", id="update-message", markup=False)
        yield LoadingIndicator(id="update-loading")
        with VerticalScroll(id="update-body"):
            yield Static("", id="update-facts", markup=False)

    def on_mount(self) -> None:
        if self.request is not None:
            self.query_one("#update-loading").display = False
            self.show()
        else:
            self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()

    def say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#update-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"approve", "reject", "decide_each"}:
            return (
                is_approver(self) and self.request is not None and self.request.status == "pending"
            )
        return True

    def show(self) -> None:
        """Show the request and what can be done with it."""
        request = self.request
        if request is None:
            return
        self.query_one("#update-facts", Static).update(printable(request_text(request)))
        if request.status == "pending" and is_approver(self):
            self.say("a approves every field · r rejects (with a note) · d decides field by field")
        elif request.status == "pending":
            self.say("Waiting for the payer's approval.")
        else:
            self.say(f"Decided: {STATUS_WORDS.get(request.status, request.status)}.")
        self.refresh_bindings()

    @work(exclusive=True, group="profile-update")
    async def load(self) -> None:
        loading = self.query_one("#update-loading")
        loading.display = True
        try:
            self.request = await self.client.get_profile_update(self.request_id)
        except PortalError as error:
            self.say(error.message, error=True)
            end_if_expired(self, error)
            return
        finally:
            loading.display = False
        self.show()

    def action_approve(self) -> None:
        from portal_core.models.providers import ProfileUpdateDecision

        self.decide(ProfileUpdateDecision(approve=True))

    @work(exclusive=True, group="profile-update-note")
    async def action_reject(self) -> None:
        from portal_core.models.providers import ProfileUpdateDecision
        from portal_tui.modals.justification import JustificationModal

        note = await self.app.push_screen_wait(
            JustificationModal(
                f"Reject change request #{self.request_id}",
                "The requester sees this note. Nothing on the profile changes.",
                "Reject",
            )
        )
        if note is not None:
            self.decide(ProfileUpdateDecision(approve=False, note=note))

    @work(exclusive=True, group="profile-update-note")
    async def action_decide_each(self) -> None:
        """Ask field by field, then a note when anything is rejected."""
        from portal_core.models.providers import ProfileUpdateDecision
        from portal_tui.modals.choice import ChoiceModal
        from portal_tui.modals.justification import JustificationModal

        request = self.request
        if request is None:
            return
        verdicts: dict[int, bool] = {}
        for change in request.changes:
            verdict = await self.app.push_screen_wait(
                ChoiceModal[bool](
                    f"{change.label}: approve?",
                    [(True, "Approve"), (False, "Reject")],
                    f"was: {change.old_value or '—'}\nnew: {change.new_value}",
                )
            )
            if verdict is None:
                return
            verdicts[change.id] = verdict
        note = ""
        if not all(verdicts.values()):
            typed = await self.app.push_screen_wait(
                JustificationModal(
                    "Why are fields rejected?", "The requester sees this note.", "Decide"
                )
            )
            if typed is None:
                return
            note = typed
        self.decide(ProfileUpdateDecision(changes=verdicts, note=note))

    @work(exclusive=True, group="profile-update-decide")
    async def decide(self, decision: ProfileUpdateDecision) -> None:
        """Send the decision and show the request as decided."""
        self.say("Deciding…")
        try:
            self.request = await self.client.decide_profile_update(self.request_id, decision)
        except PortalError as error:
            self.say(error.message, error=True)
            end_if_expired(self, error)
            return
        words = STATUS_WORDS.get(self.request.status, self.request.status)
        self.notify(f"Change request #{self.request_id} {words}.")
        self.show()
