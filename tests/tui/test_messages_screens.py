"""The Message Center over the small demo: compose (general, bad input, about a claim, about a
record typed in), attachments (compose, reply, open, save), reply, search, the CSR queue, look-up,
reply and close, and message text shown as text."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select, update
from textual.widgets import Input, Select, TextArea

from portal_core.demo.catalog import DEMO_PASSWORD
from portal_core.store.schema import (
    audit_log,
    documents,
    message_attachments,
    message_posts,
    message_threads,
    users,
)
from portal_tui.app import PortalApp
from portal_tui.modals.choice import ChoiceModal
from portal_tui.modals.file_path import FilePathModal
from portal_tui.modals.message_compose import ComposeMessageModal, ReplyModal
from portal_tui.modals.reference_lookup import ReferenceLookupModal
from portal_tui.modals.upload_files import UploadFilesModal
from portal_tui.screens.claim_detail import ClaimDetailScreen
from portal_tui.screens.documents import DocumentViewerScreen
from portal_tui.screens.message_thread import ThreadScreen
from portal_tui.screens.messages import MessagesScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in

SIZE = (120, 32)


def thread_count(demo: Demo) -> int:
    with demo.services.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(message_threads)).scalar_one())


def thread_row(demo: Demo, reference: str) -> dict[str, object]:
    with demo.services.db.read() as conn:
        row = conn.execute(
            select(message_threads).where(message_threads.c.reference == reference)
        ).one()
        return dict(row._mapping)


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def open_inbox(pilot, app: PortalApp, username: str) -> MessagesScreen:
    await sign_in(pilot, username, DEMO_PASSWORD)
    await pilot.press("2")
    await settle(pilot, lambda: isinstance(app.screen, MessagesScreen))
    assert isinstance(app.screen, MessagesScreen)
    table = app.screen.query_one("#messages-table", ResultTable)
    await settle(pilot, lambda: not table.fetching)
    await settle(pilot, lambda: getattr(app.focused, "id", None) == "messages-table")
    return app.screen


async def open_thread_screen(pilot, app: PortalApp) -> ThreadScreen:
    await settle(
        pilot,
        lambda: isinstance(app.screen, ThreadScreen) and app.screen.thread is not None,
    )
    assert isinstance(app.screen, ThreadScreen)
    return app.screen


async def test_compose_general_refuses_empty_input_then_sends(demo: Demo):
    before = thread_count(demo)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, app, "staff.lakeside")
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, ComposeMessageModal))
        modal = app.screen
        modal.query_one("#compose-category", Select).value = "claims"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: text_of(modal, ".modal-error") == "Write a subject.")
        assert thread_count(demo) == before
        modal.query_one("#compose-subject", Input).value = "Remittance missing"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: text_of(modal, ".modal-error") == "Write your message.")
        assert thread_count(demo) == before
        modal.query_one("#compose-body", TextArea).text = "Please resend the EOP for November."
        await pilot.press("ctrl+s")
        thread = await open_thread_screen(pilot, app)
        assert thread_count(demo) == before + 1
        assert thread.reference.startswith("MSG-")
        assert any(f"Reference number {thread.reference}" in n.message for n in app._notifications)
        row = thread_row(demo, thread.reference)
        assert (row["topic"], row["category"], row["status"]) == (
            "general",
            "claims",
            "awaiting_payer",
        )
        assert "Please resend the EOP for November." in screen_text(app)


async def test_compose_from_a_claim_links_it_and_shows_the_reference(demo: Demo):
    claim = demo.world.denied_claim
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await app.open_claim(claim)
        await settle(
            pilot,
            lambda: isinstance(app.screen, ClaimDetailScreen) and app.screen.claim is not None,
        )
        detail = app.screen
        await pilot.press("m")
        await settle(pilot, lambda: isinstance(app.screen, ComposeMessageModal))
        modal = app.screen
        assert f"claim {claim}" in screen_text(app)
        modal.query_one("#compose-subject", Input).value = "Why was this denied?"
        modal.query_one("#compose-body", TextArea).text = "The records were sent in October."
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Reference number MSG-" in text_of(detail, "#claim-message"))
        reference = text_of(detail, "#claim-message").split("Reference number ")[1].rstrip(".")
        row = thread_row(demo, reference)
        assert (row["topic"], row["linked_kind"], row["linked_id"]) == (
            "transaction",
            "claim",
            claim,
        )


async def test_enter_opens_a_thread_and_reply_adds_a_post(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot, app, "staff.lakeside")
        table = inbox.table
        inbox.query_one("#messages-status", Select).value = "awaiting_provider"
        await settle(
            pilot,
            lambda: (
                not table.fetching
                and bool(table.rows)
                and {t.status for t in table.rows} == {"awaiting_provider"}
            ),
        )
        first = table.current
        assert first is not None
        assert first.unread
        table.focus()
        await pilot.press("enter")
        thread = await open_thread_screen(pilot, app)
        assert thread.reference == first.reference
        await pilot.press("r")
        await settle(pilot, lambda: app.screen is not thread)
        app.screen.query_one("#reply-body", TextArea).text = "Thanks, [b]received[/b]."
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Reply sent." in text_of(thread, "#thread-message"))
        assert "Thanks, [b]received[/b]." in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is inbox)
        inbox.query_one("#messages-status", Select).clear()
        # Replied to, it now waits for the payer and is the newest activity: first, and read.
        await settle(
            pilot,
            lambda: (
                not table.fetching
                and bool(table.rows)
                and table.rows[0].reference == first.reference
            ),
        )
        assert table.rows[0].status == "awaiting_payer"
        assert not table.rows[0].unread
        with demo.services.db.read() as conn:
            bodies = conn.execute(
                select(message_posts.c.body)
                .join(message_threads, message_threads.c.id == message_posts.c.thread_id)
                .where(message_threads.c.reference == thread.reference)
            ).scalars()
            assert "Thanks, [b]received[/b]." in list(bodies)


async def test_search_by_reference_text_and_status(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot, app, "staff.lakeside")
        table = inbox.table
        assert table.rows
        wanted = table.rows[min(3, len(table.rows) - 1)]
        await pilot.press("slash")
        await settle(pilot, lambda: getattr(app.focused, "id", None) == "messages-text")
        inbox.query_one("#messages-text", Input).value = "zzqxnotaword"
        await pilot.press("enter")
        await settle(pilot, lambda: not table.fetching and not table.rows)
        assert "No message matches." in screen_text(app)
        inbox.query_one("#messages-text", Input).value = ""
        reference = inbox.query_one("#messages-reference", Input)
        reference.value = wanted.reference
        reference.focus()
        await pilot.press("enter")
        await settle(pilot, lambda: not table.fetching and len(table.rows) == 1)
        assert table.rows[0].reference == wanted.reference
        reference.value = ""
        inbox.query_one("#messages-status", Select).value = "closed"
        await settle(
            pilot,
            lambda: (
                not table.fetching
                and len(table.rows) > 1
                and {t.status for t in table.rows} == {"closed"}
            ),
        )


async def test_csr_queue_lookup_reply_and_close(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot, app, "csr.jones")
        await pilot.press("w")
        table = inbox.table
        await settle(pilot, lambda: inbox.queue and not table.fetching and bool(table.rows))
        waits = [t.waiting_since for t in table.rows if t.waiting_since is not None]
        assert waits == sorted(waits)
        assert {t.status for t in table.rows} == {"awaiting_payer"}
        with demo.services.db.read() as conn:
            reference = (
                conn.execute(
                    select(message_threads.c.reference)
                    .join(users, users.c.id == message_threads.c.author_id)
                    .where(users.c.username == "billing.acme")
                    .where(message_threads.c.status == "awaiting_payer")
                    .order_by(message_threads.c.id)
                )
                .scalars()
                .first()
            )
        assert reference is not None
        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, ReferenceLookupModal))
        field = app.screen.query_one("#lookup-reference", Input)
        field.value = reference.lower()
        await pilot.press("enter")
        thread = await open_thread_screen(pilot, app)
        caller = text_of(thread, "#thread-caller")
        assert "Caller:" in caller and "billing" in caller
        await pilot.press("r")
        await settle(pilot, lambda: app.screen is not thread)
        app.screen.query_one("#reply-body", TextArea).text = "We reprocessed the claim."
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Reply sent." in text_of(thread, "#thread-message"))
        assert thread_row(demo, reference)["status"] == "awaiting_provider"
        await pilot.press("c")
        await settle(pilot, lambda: "Thread closed." in text_of(thread, "#thread-message"))
        assert thread_row(demo, reference)["status"] == "closed"


async def test_provider_close_is_refused_with_the_portals_message(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, app, "staff.lakeside")
        await pilot.press("enter")
        thread = await open_thread_screen(pilot, app)
        status = thread_row(demo, thread.reference)["status"]
        await pilot.press("c")
        await settle(pilot, lambda: thread.query_one("#thread-message").has_class("error"))
        assert text_of(thread, "#thread-message")
        assert thread_row(demo, thread.reference)["status"] == status


async def test_control_characters_and_markup_show_as_text(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot, app, "staff.lakeside")
        first = inbox.table.current
        assert first is not None
        with demo.services.db.write() as conn:
            thread_id = conn.execute(
                select(message_threads.c.id).where(message_threads.c.reference == first.reference)
            ).scalar_one()
            conn.execute(
                update(message_threads)
                .where(message_threads.c.id == thread_id)
                .values(subject="[b]Bold[/b] \x1b[31mRed")
            )
            conn.execute(
                update(message_posts)
                .where(message_posts.c.thread_id == thread_id)
                .values(body="[red]x[/red] \x1b[2J\x07end")
            )
        await pilot.press("f5")
        await settle(pilot, lambda: "[b]Bold[/b] \\x1b[31mRed" in screen_text(app))
        await pilot.press("enter")
        await open_thread_screen(pilot, app)
        await settle(pilot, lambda: "[red]x[/red] \\x1b[2J\\x07end" in screen_text(app))
        assert "Subject: [b]Bold[/b] \\x1b[31mRed" in screen_text(app)
        assert "\x1b" not in screen_text(app)


async def test_csr_lookup_of_an_unknown_number_says_so(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot, app, "csr.jones")
        assert inbox.check_action("compose", ()) is False
        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, ReferenceLookupModal))
        app.screen.query_one("#lookup-reference", Input).value = "MSG-2026-999999"
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ThreadScreen))
        thread = app.screen
        await settle(pilot, lambda: thread.query_one("#thread-posts").has_class("-error"))
        assert thread.thread is None
        assert text_of(thread, "#thread-posts")


async def test_a_failed_refresh_of_a_looked_up_thread_clears_it(demo: Demo, monkeypatch):
    """Issue 13: a refresh that fails shows its error, not the caller's thread as it was."""
    from portal_core.errors import NotFound

    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot, app, "csr.jones")
        reference = inbox.query_one("#messages-table", ResultTable).rows[0].reference
        inbox.open_thread(reference, lookup=True)
        thread = await open_thread_screen(pilot, app)
        subject = thread.thread.subject
        assert "Caller:" in screen_text(app) and subject in screen_text(app)

        async def gone(reference: str) -> object:
            raise NotFound("No message has that reference number.")

        monkeypatch.setattr(app.client, "lookup_thread", gone)
        await pilot.press("f5")
        await settle(pilot, lambda: "No message has that reference" in screen_text(app))
        text = screen_text(app)
        assert "Caller:" not in text and f"Subject: {subject}" not in text
        assert thread.thread is None and thread.check_action("reply", ()) is False


