"""The review worklist: every user of a campaign, one line each, decided by single keys.

Thousands of items page in lazily. A decision applies to the selection when there is one, else to
the item under the cursor; `b` decides everything the filter matches. A selection or the filter's
matches leave decided items as they are unless the administrator chooses to overwrite them (the
question counts both). The line repaints at once and the server call follows in a worker (a refusal
puts the line back and says why).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, ProgressBar, Select, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable, when
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.reviews import (
        BulkDecision,
        CampaignSummary,
        ReviewDecision,
        ReviewDecisionKind,
        ReviewItem,
        ReviewItemFilter,
    )

PAGE_SIZE = 200
"""Items fetched per page."""

FLAG_LABELS = {
    "inactive_90d": "inactive 90d",
    "never_signed_in": "never in",
    "affiliated_provider_left": "provider left",
    "many_admins": "many admins",
}

DECISION_LABELS = {
    "keep": "keep",
    "deactivate": "DEACTIVATE",
    "change_role": "new role",
    "narrow_affiliations": "narrow",
    "reassign": "reassigned",
}


DECISION_VERBS = {
    "keep": "Keep",
    "deactivate": "Deactivate",
    "change_role": "Change the role of",
    "narrow_affiliations": "Narrow the providers of",
    "reassign": "Reassign",
}
"""What a decision does to the users it names, as the start of a sentence."""


def _users(count: int, what: str = "") -> str:
    """Users counted: `1 user`, `9 undecided users`."""
    noun = "user" if count == 1 else "users"
    return f"{count:,} {what} {noun}" if what else f"{count:,} {noun}"


def _every(count: int) -> str:
    """Every one of `count` users: `the user`, `both users`, `all 13 users`."""
    if count == 1:
        return "the user"
    return "both users" if count == 2 else f"all {count:,} users"


def overwrite_question(
    kind: ReviewDecisionKind, undecided: int, decided: Mapping[ReviewDecisionKind, int]
) -> tuple[str, list[tuple[bool | None, str]]]:
    """What a decision over many items changes, and the choices when some are decided already:
    the undecided only (False, first), every item (True), or nothing (None)."""
    verb = DECISION_VERBS[kind.value]
    count = sum(decided.values())
    # In the words of the Decision column: "2 keep, 1 new role, 1 narrow".
    held = ", ".join(f"{n:,} {DECISION_LABELS[k.value].lower()}" for k, n in decided.items())
    every = f"{verb.lower()} {_every(undecided + count)}"
    if undecided == 0:
        verb_be = "is" if count == 1 else "are"
        text = f"{_every(count).capitalize()} {verb_be} decided already ({held}): nothing changes "
        text += "unless you overwrite."
        return text, [(None, "Leave them as decided"), (True, f"Overwrite them: {every}")]
    text = (
        f"{verb} {_users(undecided, 'undecided')}. "
        f"{count:,} already decided ({held}) stay as decided."
    )
    return text, [
        (False, f"{verb} the {_users(undecided, 'undecided')} only"),
        (True, f"Overwrite the {count:,} decided too: {every}"),
    ]


def decision_text(item: ReviewItem) -> str:
    """What was decided for an item, short."""
    if item.decision is None:
        return "reassigned" if item.assigned_to else "—"
    text = DECISION_LABELS[item.decision.value]
    if item.new_role is not None:
        text += f": {item.new_role.label}"
    return text


ITEM_COLUMNS: list[Column[ReviewItem]] = [
    Column("Username", 14, lambda i: i.username),
    Column("Name", 0, lambda i: i.full_name),
    Column("Role", 11, lambda i: i.role.label),
    Column("Last in", 10, lambda i: when(i.last_sign_in_at, "day", missing="never")),
    Column("Flags", 13, lambda i: ", ".join(FLAG_LABELS.get(f.value, f.value) for f in i.flags)),
    Column("Decision", 11, decision_text),
]


class ReviewWorklistScreen(MenuScreen):
    """Decide every user of one review campaign, then sign off."""

    MENU = "reviews"
    CSS_PATH = stylesheet("review_worklist")
    AUTO_FOCUS = "#items"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=False, id="worklist.back"),
        Binding("y", "decide('keep')", "Keep", id="worklist.keep"),
        Binding("d", "decide('deactivate')", "Deact", id="worklist.deactivate"),
        Binding("r", "decide('change_role')", "Role", id="worklist.change_role"),
        Binding("n", "decide('narrow_affiliations')", "Narrow", id="worklist.narrow"),
        Binding("a", "decide('reassign')", "Assign", id="worklist.reassign"),
        Binding("b", "bulk", "Decide all filtered", show=False, id="worklist.bulk"),
        Binding("slash", "filter", "Filter", id="worklist.filter"),
        Binding("s", "sign_off", "Sign off", id="worklist.sign_off"),
        Binding("x", "export", "Export evidence", show=False, id="worklist.export"),
    ]
    """
    The footer shows the decisions, the filter and sign-off (it must fit 80 columns); escape,
    space, `b` and `x` are listed by `?`.

    | Key(s) | Id | Description |
    | :- | :- | :- |
    | j/k, arrows | table.down / table.up | Move. |
    | space | table.select | Select the item (decisions apply to the selection). |
    | y d r n a | worklist.keep ... | Keep, deactivate, change role, narrow, reassign. |
    | b | worklist.bulk | Decide every item the filter matches. |
    | / | worklist.filter | Filter by text, flag, decided, role. |
    | s / x | worklist.sign_off / worklist.export | Sign off; save the evidence report. |
    """

    def __init__(self, campaign: CampaignSummary) -> None:
        super().__init__()
        self.campaign = campaign
        """The campaign, as last fetched."""
        self._undone: set[int] = set()
        """Items whose shown decision was taken back because the server refused or could not be
        reached; shown again if the retry key records it after all."""

    # -- layout -----------------------------------------------------------------------------------
    def compose_content(self) -> ComposeResult:
        from portal_core.models.identity import PROVIDER_ROLES
        from portal_core.models.reviews import ReviewFlag

        yield Static("", id="worklist-title", markup=False)
        with Horizontal(id="worklist-head"):
            yield Static("", id="worklist-count", markup=False)
            yield ProgressBar(
                total=max(self.campaign.total, 1), show_eta=False, id="worklist-progress"
            )
        with Horizontal(id="worklist-filters"):
            yield Input(placeholder="Name or username  (/)", id="worklist-text")
            yield Select[str](
                [(FLAG_LABELS[f.value], f.value) for f in ReviewFlag],
                prompt="Flag",
                id="worklist-flag",
            )
            yield Select[str](
                [("Undecided", "undecided"), ("Decided", "decided")],
                prompt="State",
                id="worklist-decided",
            )
            yield Select[str](
                [(r.label, r.value) for r in PROVIDER_ROLES], prompt="Role", id="worklist-role"
            )
        yield ResultTable["ReviewItem"](
            ITEM_COLUMNS,
            key=lambda i: i.id,
            selectable=True,
            openable=False,
            empty_text="No item matches the filter.",
            id="items",
        )

    @property
    def table(self) -> ResultTable[ReviewItem]:
        return self.query_one("#items", ResultTable)

    def on_mount(self) -> None:
        self._show_progress()
        self.load()

    def _show_progress(self) -> None:
        campaign = self.campaign
        state = (
            "signed off" if campaign.status == "signed_off" else f"due {campaign.due_date:%m/%d/%Y}"
        )
        if campaign.overdue and campaign.status == "open":
            state = f"OVERDUE since {campaign.due_date:%m/%d/%Y}"
        self.query_one("#worklist-title", Static).update(
            printable(f"Review of {campaign.tin_name}, {state}")
        )
        self.query_one("#worklist-count", Static).update(
            f"Decided {campaign.decided:,} of {campaign.total:,}"
        )
        bar = self.query_one("#worklist-progress", ProgressBar)
        bar.update(total=max(campaign.total, 1), progress=campaign.decided)

    @property
    def is_open(self) -> bool:
        return self.campaign.status == "open"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"decide", "bulk", "sign_off"}:
            return self.is_open
        return True

    # -- filter and paging ------------------------------------------------------------------------
    def current_filter(self) -> ReviewItemFilter:
        """The filter the controls describe."""
        from portal_core.models.identity import Role
        from portal_core.models.reviews import ReviewFlag, ReviewItemFilter

        flag = self.query_one("#worklist-flag", Select).value
        decided = self.query_one("#worklist-decided", Select).value
        role = self.query_one("#worklist-role", Select).value
        return ReviewItemFilter(
            text=self.query_one("#worklist-text", Input).value.strip(),
            flag=None if flag is Select.NULL else ReviewFlag(str(flag)),
            decided=None if decided is Select.NULL else decided == "decided",
            role=None if role is Select.NULL else Role(str(role)),
        )

    @on(Input.Changed, "#worklist-text")
    @on(Select.Changed)
    def _filter_changed(self) -> None:
        self.load()

    @on(Input.Submitted, "#worklist-text")
    def _to_table(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one("#worklist-text", Input).focus()

    def action_back(self) -> None:
        if self.focused is not self.table:
            self.table.focus()
        elif self.table.selected:
            self.table.clear_selection()
        else:
            self.dismiss(None)

    @on(ResultTable.NeedMore, "#items")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="worklist-items")
    async def load(self, after: str | None = None) -> None:
        """Fetch the first page of the filter (or the page after `after`)."""
        table = self.table
        if after is None:
            table.reset()
        try:
            page = await self.client.review_items(
                self.campaign.id, self.current_filter(), after=after, limit=PAGE_SIZE
            )
        except PortalError as error:
            table.show_error(error.message)
            self.report(error)
            return
        table.append_page(page.items, page.next_cursor, page.total)

    @work(exclusive=True, group="worklist-campaign")
    async def refresh_campaign(self) -> None:
        """Fetch the campaign's progress."""
        status = self.campaign.status
        try:
            self.campaign = await self.client.get_campaign(self.campaign.id)
        except PortalError as error:
            self.report(error)
            return
        self._show_progress()
        if self.campaign.status != status:
            # Decisions and sign-off leave the footer once signed off; rebuilding the footer
            # after every decision cost more than the decision's own repaint.
            self.refresh_bindings()

    # -- deciding ---------------------------------------------------------------------------------
    def _targets(self) -> list[ReviewItem]:
        selected = self.table.selected_rows()
        if selected:
            return selected
        current = self.table.current
        return [current] if current is not None else []

    def action_decide(self, kind_name: str) -> None:
        """Decide the selection (or the item under the cursor)."""
        from portal_core.models.reviews import ReviewDecision, ReviewDecisionKind

        targets = self._targets()
        if not targets:
            return
        kind = ReviewDecisionKind(kind_name)
        # The line under the cursor is decided again on purpose; a selection asks first.
        selection = bool(self.table.selected)
        if kind is ReviewDecisionKind.KEEP and not (
            selection and any(t.decision is not None for t in targets)
        ):
            # Nothing to ask: repaint in this key's handler, so the next frame shows it.
            self._decide(targets, ReviewDecision(decision=kind), overwrite=not selection)
        else:
            self._ask_and_decide(kind, targets, selection)

    @work(group="worklist-dialog")
    async def _ask_and_decide(
        self, kind: ReviewDecisionKind, targets: list[ReviewItem], selection: bool
    ) -> None:
        """Ask what the decision needs (and, over a selection holding decided items, whether to
        overwrite them), then decide."""
        from portal_core.models.reviews import ReviewDecisionKind

        who = targets[0].username if len(targets) == 1 else f"{len(targets)} selected users"
        decision = await self._ask_decision(kind, who, targets)
        if decision is None:
            return
        if not selection:
            self._decide(targets, decision, overwrite=True)
            return
        undecided = [t for t in targets if t.decision is None]
        held = Counter(t.decision for t in targets if t.decision is not None)
        decided = {k: held[k] for k in ReviewDecisionKind if held[k]}
        overwrite = await self._ask_overwrite(kind, len(undecided), decided)
        if overwrite is None:
            return
        self._decide(targets if overwrite else undecided, decision, overwrite=overwrite)

    async def _ask_overwrite(
        self, kind: ReviewDecisionKind, undecided: int, decided: Mapping[ReviewDecisionKind, int]
    ) -> bool | None:
        """Confirm a decision over many items: False for the undecided only, True to overwrite
        the decided ones too, None to decide nothing."""
        from portal_tui.modals.choice import ChoiceModal
        from portal_tui.modals.confirm import ConfirmModal

        text, choices = overwrite_question(kind, undecided, decided)
        if not decided:
            confirmed = await self.app.push_screen_wait(
                ConfirmModal("Decide in bulk?", text, yes="Decide")
            )
            return False if confirmed else None
        return await self.app.push_screen_wait(
            ChoiceModal["bool | None"]("Keep what was decided?", choices, text=text)
        )

    def _decide(
        self, targets: list[ReviewItem], decision: ReviewDecision, *, overwrite: bool
    ) -> None:
        """Show the decision at once, move on, and record it once the frame is painted."""
        from portal_core.models.reviews import BulkDecision

        self._apply_locally(targets, decision)
        if len(targets) == 1 and not self.table.selected:
            self.table.action_cursor_down()
        self.table.clear_selection()
        bulk = BulkDecision(
            decision=decision, item_ids=[t.id for t in targets], overwrite=overwrite
        )
        # The write starts after the repaint, so the key's frame does not wait on the database.
        self.call_after_refresh(self.send_decision, bulk, targets)

    async def _ask_decision(
        self, kind: ReviewDecisionKind, who: str, targets: list[ReviewItem]
    ) -> ReviewDecision | None:
        """Ask what the decision needs (role, providers, reviewer, justification)."""
        from portal_core.models.identity import PROVIDER_ROLES, Role
        from portal_core.models.reviews import (
            JUSTIFICATION_REQUIRED,
            ReviewDecision,
            ReviewDecisionKind,
        )
        from portal_tui.modals.affiliations import AffiliationsModal
        from portal_tui.modals.choice import ChoiceModal
        from portal_tui.modals.justification import JustificationModal

        decision = ReviewDecision(decision=kind)
        if kind is ReviewDecisionKind.CHANGE_ROLE:
            role = await self.app.push_screen_wait(
                ChoiceModal["Role"](f"New role for {who}", [(r, r.label) for r in PROVIDER_ROLES])
            )
            if role is None:
                return None
            decision.new_role = Role(role)
        elif kind is ReviewDecisionKind.NARROW_AFFILIATIONS:
            try:
                providers = await self.client.tin_providers(self.campaign.tin)
            except PortalError as error:
                self.report(error)
                return None
            held = set.intersection(*(set(t.affiliations) for t in targets)) if targets else set()
            keep = await self.app.push_screen_wait(
                AffiliationsModal(
                    f"Providers {who} keeps",
                    [p for p in providers if p.npi in held] if targets else providers,
                    held,
                )
            )
            if keep is None:
                return None
            decision.new_affiliations = keep
        elif kind is ReviewDecisionKind.REASSIGN:
            try:
                people = await self.client.reassign_targets(self.campaign.id)
            except PortalError as error:
                self.report(error)
                return None
            reviewer = await self.app.push_screen_wait(
                ChoiceModal[int](
                    f"Who should decide {who}?",
                    [(p.id, f"{p.full_name} ({p.username})") for p in people],
                )
            )
            if reviewer is None:
                return None
            decision.reassign_to = reviewer
        if kind in JUSTIFICATION_REQUIRED:
            verb = "deactivate" if kind is ReviewDecisionKind.DEACTIVATE else "change the role of"
            reason = await self.app.push_screen_wait(
                JustificationModal(
                    f"Why {verb} {who}?", "The reason goes into the evidence report.", "Decide"
                )
            )
            if reason is None:
                return None
            decision.justification = reason
        return decision

    def _apply_locally(self, targets: list[ReviewItem], decision: ReviewDecision) -> None:
        from portal_core.models.reviews import ReviewDecisionKind

        if decision.decision is ReviewDecisionKind.REASSIGN:
            changes: dict[str, object] = {"assigned_to": decision.reassign_to}
        else:
            changes = {
                "decision": decision.decision,
                "new_role": decision.new_role,
                "new_affiliations": decision.new_affiliations,
                "justification": decision.justification,
            }
        self.table.replace_rows(t.model_copy(update=changes) for t in targets)

    @work(group="worklist-send")
    async def send_decision(
        self, bulk: BulkDecision, before: list[ReviewItem] | None = None
    ) -> None:
        """Record a decision with the server; undo the repaint if it refuses."""
        try:
            count = await self.client.decide(self.campaign.id, bulk)
        except PortalError as error:
            if before:
                self.table.replace_rows(before)
                self._undone.update(t.id for t in before)
            self.report(error)
            return
        if before and self._undone.intersection(t.id for t in before):
            # A retried decision: the list had been put back as it was; show it again.
            self._undone.difference_update(t.id for t in before)
            self._apply_locally(before, bulk.decision)
        if bulk.item_ids is None:
            self.notify(f"Decided {count:,} items.")
            self.load()
        self.refresh_campaign()

    @work(group="worklist-dialog")
    async def action_bulk(self) -> None:
        """Decide every item the filter matches (the undecided ones, unless told to overwrite)."""
        from portal_core.models.reviews import BulkDecision, ReviewDecisionKind
        from portal_tui.modals.choice import ChoiceModal

        count = self.table.total or 0
        if count == 0:
            self.notify("No item matches the filter.")
            return
        kind = await self.app.push_screen_wait(
            ChoiceModal["ReviewDecisionKind"](
                f"Decide all {count:,} items the filter matches",
                [
                    (ReviewDecisionKind.KEEP, "Keep"),
                    (ReviewDecisionKind.DEACTIVATE, "Deactivate"),
                    (ReviewDecisionKind.CHANGE_ROLE, "Change role"),
                    (ReviewDecisionKind.NARROW_AFFILIATIONS, "Narrow affiliations"),
                    (ReviewDecisionKind.REASSIGN, "Reassign"),
                ],
            )
        )
        if kind is None:
            return
        decision = await self._ask_decision(kind, f"all {count:,} filtered users", [])
        if decision is None:
            return
        bulk = BulkDecision(decision=decision, filter=self.current_filter())
        try:
            preview = await self.client.preview_decision(self.campaign.id, bulk)
        except PortalError as error:
            self.report(error)
            return
        if preview.matched == 0:
            self.notify("No item matches the filter any more.")
            return
        overwrite = await self._ask_overwrite(kind, preview.undecided, preview.decided)
        if overwrite is not None:
            self.send_decision(bulk.model_copy(update={"overwrite": overwrite}))

    # -- sign-off and evidence --------------------------------------------------------------------
    @work(exclusive=True, group="worklist-dialog")
    async def action_sign_off(self) -> None:
        """Apply every decision and file the evidence report, after a confirmation."""
        from portal_tui.modals.confirm import ConfirmModal

        campaign = self.campaign
        left = campaign.total - campaign.decided
        if left > 0:
            self.notify(
                f"Decide every item first: {left:,} left. Filter by 'Undecided' to find them.",
                severity="warning",
            )
            return
        if not await self.app.push_screen_wait(
            ConfirmModal(
                "Sign off this review?",
                f"All {campaign.total:,} decisions are applied now: deactivations, role changes "
                "and narrowed affiliations take effect, and the evidence report is filed.",
                yes="Sign off",
            )
        ):
            return
        bar = self.query_one("#worklist-progress", ProgressBar)
        bar.update(total=None)
        self.query_one("#worklist-count", Static).update("Signing off…")
        try:
            result = await self.client.sign_off(campaign.id)
        except PortalError as error:
            self.report(error)
            self._show_progress()
            return
        applied = ", ".join(
            f"{n:,} {DECISION_LABELS.get(k, k).lower()}" for k, n in result.applied.items()
        )
        self.notify(f"Signed off. Applied: {applied or 'nothing'}. Evidence report filed.")
        self.refresh_campaign()
        self.load()

    @work(exclusive=True, group="worklist-dialog")
    async def action_export(self) -> None:
        """Save the evidence report as CSV to a file only the user can read."""
        import asyncio

        from portal_core.paths import data_dir, write_private_file
        from portal_tui.modals.file_path import FilePathModal

        default = data_dir() / "exports" / f"review-{self.campaign.id}-evidence.csv"
        path = await self.app.push_screen_wait(FilePathModal("Save the evidence report", default))
        if path is None:
            return
        try:
            content = await self.client.export_evidence(self.campaign.id, "csv")
        except PortalError as error:
            self.report(error)
            return
        try:
            await asyncio.to_thread(write_private_file, Path(path), content)
        except OSError as error:
            self.notify(f"The file could not be written: {error.strerror}", severity="error")
            return
        self.notify(f"Evidence saved to {path}.")
