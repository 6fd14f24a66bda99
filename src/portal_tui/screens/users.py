"""Users: the users of the active TIN (or payer staff), filtered and lazily paged; enter opens
one."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from portal_core.errors import PortalError
from portal_core.models.users import USER_EXPORT_COLUMNS
from portal_core.rules.local_time import iso_time
from portal_tui.assets import stylesheet
from portal_tui.display_text import when
from portal_tui.messages import OpenUser
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.result_table import Column, ResultTable

if TYPE_CHECKING:
    from portal_core.models.identity import Role
    from portal_core.models.users import UserFilter, UserSummary

PAGE_SIZE = 100
"""Users fetched per page."""

EXPORT_PAGE = 500
"""Users fetched per page while exporting."""

STATUS_CHOICES = [
    ("Active", "active"),
    ("Pending approval", "pending"),
    ("Locked", "locked"),
    ("Deactivated", "deactivated"),
]


STANDING_WORDS = {"removed": "deactivated"}
"""A user's or role's stored status in the one word every screen shows: a role removed at a TIN
is "deactivated" there, as the action that removes it is named (list, detail and filter alike)."""


def standing_word(status: object) -> str:
    """A user's or role's status in the screens' word (`removed` → `deactivated`)."""
    text = str(getattr(status, "value", status))
    return STANDING_WORDS.get(text, text)


def user_status(user: UserSummary) -> str:
    """One word for where a user stands at the TIN."""
    if user.role_status == "pending":
        return "pending"
    if user.locked:
        return "locked"
    if user.role_status == "removed":
        return standing_word(user.role_status)
    return standing_word(user.status)


def user_export_row(user: UserSummary) -> list[object]:
    """A user as a row of the exported list: codes as stored, times in the payer's zone."""
    row: list[object] = []
    for column in USER_EXPORT_COLUMNS:
        value = getattr(user, column)
        if isinstance(value, Enum):
            value = value.value
        elif hasattr(value, "astimezone"):
            value = iso_time(value)
        row.append(value)
    return row


def short_date(value: datetime | None) -> str:
    """`11/23/2026` (the payer's day), or `never` for no date."""
    return when(value, "day", missing="never")


USER_COLUMNS: list[Column[UserSummary]] = [
    Column("Username", 16, lambda u: u.username),
    Column("Name", 0, lambda u: u.full_name),
    Column("Role", 20, lambda u: u.role.label if u.role else ""),
    Column("Status", 11, user_status),
    Column("Last sign-in", 12, lambda u: short_date(u.last_sign_in_at)),
]