def attachment_names(demo: Demo, reference: str) -> list[str]:
    with demo.services.db.read() as conn:
        return list(
            conn.execute(
                select(documents.c.file_name)
                .join(message_attachments, message_attachments.c.document_id == documents.c.id)
                .join(message_posts, message_posts.c.id == message_attachments.c.post_id)
                .join(message_threads, message_threads.c.id == message_posts.c.thread_id)
                .where(message_threads.c.reference == reference)
                .order_by(documents.c.id)
            ).scalars()
        )


async def attach(pilot, app: PortalApp, *paths: Path) -> None:
    """From compose or reply: ctrl+t, type the paths, attach."""
    dialog = app.screen
    await pilot.press("ctrl+t")
    await settle(pilot, lambda: isinstance(app.screen, UploadFilesModal))
    app.screen.query_one("#paths", TextArea).text = "\n".join(str(p) for p in paths)
    await pilot.press("ctrl+s")
    await settle(pilot, lambda: app.screen is dialog)
    names = [p.name for p in paths]
    await settle(pilot, lambda: all(n in text_of(dialog, "#attached") for n in names))


async def test_compose_with_an_attachment_files_it_with_the_thread(demo: Demo, tmp_path: Path):
    notes = tmp_path / "visit-notes.txt"
    notes.write_text("Visit notes for the appeal.\n")
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, app, "staff.lakeside")
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, ComposeMessageModal))
        modal = app.screen
        modal.query_one("#compose-category", Select).value = "claims"
        modal.query_one("#compose-subject", Input).value = "Appeal records"
        modal.query_one("#compose-body", TextArea).text = "The notes are attached."
        await attach(pilot, app, notes)
        assert "visit-notes.txt (28 bytes)" in text_of(modal, "#attached")
        await pilot.press("ctrl+s")
        thread = await open_thread_screen(pilot, app)
        assert attachment_names(demo, thread.reference) == ["visit-notes.txt"]
        await settle(pilot, lambda: "attachment 1: visit-notes.txt" in screen_text(app))


