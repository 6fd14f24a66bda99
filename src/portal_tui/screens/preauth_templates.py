"""Preauthorization templates, for payer administrators: every template (active and inactive) with
fuzzy search as you type (`rules.template_search`, over the list fetched once), enter to read one
(questions, attachments, criteria for approval at once, max units, exempt product lines) and `a` to
offer it for new requests or stop offering it. Editing a template is done from the command line
(`portal preauth template show` / `save`): a whole template is easier to review as one file."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Input, LoadingIndicator, Static

from portal_core.errors import PortalError, SessionExpired
from portal_core.rules.template_search import TemplateSearch
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.identity import Account
    from portal_core.models.preauth import (
        ApprovalCriterion,
        PreauthTemplate,
        PreauthTemplateSummary,
    )

EDIT_HINT = "Edit on the command line: portal preauth template show ID / save --from FILE"
"""Where editing is done (the screen only reads and (de)activates)."""

TEMPLATE_COLUMNS: list[Column[PreauthTemplateSummary]] = [
    Column("Name", 0, lambda t: t.name),
    Column("Category", 11, lambda t: t.category.replace("_", " ")),
    Column("Codes", 17, lambda t: " ".join(t.procedure_codes)),
    Column("Active", 6, lambda t: "yes" if t.active else "no"),
]
"""The template list's columns (fits 80 columns with the sidebar hidden or shown)."""

OPERATOR_WORDS = {"is": "is", "at_least": "at least", "at_most": "at most", "one_of": "one of"}
"""A criterion's operator in words."""


def manages_templates(account: Account | None) -> bool:
    """Whether the user is a payer administrator (the service checks it again; this only hides
    the key that would be refused)."""
    return account is not None and account.payer_role == "payer_admin"


def criterion_text(criterion: ApprovalCriterion, labels: dict[str, str]) -> str:
    """`Epworth score: at least 10`."""
    asked = labels.get(criterion.question_id, criterion.question_id)
    operator = OPERATOR_WORDS.get(criterion.operator, str(criterion.operator))
    value = ", ".join(criterion.values) if criterion.operator == "one_of" else criterion.value
    return f"{asked}: {operator} {value}"


def template_text(template: PreauthTemplate) -> str:
    """The template in words, section by section (record text passes through `printable`)."""
    lines = [
        f"Id          {template.id}",
        f"Category    {template.category.replace('_', ' ')}",
        f"Active      {'yes (offered for new requests)' if template.active else 'no'}",
        f"Codes       {', '.join(template.procedure_codes) or 'none'}",
        f"Urgency     {template.default_urgency} by default",
        "Max units   "
        + (
            f"{template.max_units} {template.unit_label} approvable at once"
            if template.max_units is not None
            else f"no limit ({template.unit_label})"
        ),
        f"Exempt      {', '.join(template.exempt_product_lines) or 'no product line'}",
        "",
    ]
    if template.description:
        lines += [template.description, ""]
    lines.append("Questions")
    if not template.questions:
        lines.append("  none")
    for question in template.questions:
        need = "required" if question.required else "optional"
        lines.append(f"  {question.label}")
        kind = str(question.kind).replace("_", "/")
        choices = f" · choices: {', '.join(question.choices)}" if question.choices else ""
        lines.append(f"    {question.id} · {kind} · {need}{choices}")
        if question.help:
            lines.append(f"    {question.help}")
    lines.append("")
    attachments = ", ".join(template.required_attachments) or "none"
    lines.append(f"Attachments asked for: {attachments}")
    lines.append("")
    lines.append("Approved at once when all of these hold")
    labels = {q.id: q.label for q in template.questions}
    if not template.criteria:
        lines.append("  no criteria: every request goes to review")
    for criterion in template.criteria:
        lines.append(f"  {criterion_text(criterion, labels)}")
    return printable("\n".join(lines))