class UsersScreen(MenuScreen):
    """The user list of the active TIN."""

    MENU = "users"
    CSS_PATH = stylesheet("users")
    AUTO_FOCUS = "#users-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="users.filter"),
        Binding("c", "create", "New user", id="users.create"),
        Binding("x", "export", "Export", id="users.export"),
        Binding("f5", "refresh", "Refresh", id="users.refresh"),
        Binding("escape", "to_table", "List", show=False, id="users.to_table"),
    ]
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "create": ("manage_users", "manage_payer_staff"),
    }
    NEEDS_AT_ACTIVE_TIN = True

    def __init__(self) -> None:
        super().__init__()
        self._open_when_loaded: str | None = None

    def compose_content(self) -> ComposeResult:
        yield Static("Users", classes="screen-title", id="users-title")
        with Horizontal(id="users-filters"):
            yield Input(placeholder="Name, username or email  (/)", id="users-text")
            yield Select[str](STATUS_CHOICES, prompt="Any status", id="users-status")
            yield Select[str](
                [(role.label, role.value) for role in _roles(self._payer_side())],
                prompt="Any role",
                id="users-role",
            )
        yield ResultTable["UserSummary"](
            USER_COLUMNS, key=lambda u: u.id, empty_text="No user matches.", id="users-table"
        )

    def _payer_side(self) -> bool:
        account = self.portal.account
        return account is not None and account.payer_role is not None and not account.active_tin

    @property
    def table(self) -> ResultTable[UserSummary]:
        return self.query_one("#users-table", ResultTable)

    def reload_after(self, _: object) -> None:
        """Fetch again once a pushed screen closes (it may have changed something)."""
        self.load()

    def on_mount(self) -> None:
        self.load()

    def current_filter(self) -> UserFilter:
        """The filter the controls describe, at the active TIN."""
        from portal_core.models.users import UserFilter

        account = self.portal.account
        status = self.query_one("#users-status", Select).value
        role = self.query_one("#users-role", Select).value
        return UserFilter(
            tin=account.active_tin if account else None,
            text=self.query_one("#users-text", Input).value.strip(),
            status=None if status is Select.NULL else str(status),
            role=None if role is Select.NULL else role,
        )

    @on(Input.Changed, "#users-text")
    @on(Select.Changed)
    def _filter_changed(self) -> None:
        self.load()

    @on(Input.Submitted, "#users-text")
    def action_to_table(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one("#users-text", Input).focus()

    def action_refresh(self) -> None:
        self.load()

    @on(ResultTable.NeedMore, "#users-table")
    def _more(self, event: ResultTable.NeedMore) -> None:
        self.load(event.after)

    @work(exclusive=True, group="users-list")
    async def load(self, after: str | None = None) -> None:
        """Fetch the first page of the filter (or the page after `after`)."""
        table = self.table
        if after is None:
            table.reset()
        try:
            page = await self.client.list_users(self.current_filter(), after=after, limit=PAGE_SIZE)
        except PortalError as error:
            table.show_error(error.message)
            self.report(error)
            return
        table.append_page(page.items, page.next_cursor, page.total)
        if after is None and self._open_when_loaded is not None:
            wanted, self._open_when_loaded = self._open_when_loaded.lower(), None
            match = next((u for u in page.items if u.username.lower() == wanted), None)
            if match is None and len(page.items) == 1:
                match = page.items[0]
            if match is not None:
                self.open_user(match.id)
            elif not page.items:
                self.notify("No user by that name at this TIN.", severity="warning")

    @work(exclusive=True, group="users-export")
    async def action_export(self) -> None:
        """Save every user the filter matches as CSV, to a file only the user can read."""
        import asyncio
        from pathlib import Path

        from portal_core.paths import data_dir, write_private_file
        from portal_core.rules.csv_cells import csv_bytes
        from portal_tui.modals.file_path import FilePathModal

        wanted = self.current_filter()
        default = data_dir() / "exports" / f"users-{wanted.tin or 'payer'}.csv"
        path = await self.app.push_screen_wait(FilePathModal("Export the user list", default))
        if path is None:
            return
        found: list[UserSummary] = []
        after: str | None = None
        try:
            while True:
                page = await self.client.list_users(wanted, after=after, limit=EXPORT_PAGE)
                found.extend(page.items)
                after = page.next_cursor
                if after is None:
                    break
        except PortalError as error:
            self.report(error)
            return
        content = csv_bytes(USER_EXPORT_COLUMNS, (user_export_row(u) for u in found))
        try:
            await asyncio.to_thread(write_private_file, Path(path), content)
        except OSError as error:
            self.notify(f"The file could not be written: {error.strerror}", severity="error")
            return
        self.notify(f"{len(found)} users saved to {path}.")

    @on(ResultTable.Opened, "#users-table")
    def _opened(self, event: ResultTable.Opened) -> None:
        user = event.row
        self.open_user(user.id)  # type: ignore[attr-defined]

    def open_user(self, user_id: int) -> None:
        """Show one user's detail."""
        from portal_tui.screens.user_detail import UserDetailScreen

        self.app.push_screen(UserDetailScreen(user_id), self.reload_after)

    def on_open_user(self, message: OpenUser) -> None:
        self._open_when_loaded = message.username
        self.query_one("#users-text", Input).value = message.username
        self.load()

    def action_create(self) -> None:
        from portal_tui.screens.user_forms import CreateUserScreen

        if not self.may("create"):
            return

        self.app.push_screen(CreateUserScreen(), self.reload_after)


def _roles(payer: bool = False) -> list[Role]:
    from portal_core.models.identity import PAYER_ROLES, PROVIDER_ROLES

    return list(PAYER_ROLES if payer else PROVIDER_ROLES)


MENU_SCREEN = UsersScreen
"""The screen the users menu opens on."""