async def test_compose_refuses_a_file_that_is_not_allowed_and_writes_nothing(
    demo: Demo, tmp_path: Path
):
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00 not a document")
    before = thread_count(demo)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, app, "staff.lakeside")
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, ComposeMessageModal))
        modal = app.screen
        modal.query_one("#compose-category", Select).value = "other"
        modal.query_one("#compose-subject", Input).value = "Installer"
        modal.query_one("#compose-body", TextArea).text = "See the file."
        await attach(pilot, app, program)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "setup.exe" in text_of(modal, ".modal-error"))
        assert "only PDF, TIFF, PNG, JPEG and text files" in text_of(modal, ".modal-error")
        assert app.screen is modal
        assert thread_count(demo) == before


async def test_reply_with_an_attachment_then_open_and_save_it(demo: Demo, tmp_path: Path):
    scan = tmp_path / "eob.txt"
    scan.write_text("Explanation of benefits, page 1 [b]not markup[/b]")
    saved = tmp_path / "out" / "saved-eob.txt"
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, app, "staff.lakeside")
        await pilot.press("enter")
        thread = await open_thread_screen(pilot, app)
        assert thread.check_action("open_attachment", ()) is False
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, ReplyModal))
        app.screen.query_one("#reply-body", TextArea).text = "The EOB is attached."
        await attach(pilot, app, scan)
        await pilot.press("ctrl+s")
        await settle(
            pilot, lambda: "Reply sent with 1 file(s)." in text_of(thread, "#thread-message")
        )
        assert attachment_names(demo, thread.reference)[-1] == "eob.txt"
        assert "eob.txt" in screen_text(app)

        await pilot.press("o")
        await settle(pilot, lambda: isinstance(app.screen, DocumentViewerScreen))
        viewer = app.screen
        await settle(
            pilot,
            lambda: "Explanation of benefits, page 1 [b]not markup[/b]" in screen_text(app),
        )
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is thread)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, FilePathModal))
        assert viewer is not app.screen
        app.screen.query_one("#path", Input).value = str(saved)
        await pilot.press("enter")
        await settle(pilot, lambda: f"Saved to {saved}." in text_of(thread, "#thread-message"))
    assert saved.read_bytes() == scan.read_bytes()
    assert os.stat(saved).st_mode & 0o777 == 0o600


