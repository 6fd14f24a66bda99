"""The payer administrator's view of overdue user reviews across TINs, on the test clock."""

from __future__ import annotations

from builders import add_user, principal_for
from portal_core.clock import SettableClock
from portal_core.models.identity import Role
from portal_core.services import Services
from portal_tui.app import PortalApp
from portal_tui.screens.reviews import ReviewsScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Practice
from tui.driving import screen_text, settle, sign_in


async def open_reviews(pilot, username: str) -> ResultTable:
    app: PortalApp = pilot.app
    await sign_in(pilot, username)
    await pilot.press("f3")
    await settle(
        pilot,
        lambda: (
            isinstance(app.screen, ReviewsScreen) and not app.screen.query_one(ResultTable).fetching
        ),
    )
    return app.screen.query_one(ResultTable)


async def test_an_open_review_shows_as_overdue_once_past_its_due_date(
    make_app, practice: Practice, services: Services, clock: SettableClock
):
    add_user(services.db, "pam.payer", Role.PAYER_ADMIN)
    campaign = services.reviews.open_campaign(
        principal_for(services.db, practice.admin_id), practice.tin
    )
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_reviews(pilot, "pam.payer")
        assert "Overdue user reviews" in screen_text(app)
        assert table.total == 0
        assert "No overdue reviews." in screen_text(app)

    # A month on (the session has long ended: a new one).
    clock.advance(days=(campaign.due_date - clock.now().date()).days + 1)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_reviews(pilot, "pam.payer")
        assert table.total == 1
        text = screen_text(app)
        assert "12-3456789" in text
        assert "Lakeside Family" in text
        assert "OVERDUE" in text
        assert table.current is not None and table.current.id == campaign.id
        # The overseer opens no review of their own.
        assert app.screen.check_action("open_campaign", ()) is False


async def test_the_practice_administrator_sees_only_their_tins_reviews(
    make_app, practice: Practice, services: Services, clock: SettableClock
):
    services.reviews.open_campaign(principal_for(services.db, practice.admin_id), practice.tin)
    clock.advance(days=60)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        table = await open_reviews(pilot, "ada.admin")
        text = screen_text(app)
        assert "Overdue user reviews" not in text
        assert "User reviews" in text
        assert table.total == 1
        assert "OVERDUE" in text
