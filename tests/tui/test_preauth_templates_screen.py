"""Template management over the small demo: a payer administrator opens the templates (inactive
ones too), types "sleep" and the sleep study comes first, reads it, deactivates one and the list
and the store say inactive; a refused toggle shows the service's message; office staff get no
key; every binding is in docs/keys.md."""

from __future__ import annotations

from sqlalchemy import select

from portal_core.demo.catalog import DEMO_PASSWORD
from portal_core.store.schema import preauth_templates
from portal_tui.app import PortalApp
from portal_tui.modals.confirm import ConfirmModal
from portal_tui.screens.preauth_templates import (
    PreauthTemplatesScreen,
    PreauthTemplateViewScreen,
)
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle
from tui.test_preauth_screens import SIZE, SLEEP, open_preauth


def stored_active(demo: Demo, template_id: str) -> bool | None:
    """Whether the store holds the template as active."""
    with demo.services.db.read() as conn:
        return conn.execute(
            select(preauth_templates.c.active).where(preauth_templates.c.id == template_id)
        ).scalar()


async def open_templates(pilot, app: PortalApp) -> PreauthTemplatesScreen:
    await open_preauth(pilot, app, "payer.admin")
    # No request list for payer administrators (it would be refused): the way to the templates.
    assert "t opens the preauthorization templates" in screen_text(app)
    await pilot.press("t")
    await settle(pilot, lambda: isinstance(app.screen, PreauthTemplatesScreen))
    screen = app.screen
    assert isinstance(screen, PreauthTemplatesScreen)
    await settle(pilot, lambda: screen.loaded)
    return screen


async def test_payer_admin_reads_a_template_and_deactivates_one(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_templates(pilot, app)
        table = screen.query_one("#pt-table", ResultTable)
        assert len(table.rows) > 100
        assert "portal preauth template show" in screen_text(app)

        await pilot.press(*"sleep")
        await settle(pilot, lambda: bool(table.rows) and table.rows[0].id == SLEEP)
        assert len(table.rows) < 20
        assert "Sleep study (polysomnography)" in screen_text(app)

        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, PreauthTemplateViewScreen))
        view = app.screen
        assert isinstance(view, PreauthTemplateViewScreen)
        await settle(pilot, lambda: view.template is not None)
        text = screen_text(app)
        assert "Sleep study (polysomnography)" in text and "Epworth" in text
        assert "required" in text
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)

        await pilot.press("down")
        await settle(pilot, lambda: table.has_focus)
        first = table.rows[0]
        assert first.id == SLEEP and first.active
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await settle(pilot, lambda: not table.rows[0].active)
        assert stored_active(demo, SLEEP) is False
        await settle(pilot, lambda: "is now inactive" in screen_text(app))
        row = next(
            line
            for line in screen_text(app).splitlines()
            if "Sleep study (poly" in line and "95810" in line
        )
        assert " no" in row and " yes" not in row

        # Inactive templates stay in the administrator's list (and survive a refetch).
        await pilot.press("f5")
        await settle(pilot, lambda: screen.loaded and bool(table.rows))
        assert any(t.id == SLEEP and not t.active for t in screen.templates)

        # Saying no changes nothing.
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")
        await settle(pilot, lambda: app.screen is screen)
        assert stored_active(demo, SLEEP) is False


async def test_staff_get_no_template_key(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preauth(pilot, app, "staff.lakeside")
        assert not screen.check_action("templates", ())
        assert "Templates" not in screen_text(app).splitlines()[-1]
        await pilot.press("t")
        await pilot.pause()
        assert app.screen is screen


async def test_a_refused_toggle_shows_the_service_message(demo: Demo):
    """A session that lost its payer_admin role: the service refuses and says why."""
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_templates(pilot, app)
        table = screen.query_one("#pt-table", ResultTable)
        table.focus()
        # The screen still shows the key, but the backend session is now office staff's: the
        # service refuses and its message shows.
        client = app.client
        assert client is not None
        await client.sign_out()
        await client.sign_in("staff.lakeside", DEMO_PASSWORD)
        before = stored_active(demo, table.rows[0].id)
        await pilot.press("a")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await settle(pilot, lambda: screen.query_one("#pt-message").has_class("error"))
        assert "is now" not in screen_text(app)
        assert stored_active(demo, table.rows[0].id) == before


def test_keys_md_lists_every_template_binding_id():
    from textual.binding import Binding

    from portal_tui.assets import guide_path
    from portal_tui.screens.preauth import PreauthListScreen

    keys = guide_path("keys").read_text(encoding="utf-8")
    ids = {
        b.id
        for cls in (PreauthTemplatesScreen, PreauthTemplateViewScreen, PreauthListScreen)
        for b in cls.__dict__.get("BINDINGS", [])
        if isinstance(b, Binding) and b.id
    }
    assert "preauth.templates" in ids and "preauth_templates.toggle" in ids
    assert sorted(i for i in ids if f"`{i}`" not in keys) == []