async def test_compose_about_a_record_picked_by_number(demo: Demo):
    """A claim the user cannot see is refused with the portal's words and audited; one they can
    see is linked."""
    before = thread_count(demo)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, app, "dr.rivera")
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, ComposeMessageModal))
        modal = app.screen
        modal.query_one("#compose-about", Select).value = "claim"
        record = modal.query_one("#compose-record", Input)
        await settle(
            pilot, lambda: record.display and not modal.query_one("#compose-category").display
        )
        modal.query_one("#compose-subject", Input).value = "Why this denial?"
        modal.query_one("#compose-body", TextArea).text = "Please explain."
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Type the claim number" in text_of(modal, ".modal-error"))
        record.value = demo.world.other_tin_claim
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            lambda: (
                text_of(modal, ".modal-error") == "No such claim among the records you can see."
            ),
        )
        assert thread_count(demo) == before
        with demo.services.db.read() as conn:
            denied = conn.execute(
                select(audit_log.c.record_kind, audit_log.c.record_id).where(
                    audit_log.c.action == "messages.send", audit_log.c.outcome == "denied"
                )
            ).all()
        assert [tuple(d) for d in denied] == [("claim", demo.world.other_tin_claim)]
        record.value = demo.world.denied_claim
        await pilot.press("ctrl+s")
        thread = await open_thread_screen(pilot, app)
        row = thread_row(demo, thread.reference)
        assert (row["topic"], row["linked_kind"], row["linked_id"]) == (
            "transaction",
            "claim",
            demo.world.denied_claim,
        )


