"""Providers: the directory search (NPI, name, specialty, city, state, ZIP), results lazily paged;
enter opens a provider's profile. From here, the change requests: an administrator's own, or for
a payer administrator the approval queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static

from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen
from portal_tui.screens.claims import field
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.providers import ProviderSearch, ProviderSummary
    from portal_tui.app import PortalApp

PAGE_SIZE = 100
"""Providers fetched per page."""

PROVIDER_COLUMNS: list[Column[ProviderSummary]] = [
    Column("NPI", 10, lambda p: p.npi),
    Column("Name", 0, lambda p: p.name),
    Column("Specialty", 19, lambda p: p.specialty),
    Column("City", 16, lambda p: f"{p.city}, {p.state}" if p.city else ""),
    Column("Panel", 6, lambda p: p.panel_status),
]


def may_see_requests(app: PortalApp) -> bool:
    """Administrators see their TINs' change requests; payer administrators the queue."""
    account = app.account
    if account is None:
        return False
    if account.payer_role is not None:
        return account.payer_role.value == "payer_admin"
    return any(r.role.value == "administrator" and r.status == "active" for r in account.roles)


async def open_provider(app: PortalApp, npi: str) -> None:
    """Jump to a provider's profile in the providers menu (the palette's NPI jump)."""
    from portal_tui.screens.provider_profile import ProviderProfileScreen

    await app.action_menu("providers")
    app.push_screen(ProviderProfileScreen(npi))


class ProvidersScreen(MenuScreen):
    """Search the provider directory; results page in as the cursor goes down."""

    MENU = "providers"
    GUIDE = "providers"
    CSS_PATH = stylesheet("providers")
    AUTO_FOCUS = "#providers-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "search", "Search", id="providers.search"),
        Binding("slash", "form", "Form", id="providers.form"),
        Binding("escape", "to_table", "List", show=False, id="providers.to_table"),
        Binding("f6", "requests", "Change requests", id="providers.requests"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | enter, ctrl+s | providers.search | Search with the form. |
    | / | providers.form | Back to the form (from the list). |
    | escape | providers.to_table | To the list (from the form). |
    | f6 | providers.requests | Change requests: your TINs' or, for payer admins, the queue. |
    """
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "requests": (
            "request_profile_update",
            "approve_profile_update",
        ),
    }

    def __init__(self) -> None:
        super().__init__()
        self.search_shown: ProviderSearch | None = None
        """The search of the list shown."""

    def compose_content(self) -> ComposeResult:
        yield Static("Provider directory", classes="screen-title")
        with Horizontal(classes="field-row"):
            yield from field("NPI ", "provider-npi", "10-digit NPI", 12)
            yield from field("Name", "provider-name", "name", 18)
            yield from field("Specialty", "provider-specialty", "specialty", 16)
        with Horizontal(classes="field-row"):
            yield from field("City", "provider-city", "city", 16)
            yield from field("State", "provider-state", "ST", 5)
            yield from field("ZIP", "provider-zip", "ZIP", 8)
        yield Static(
            "/ goes to the form; enter searches (empty lists everyone). f6 change requests.",
            id="providers-message",
            markup=False,
        )
        yield ResultTable["ProviderSummary"](
            PROVIDER_COLUMNS,
            key=lambda p: p.npi,
            empty_text="No provider matches.",
            id="providers-table",
        )

    @property
    def table(self) -> ResultTable[ProviderSummary]:
        return self.query_one("#providers-table", ResultTable)

    def on_mount(self) -> None:
        self.search_shown = self.search_from_form()
        self.load()

    def value(self, field_id: str) -> str:
        """A field's text, stripped."""
        return self.query_one(f"#{field_id}", Input).value.strip()

    def search_from_form(self) -> ProviderSearch:
        """The search the form describes (the service checks every field)."""
        from portal_core.models.providers import ProviderSearch

        return ProviderSearch(
            npi=self.value("provider-npi") or None,
            name=self.value("provider-name") or None,
            specialty=self.value("provider-specialty") or None,
            city=self.value("provider-city") or None,
            state=self.value("provider-state") or None,
            zip=self.value("provider-zip") or None,
        )

    def say(self, text: str, error: bool = False) -> None:
        """The line above the results (red for a problem)."""
        message = self.query_one("#providers-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    @on(Input.Submitted)
    def action_search(self) -> None:
        self.search_shown = self.search_from_form()
        self.load()

    def action_form(self) -> None:
        self.query_one("#provider-npi", Input).focus()

    def action_to_table(self) -> None:
        self.table.focus()

    @on(ResultTable.NeedMore, "#providers-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="providers")
    async def load(self, after: str | None = None) -> None:
        """Fetch the first page of the search (or the page after `after`)."""
        search = self.search_shown
        if search is None:
            return
        table = self.table
        if after is None:
            self.say("Searching…")
        page = await self.fill_table(
            table, after, lambda: self.client.search_providers(search, after=after, limit=PAGE_SIZE)
        )
        if page is None:
            return
        if after is None:
            self.say("Enter opens a provider's profile; / the form; f6 change requests.")
            if page.items:
                table.focus()

    @on(ResultTable.Opened, "#providers-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        from portal_tui.screens.provider_profile import ProviderProfileScreen

        self.app.push_screen(ProviderProfileScreen(event.row.npi))  # type: ignore[attr-defined]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "requests" and not may_see_requests(self.portal):
            return False
        return super().check_action(action, parameters)

    def action_requests(self) -> None:
        from portal_tui.screens.profile_updates import ProfileUpdatesScreen

        self.app.push_screen(ProfileUpdatesScreen())


MENU_SCREEN = ProvidersScreen
"""The screen the providers menu opens on."""
