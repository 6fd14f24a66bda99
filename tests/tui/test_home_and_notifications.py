"""The finished home screen, the notifications panel, the documents menu and announcements, on the
small demo: home shows announcements, unread threads and denied claims for admin.lakeside; the
panel marks read and opens what a notification is about; documents filter by kind, a text letter
is viewed as text and saved 0600; a payer administrator publishes an announcement and it shows."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import func, select
from textual.widgets import Input, Select, Static, TextArea

from builders import principal_for
from portal_core.demo.catalog import DEMO_PASSWORD, MAIN_TIN
from portal_core.models.claims import DeniedQuery
from portal_core.models.messages import ThreadFilter
from portal_core.models.preauth import PreauthQuery
from portal_core.store.schema import announcements, notifications, users
from portal_tui.app import PortalApp
from portal_tui.modals.announcement_form import AnnouncementFormModal
from portal_tui.modals.file_path import FilePathModal
from portal_tui.modals.notifications import NotificationsModal
from portal_tui.screens.documents import DocumentsScreen, DocumentViewerScreen
from portal_tui.screens.home import HomeScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in

SIZE = (100, 40)


def user_id(demo: Demo, username: str) -> int:
    with demo.services.db.read() as conn:
        return int(
            conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one()
        )


def unread_notifications(demo: Demo, username: str) -> int:
    with demo.services.db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(notifications)
                .where(
                    notifications.c.user_id == user_id(demo, username),
                    notifications.c.read_at.is_(None),
                )
            ).scalar_one()
        )


def section(app: PortalApp, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}", Static).render())


def loaded(app: PortalApp, *ids: str) -> bool:
    return isinstance(app.screen, HomeScreen) and all("Loading" not in section(app, i) for i in ids)


async def test_home_shows_announcements_threads_and_denied_claims(demo: Demo):
    services = demo.services
    admin = principal_for(services.db, user_id(demo, "admin.lakeside"), MAIN_TIN)
    unread_threads = services.messages.unread_thread_count(admin)
    groups = services.claims.denied_worklist(admin, DeniedQuery(days=30))  # every TIN, as d
    denied = sum(g.claim_count for g in groups)
    assert denied > 0
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "admin.lakeside", DEMO_PASSWORD)
        ids = ("home-announcements", "home-threads", "home-denied", "home-actions")
        await settle(pilot, lambda: loaded(app, *ids))
        shown = section(app, "home-announcements")
        assert "Portal maintenance Sunday night" in shown
        assert "Time to review your portal users" in shown
        assert "your review is due" in shown  # the notice links to the open review
        assert "Holiday hours" not in shown  # expired
        threads = section(app, "home-threads")
        if unread_threads:
            assert f"{unread_threads:,} thread" in threads
        else:
            assert "No unread messages" in threads
        assert f"{denied:,} denied claim" in section(app, "home-denied")
        top = max(groups, key=lambda g: g.claim_count)
        assert top.carc in section(app, "home-denied")
        assert "User review of" in section(app, "home-actions")
        # The status bar counts the unread notifications.
        count = unread_notifications(demo, "admin.lakeside")
        await settle(pilot, lambda: f"{count} unread" in screen_text(app))

        pending = services.preauth.list_preauths(admin, PreauthQuery(pending_only=True))
        await settle(pilot, lambda: loaded(app, "home-preauths"))
        if pending.items:
            assert pending.items[0].number in section(app, "home-preauths") or (
                "waiting for a decision" in section(app, "home-preauths")
            )
        else:
            assert "No request waits" in section(app, "home-preauths")

        await pilot.press("d")
        await settle(pilot, lambda: app.current_mode == "claims")
        await settle(pilot, lambda: "Denied claims" in screen_text(app))


async def test_notifications_panel_marks_read_and_opens_a_letter(demo: Demo):
    before = unread_notifications(demo, "staff.lakeside")
    assert before >= 2
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await pilot.press("ctrl+n")
        await settle(pilot, lambda: isinstance(app.screen, NotificationsModal))
        table = app.screen.query_one("#notifications", ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) >= 2)
        # r marks the newest read.
        first = table.current
        assert first is not None and first.read_at is None
        await pilot.press("r")
        await settle(pilot, lambda: unread_notifications(demo, "staff.lakeside") == before - 1)
        await settle(
            pilot, lambda: not table.fetching and table.rows and table.rows[0].read_at is not None
        )
        await settle(pilot, lambda: app.unread_count == before - 1)
        # The letter notification opens the letter in the documents viewer.
        index = next(
            i for i, n in enumerate(table.rows) if n.link_kind == "document" and n.read_at is None
        )
        letter_id = int(table.rows[index].link_id or 0)
        table.cursor = index
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DocumentViewerScreen))
        viewer = app.screen
        await settle(pilot, lambda: viewer.document is not None)
        assert app.current_mode == "documents"
        assert viewer.document is not None and viewer.document.id == letter_id
        await settle(pilot, lambda: "DETERMINATION" in screen_text(app).upper())
        assert unread_notifications(demo, "staff.lakeside") == before - 2


async def test_notifications_panel_marks_all_read_from_the_palette(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "admin.lakeside", DEMO_PASSWORD)
        assert unread_notifications(demo, "admin.lakeside") >= 1
        await pilot.press("ctrl+p")
        await pilot.press(*"notifications")
        await settle(pilot, lambda: "Notifications" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, NotificationsModal))
        table = app.screen.query_one("#notifications", ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) >= 1)
        await pilot.press("a")
        await settle(pilot, lambda: unread_notifications(demo, "admin.lakeside") == 0)
        await settle(pilot, lambda: app.unread_count == 0)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_documents_filter_view_and_save(demo: Demo, tmp_path: Path):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        # The administrator reads letters and EOPs (staff may not read payments, nor their EOPs).
        await sign_in(pilot, "admin.lakeside", DEMO_PASSWORD)
        await pilot.press("0")
        await settle(pilot, lambda: isinstance(app.screen, DocumentsScreen))
        screen = app.screen
        table = screen.query_one("#documents", ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) >= 2)
        assert {d.kind for d in table.rows} >= {"letter", "eop"}

        screen.query_one("#doc-kind", Select).value = "letter"
        await settle(
            pilot,
            lambda: (
                not table.fetching and table.rows and all(d.kind == "letter" for d in table.rows)
            ),
        )
        letter = table.rows[0]
        # A linked-record filter that matches nothing empties the list.
        screen.query_one("#doc-linked", Input).value = "C2099000000000"
        screen.query_one("#doc-linked", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: not table.fetching and table.rows == [])
        screen.query_one("#doc-linked", Input).value = letter.linked_id or ""
        screen.query_one("#doc-since", Input).value = "not a day"
        await pilot.press("enter")
        await settle(pilot, lambda: "YYYY-MM-DD" in screen_text(app))
        screen.query_one("#doc-since", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(
            pilot, lambda: not table.fetching and [d.id for d in table.rows] == [letter.id]
        )

        table.focus()
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DocumentViewerScreen))
        viewer = app.screen
        await settle(pilot, lambda: viewer.document is not None)
        body = str(viewer.query_one("#document-text", Static).render())
        assert body.strip() and "[" not in body.split("\n")[0][:1]
        assert letter.linked_id and letter.linked_id in screen_text(app)

        target = tmp_path / "saved" / "letter.txt"
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, FilePathModal))
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot, lambda: target.exists())
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert viewer.document is not None and target.read_bytes() == viewer.document.content


async def test_payer_admin_publishes_an_announcement_and_it_shows(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "payer.admin", DEMO_PASSWORD)
        await settle(pilot, lambda: loaded(app, "home-announcements"))
        await pilot.press("p")
        await settle(pilot, lambda: isinstance(app.screen, AnnouncementFormModal))
        modal = app.screen
        await pilot.press("ctrl+s")
        await settle(
            pilot, lambda: "Write a title." in str(modal.query_one(".modal-error").render())
        )
        modal.query_one("#announcement-title", Input).value = "New claim edits in January"
        modal.query_one("#announcement-body", TextArea).text = "[bold]Read[/bold] the list."
        modal.query_one("#announcement-expires", Input).value = "2020-01-01"
        await pilot.press("ctrl+s")
        await settle(
            pilot, lambda: "after the publication" in str(modal.query_one(".modal-error").render())
        )
        modal.query_one("#announcement-expires", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, HomeScreen))
        await settle(
            pilot, lambda: "New claim edits in January" in section(app, "home-announcements")
        )
        # Shown as typed: the markup is text, not styling.
        assert "[bold]Read[/bold]" in section(app, "home-announcements")
        with demo.services.db.read() as conn:
            assert (
                conn.execute(
                    select(func.count())
                    .select_from(announcements)
                    .where(announcements.c.title == "New claim edits in January")
                ).scalar_one()
                == 1
            )


async def test_a_provider_user_cannot_publish(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "admin.lakeside", DEMO_PASSWORD)
        await settle(pilot, lambda: loaded(app, "home-announcements"))
        await pilot.press("p")
        await pilot.pause()
        assert not isinstance(app.screen, AnnouncementFormModal)


async def test_recent_items_reopen_what_the_user_opened(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await pilot.press("0")
        await settle(pilot, lambda: isinstance(app.screen, DocumentsScreen))
        table = app.screen.query_one("#documents", ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) >= 1)
        opened = table.rows[0]
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DocumentViewerScreen))
        await pilot.press("escape")
        await pilot.press("1")
        await settle(pilot, lambda: isinstance(app.screen, HomeScreen))
        recent = app.screen.query_one("#home-recent-items", ResultTable)
        await settle(
            pilot,
            lambda: not recent.fetching and any(r.record_id == str(opened.id) for r in recent.rows),
        )
        first = recent.rows[0]
        assert (first.record_kind, first.record_id) == ("document", str(opened.id))
        recent.focus()
        recent.cursor = 0
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DocumentViewerScreen))
        assert app.current_mode == "documents"
        assert app.screen.document_id == opened.id


async def test_links_open_records_of_the_other_menus(demo: Demo):
    from portal_tui.record_links import open_record
    from portal_tui.screens.message_thread import ThreadScreen
    from portal_tui.screens.preauth_detail import PreauthDetailScreen

    services = demo.services
    staff = principal_for(services.db, user_id(demo, "staff.lakeside"), MAIN_TIN)
    number = services.preauth.list_preauths(staff, PreauthQuery()).items[0].number
    thread = services.messages.list_threads(staff, ThreadFilter()).items[0].reference
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await open_record(app, "preauth", number)
        await settle(pilot, lambda: isinstance(app.screen, PreauthDetailScreen))
        assert app.current_mode == "preauth"
        await open_record(app, "message_thread", thread)
        await settle(pilot, lambda: isinstance(app.screen, ThreadScreen))
        assert app.current_mode == "messages"
        await open_record(app, "recipe", "1")
        await settle(
            pilot,
            lambda: any("cannot be opened here" in n.message for n in app._notifications),
        )