async def test_compose_and_reply_fit_a_small_terminal(demo: Demo):
    """At 80x24 every field and button of both dialogs is on screen."""
    app = demo.make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_inbox(pilot, app, "admin.lakeside")
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, ComposeMessageModal))
        await pilot.pause()
        shown = screen_text(app)
        for words in (
            "New message",
            "A general question",
            "Subject",
            "No files attached",
            "Attach (ctrl+t)",
            "Send (ctrl+s)",
        ):
            assert words in shown
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, MessagesScreen))
        await pilot.press("enter")
        await open_thread_screen(pilot, app)
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, ReplyModal))
        await pilot.pause()
        shown = screen_text(app)
        for words in ("Reply to MSG-", "No files attached", "Attach (ctrl+t)", "Send (ctrl+s)"):
            assert words in shown


def first_reference_by(demo: Demo, username: str) -> str:
    with demo.services.db.read() as conn:
        reference = (
            conn.execute(
                select(message_threads.c.reference)
                .join(users, users.c.id == message_threads.c.author_id)
                .where(users.c.username == username)
                .order_by(message_threads.c.id)
            )
            .scalars()
            .first()
        )
    assert reference is not None
    return str(reference)


async def test_palette_jumps_to_a_message_reference(demo: Demo):
    from portal_tui.commands import RecordCommands

    reference = first_reference_by(demo, "billing.acme")
    for username, caller_shown in (("billing.acme", False), ("csr.jones", True)):
        app = demo.make_app()
        async with app.run_test(size=SIZE) as pilot:
            await sign_in(pilot, username, DEMO_PASSWORD)
            provider = RecordCommands(app.screen)
            hits = [hit async for hit in provider.search(f"message {reference.lower()}")]
            assert [hit.text for hit in hits] == [f"Open message {reference}"]
            await hits[0].command()
            thread = await open_thread_screen(pilot, app)
            assert app.current_mode == "messages"
            assert thread.thread is not None and thread.thread.reference == reference
            # Customer service looks the caller's thread up, as its `l` key does.
            assert ("Caller:" in text_of(thread, "#thread-caller")) is caller_shown


async def test_two_attachments_open_and_save_ask_which_file(demo: Demo, tmp_path: Path):
    """Issue 13: with two files in a thread, `o` and `s` exited the app (a NameError in the
    picker); now each asks which file and goes on with the one picked."""
    first = tmp_path / "page-1.txt"
    first.write_text("First page of the records.")
    second = tmp_path / "page-2.txt"
    second.write_text("Second page of the records.")
    saved = tmp_path / "out" / "second.txt"
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_inbox(pilot, app, "staff.lakeside")
        await pilot.press("enter")
        thread = await open_thread_screen(pilot, app)
        await pilot.press("r")
        await settle(pilot, lambda: isinstance(app.screen, ReplyModal))
        app.screen.query_one("#reply-body", TextArea).text = "Both pages."
        await attach(pilot, app, first, second)
        await pilot.press("ctrl+s")
        await settle(
            pilot, lambda: "Reply sent with 2 file(s)." in text_of(thread, "#thread-message")
        )

        await pilot.press("o")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceModal))
        assert "Open which file?" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot, lambda: isinstance(app.screen, DocumentViewerScreen))
        await settle(pilot, lambda: "Second page of the records." in screen_text(app))
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is thread)

        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceModal))
        assert "Save which file?" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot, lambda: isinstance(app.screen, FilePathModal))
        app.screen.query_one("#path", Input).value = str(saved)
        await pilot.press("enter")
        await settle(pilot, lambda: f"Saved to {saved}." in text_of(thread, "#thread-message"))
        assert app.return_code is None and app._exception is None
    assert saved.read_text() == "Second page of the records."
