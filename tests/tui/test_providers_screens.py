"""The Provider Profile menu over the small demo: search and open a profile, an administrator's
change request (bad input first), a payer administrator's approval showing on the profile, no
update action for staff, the palette's NPI jump, and every key documented."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from textual.widgets import Input, Select

from portal_core.demo.catalog import DEMO_PASSWORD
from portal_core.store.schema import profile_update_requests, provider_languages, providers
from portal_tui.app import PortalApp
from portal_tui.assets import guide_path
from portal_tui.modals.justification import JustificationModal
from portal_tui.screens.profile_update_form import ProfileUpdateFormScreen
from portal_tui.screens.profile_updates import ProfileUpdateDetailScreen, ProfileUpdatesScreen
from portal_tui.screens.provider_profile import ProviderProfileScreen
from portal_tui.screens.providers import ProvidersScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in

SIZE = (100, 30)


def request_count(demo: Demo) -> int:
    with demo.services.db.read() as conn:
        return int(
            conn.execute(select(func.count()).select_from(profile_update_requests)).scalar_one()
        )


def rivera_npi(demo: Demo) -> str:
    with demo.services.db.read() as conn:
        return str(
            conn.execute(
                select(providers.c.npi).where(providers.c.name == "Dr. Elena Rivera")
            ).scalar_one()
        )


async def open_directory(pilot, app: PortalApp, username: str) -> ProvidersScreen:
    await sign_in(pilot, username, DEMO_PASSWORD)
    await pilot.press("9")
    await settle(pilot, lambda: isinstance(app.screen, ProvidersScreen))
    screen = app.screen
    assert isinstance(screen, ProvidersScreen)
    table = screen.query_one("#providers-table", ResultTable)
    await settle(pilot, lambda: not table.fetching and len(table.rows) > 0)
    return screen


async def open_rivera(pilot, app: PortalApp, username: str) -> ProviderProfileScreen:
    screen = await open_directory(pilot, app, username)
    screen.query_one("#provider-name", Input).value = "rivera"
    await pilot.press("slash")
    await pilot.press("enter")
    table = screen.query_one("#providers-table", ResultTable)
    await settle(pilot, lambda: not table.fetching and len(table.rows) == 1)
    await settle(pilot, lambda: app.focused is table)
    await pilot.press("enter")
    await settle(
        pilot,
        lambda: isinstance(app.screen, ProviderProfileScreen) and app.screen.profile is not None,
    )
    assert isinstance(app.screen, ProviderProfileScreen)
    await settle(pilot, lambda: "Tax ID affiliations" in screen_text(app))
    return app.screen


async def test_search_and_open_a_profile(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        profile = await open_rivera(pilot, app, "staff.lakeside")
        text = screen_text(app)
        assert "Dr. Elena Rivera" in text
        assert "Family Medicine" in text and "Languages" in text
        assert "1200 Lakeshore Dr, Springfield, IL 62701" in text
        assert "46-1234567 Lakeside Family Practice" in text
        assert profile.profile is not None and profile.profile.networks
        # A staff user has no update action.
        assert profile.profile.updatable_tins == []
        assert not any(b.id == "profile.request_update" for b in _active(app))
        await pilot.press("u")
        await pilot.pause()
        assert not isinstance(app.screen, ProfileUpdateFormScreen)


def _active(app: PortalApp):
    """The bindings the footer offers now (enabled ones)."""
    return [b.binding for b in app.screen.active_bindings.values() if b.enabled]


async def test_admin_request_refuses_an_empty_value_then_sends(demo: Demo):
    before = request_count(demo)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_rivera(pilot, app, "admin.lakeside")
        assert any(b.id == "profile.request_update" for b in _active(app))
        await pilot.press("u")
        await settle(pilot, lambda: isinstance(app.screen, ProfileUpdateFormScreen))
        form = app.screen
        assert isinstance(form, ProfileUpdateFormScreen)
        await settle(pilot, lambda: "Now: 555-0200" in screen_text(app))
        form.query_one("#change-reason", Input).value = "New direct line for the clinic."
        await pilot.press("ctrl+s")
        message = form.query_one("#change-message")
        await settle(pilot, lambda: "Enter the new phone." in str(message.render()))
        assert request_count(demo) == before
        form.query_one("#change-value", Input).value = "217-555-0199"
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, ProfileUpdateDetailScreen) and app.screen.request is not None
            ),
        )
        detail = app.screen
        assert isinstance(detail, ProfileUpdateDetailScreen)
        assert request_count(demo) == before + 1
        await settle(pilot, lambda: "new: 217-555-0199" in screen_text(app))
        text = screen_text(app)
        assert "was: 555-0200" in text and "new: 217-555-0199" in text
        assert "Waiting for the payer's approval." in text
        # The admin's own requests list shows it as pending.
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ProviderProfileScreen))
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ProvidersScreen))
        await pilot.press("f6")
        await settle(pilot, lambda: isinstance(app.screen, ProfileUpdatesScreen))
        table = app.screen.query_one("#updates-table", ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) > 0)
        await settle(
            pilot, lambda: bool(re.search(r"Dr\. Elena Rivera.*Phone.*pending", screen_text(app)))
        )


async def test_payer_admin_approves_and_the_profile_shows_the_new_value(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_directory(pilot, app, "payer.admin")
        await pilot.press("f6")
        await settle(pilot, lambda: isinstance(app.screen, ProfileUpdatesScreen))
        table = app.screen.query_one("#updates-table", ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) > 0)
        await settle(pilot, lambda: "Approval queue, oldest first" in screen_text(app))
        # The oldest is the demo's request for Dr. Rivera's languages.
        await settle(pilot, lambda: app.focused is table)
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, ProfileUpdateDetailScreen) and app.screen.request is not None
            ),
        )
        await settle(pilot, lambda: "new: English, Spanish, Portuguese" in screen_text(app))
        await pilot.press("a")
        detail = app.screen
        await settle(
            pilot,
            lambda: detail.request is not None and detail.request.status == "approved",
        )
        await settle(pilot, lambda: "Decided: approved." in screen_text(app))
    npi = rivera_npi(demo)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await app.action_menu("providers")
        app.push_screen(ProviderProfileScreen(npi))
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, ProviderProfileScreen) and app.screen.profile is not None
            ),
        )
        await settle(pilot, lambda: "English, Portuguese, Spanish" in screen_text(app))


async def test_payer_admin_rejects_with_a_note(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "payer.admin", DEMO_PASSWORD)
        await app.action_menu("providers")
        app.push_screen(ProfileUpdateDetailScreen(1))
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, ProfileUpdateDetailScreen) and app.screen.request is not None
            ),
        )
        detail = app.screen
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, JustificationModal))
        app.screen.query_one("#reason", Input).value = "No certificate attached."
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: detail.request is not None and detail.request.status == "rejected",
        )
        await settle(pilot, lambda: "Note: No certificate attached." in screen_text(app))
    with demo.services.db.read() as conn:
        spoken = set(
            conn.execute(
                select(provider_languages.c.language).where(
                    provider_languages.c.npi == rivera_npi(demo)
                )
            ).scalars()
        )
    assert "Portuguese" not in spoken


async def test_the_palette_opens_a_provider_by_npi(demo: Demo):
    from portal_tui.commands import RecordCommands

    npi = rivera_npi(demo)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "billing.acme", DEMO_PASSWORD)
        provider = RecordCommands(app.screen)
        hits = [hit async for hit in provider.search(f"npi {npi}")]
        assert [hit.text for hit in hits] == [f"Open provider {npi}"]
        await hits[0].command()
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, ProviderProfileScreen) and app.screen.profile is not None
            ),
        )
        assert app.current_mode == "providers"
        await settle(pilot, lambda: "Tax ID affiliations" in screen_text(app))


async def test_the_form_lists_location_fields_for_a_location(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_rivera(pilot, app, "admin.lakeside")
        await pilot.press("u")
        await settle(pilot, lambda: isinstance(app.screen, ProfileUpdateFormScreen))
        form = app.screen
        form.query_one("#change-field", Select).value = "location"
        await settle(pilot, lambda: form.query_one("#change-location").display)
        await settle(pilot, lambda: "Now: (a new location)" in screen_text(app))
        form.query_one("#change-address", Input).value = "310 Main St"
        form.query_one("#change-city", Input).value = "Champaign"
        form.query_one("#change-state", Input).value = "IL"
        form.query_one("#change-zip", Input).value = "6182"
        form.query_one("#change-reason", Input).value = "Thursday clinic."
        before = request_count(demo)
        await pilot.press("ctrl+s")
        message = form.query_one("#change-message")
        await settle(pilot, lambda: "ZIP code" in str(message.render()))
        assert request_count(demo) == before


def test_keys_and_guide_are_documented():
    from textual.binding import Binding

    from portal_tui.screens import profile_update_form, profile_updates, provider_profile
    from portal_tui.screens import providers as providers_screen

    assert guide_path("providers").is_file()
    keys = guide_path("keys").read_text(encoding="utf-8")
    for cls in (
        providers_screen.ProvidersScreen,
        provider_profile.ProviderProfileScreen,
        profile_update_form.ProfileUpdateFormScreen,
        profile_updates.ProfileUpdatesScreen,
        profile_updates.ProfileUpdateDetailScreen,
    ):
        for binding in cls.BINDINGS:
            assert isinstance(binding, Binding) and binding.id, cls
            assert f"`{binding.id}`" in keys, binding.id
