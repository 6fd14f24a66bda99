"""Words on screen: columns that fit their content (money never cut), and times on the payer's
clock with its zone (a record of 03:46 UTC on 12/04 is 12/03 21:46 CST on screen, as in letters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from textual.app import App, ComposeResult

from portal_core.services import Services
from portal_core.store.schema import users
from portal_tui.app import PortalApp
from portal_tui.screens.user_detail import UserDetailScreen
from portal_tui.screens.users import UsersScreen
from portal_tui.widgets.result_table import Column, ResultTable
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in

LATE_EVENING = datetime(2026, 12, 4, 3, 46, tzinfo=UTC)


@dataclass(frozen=True)
class Payment:
    id: int
    tin: str
    member: str
    amount: str
    role: str


COLUMNS: list[Column[Payment]] = [
    Column("TIN", 3, lambda p: p.tin),
    Column("Member", 0, lambda p: p.member),
    Column("Role", 6, lambda p: p.role),
    Column("Amount", 8, lambda p: p.amount),
]


class NarrowApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResultTable[Payment](
            COLUMNS, key=lambda p: p.id, before_text="Search by payment number or Tax ID."
        )


async def test_columns_fit_their_widest_value_and_money_is_never_cut():
    app = NarrowApp()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResultTable)
        table.stop_loading()
        await pilot.pause()
        assert "Search by payment number or Tax ID." in screen_text(app)  # type: ignore[arg-type]
        table.reset()
        table.append_page(
            [
                Payment(1, "52-1234567", "Maria Lopez", "$11,455,791.00", "Administrator"),
                Payment(2, "52-7654321", "Li Wei", "$12.00", "Staff"),
            ],
            None,
            2,
        )
        await pilot.pause()
        text = screen_text(app)  # type: ignore[arg-type]
        assert "$11,455,791.00" in text
        assert "52-1234567" in text
        assert "Administrator" in text
        header = next(line for line in text.splitlines() if "TIN" in line)
        assert "Member" in header and "Amount" in header


async def test_a_time_on_screen_is_the_payer_clock_with_its_zone(
    make_app, practice: Practice, services: Services
):
    with services.db.write() as conn:
        conn.execute(
            update(users).where(users.c.username == "staff.01").values(last_sign_in_at=LATE_EVENING)
        )
    app: PortalApp = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, "ada.admin")
        await pilot.press("f2")
        await settle(pilot, lambda: isinstance(app.screen, UsersScreen))
        await settle(pilot, lambda: "staff.01" in screen_text(app))
        line = next(x for x in screen_text(app).splitlines() if "staff.01" in x)
        assert "12/03/2026" in line and "12/04/2026" not in line  # the payer's day
        await app.open_user("staff.01")
        await settle(pilot, lambda: isinstance(app.screen, UserDetailScreen) and app.screen.user)
        assert "Last sign-in  12/03/2026 21:46 CST" in screen_text(app)