class PreauthTemplatesScreen(MenuScreen):
    """Every preauthorization template, searchable, for payer administrators."""

    MENU = "preauth"
    GUIDE = "preauth"
    CSS_PATH = stylesheet("preauth_templates")
    AUTO_FOCUS = "#pt-search"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="preauth_templates.back"),
        Binding("slash", "to_search", "Search", id="preauth_templates.search"),
        Binding("down", "to_list", "To the list", show=False, id="preauth_templates.to_list"),
        Binding("a", "toggle_active", "(De)activate", id="preauth_templates.toggle"),
        Binding("f5", "refresh", "Refresh", show=False, id="preauth_templates.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | preauth_templates.back | Back to the requests. |
    | / | preauth_templates.search | To the search. |
    | down | preauth_templates.to_list | From the search to the list. |
    | a | preauth_templates.toggle | Activate or deactivate the template under the cursor. |
    | f5 | preauth_templates.refresh | Fetch again. |
    """

    def __init__(self) -> None:
        super().__init__()
        self.templates: list[PreauthTemplateSummary] = []
        """Every template, as last fetched or changed here."""
        self.search = TemplateSearch([])
        """The ranking over `templates`."""
        self.loaded = False
        """Whether the templates have been fetched."""

    def compose_content(self) -> ComposeResult:
        yield Static("Preauthorization templates", classes="screen-title")
        yield Input(
            placeholder="Type a name or a code: sleep, mri knee, 95810",
            id="pt-search",
            compact=True,
        )
        yield Static("", id="pt-message", markup=False)
        yield ResultTable["PreauthTemplateSummary"](
            TEMPLATE_COLUMNS,
            key=lambda t: t.id,
            empty_text="No template matches.",
            id="pt-table",
        )
        yield Static(EDIT_HINT, id="pt-hint", markup=False)

    @property
    def table(self) -> ResultTable[PreauthTemplateSummary]:
        return self.query_one("#pt-table", ResultTable)

    def on_mount(self) -> None:
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_active":
            return self.loaded and manages_templates(self.portal.account)
        return True

    def say(self, text: str, error: bool = False) -> None:
        """The line above the list (red for a problem)."""
        message = self.query_one("#pt-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def fail(self, error: PortalError) -> None:
        """Say what went wrong; an ended session goes back to sign-in."""
        self.say(error.message, error=True)
        if isinstance(error, SessionExpired):
            self.report(error)

    @work(exclusive=True, group="preauth-templates")
    async def load(self) -> None:
        """Fetch every template (active and inactive: payer administrators get them all)."""
        self.table.reset()
        try:
            templates = await self.client.preauth_templates()
        except PortalError as error:
            self.table.show_error(error.message)
            self.fail(error)
            return
        self.templates = templates
        self.search = TemplateSearch(templates)
        self.loaded = True
        self.show_matches()
        self.refresh_bindings()

    def show_matches(self) -> None:
        """List the templates matching the search, best first, and say how many."""
        found = self.search.rank(self.query_one("#pt-search", Input).value)
        table = self.table
        table.reset()
        table.append_page(found, None, len(found))
        inactive = sum(1 for t in self.templates if not t.active)
        self.say(
            f"{len(found)} of {len(self.templates)} templates ({inactive} inactive). "
            "Enter reads; a (de)activates."
        )

    @on(Input.Changed, "#pt-search")
    def _typed(self) -> None:
        if self.loaded:
            self.show_matches()

    @on(Input.Submitted, "#pt-search")
    def _enter(self) -> None:
        """Enter in the search reads the best match."""
        if self.table.current is not None:
            self.open_template(self.table.current.id)

    @on(ResultTable.Opened, "#pt-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        row: PreauthTemplateSummary = event.row  # type: ignore[assignment]
        self.open_template(row.id)

    def open_template(self, template_id: str) -> None:
        """Read one template."""
        self.app.push_screen(PreauthTemplateViewScreen(template_id))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_to_search(self) -> None:
        self.query_one("#pt-search", Input).focus()

    def action_to_list(self) -> None:
        self.table.focus()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="preauth-templates-active")
    async def action_toggle_active(self) -> None:
        """Ask, then activate or deactivate the template under the cursor."""
        from portal_tui.modals.confirm import ConfirmModal

        template = self.table.current
        if template is None:
            return
        if template.active:
            question = ConfirmModal(
                f"Deactivate {template.name}?",
                "It is no longer offered for new requests nor counted by the check. Requests "
                "already made with it are kept.",
                yes="Deactivate",
            )
        else:
            question = ConfirmModal(
                f"Activate {template.name}?",
                "It is offered for new requests and counted by the check again.",
                yes="Activate",
            )
        if not await self.app.push_screen_wait(question):
            return
        try:
            changed = await self.client.set_preauth_template_active(
                template.id, not template.active
            )
        except PortalError as error:
            self.fail(error)
            return
        self.templates = [changed if t.id == changed.id else t for t in self.templates]
        self.search = TemplateSearch(self.templates)
        self.table.replace_rows([changed])
        state = "active" if changed.active else "inactive"
        self.say(f"{changed.name} is now {state}.")


class PreauthTemplateViewScreen(MenuScreen):
    """One template, read-only."""

    MENU = "preauth"
    GUIDE = "preauth"
    CSS_PATH = stylesheet("preauth_templates")
    AUTO_FOCUS = "#ptv-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="preauth_template_view.back"),
        Binding("f5", "refresh", "Refresh", show=False, id="preauth_template_view.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | preauth_template_view.back | Back to the templates. |
    | f5 | preauth_template_view.refresh | Fetch again. |
    """

    def __init__(self, template_id: str) -> None:
        super().__init__()
        self.template_id = template_id
        """The template shown."""
        self.template: PreauthTemplate | None = None
        """The template as last loaded."""

    def compose_content(self) -> ComposeResult:
        yield Static("Preauthorization template", id="ptv-title", classes="screen-title")
        yield Static("", id="ptv-message", markup=False)
        yield LoadingIndicator(id="ptv-loading")
        with VerticalScroll(id="ptv-body"):
            yield Static("", id="ptv-facts", markup=False)
        yield Static(
            printable(f"Edit: portal preauth template show {self.template_id} / save --from FILE"),
            id="ptv-hint",
            markup=False,
        )

    def on_mount(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="preauth-template-view")
    async def load(self) -> None:
        """Fetch the template and show it in words."""
        loading = self.query_one("#ptv-loading", LoadingIndicator)
        loading.display = True
        message = self.query_one("#ptv-message", Static)
        try:
            template = await self.client.get_preauth_template(self.template_id)
        except PortalError as error:
            message.update(printable(error.message))
            message.add_class("error")
            if isinstance(error, SessionExpired):
                self.report(error)
            return
        finally:
            loading.display = False
        self.template = template
        message.remove_class("error")
        message.update("")
        self.query_one("#ptv-title", Static).update(printable(template.name))
        self.query_one("#ptv-facts", Static).update(template_text(template))
