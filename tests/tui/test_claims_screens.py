"""The claims and payments menus over the small demo: the four searches and their bad input, claim
detail in words, documents (and a too-large one), inquiry and appeal with what the store then
holds, customer service answering, the denied worklist, the palette jump, EOPs saved 0600."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select
from textual.widgets import Input, TextArea

from portal_core.demo.catalog import DEMO_PASSWORD
from portal_core.store.schema import claim_appeals, claim_documents, claim_inquiries, claims
from portal_tui.app import PortalApp
from portal_tui.screens.claim_detail import ClaimDetailScreen
from portal_tui.screens.claim_requests import OpenRequestsScreen
from portal_tui.screens.claims import ClaimSearchScreen
from portal_tui.screens.denied_claims import DeniedClaimsScreen, DeniedWorklistScreen
from portal_tui.screens.payments import PaymentDetailScreen, PaymentSearchScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in

SIZE = (80, 24)


async def open_claims(pilot, app: PortalApp, username: str = "staff.lakeside") -> ClaimSearchScreen:
    await sign_in(pilot, username, DEMO_PASSWORD)
    await pilot.press("3")
    await settle(pilot, lambda: isinstance(app.screen, ClaimSearchScreen))
    assert isinstance(app.screen, ClaimSearchScreen)
    await settle(pilot, lambda: getattr(app.focused, "id", None) == "claims-table")
    await pilot.press("slash")
    await settle(pilot, lambda: getattr(app.focused, "id", None) == "claim-number")
    return app.screen


def fill(screen, **values: str) -> None:
    for field_id, value in values.items():
        screen.query_one(f"#{field_id.replace('_', '-')}", Input).value = value


def message(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def count(demo: Demo, table, claim_number: str) -> int:
    with demo.services.db.read() as conn:
        claim_id = conn.execute(
            select(claims.c.id).where(claims.c.claim_number == claim_number)
        ).scalar_one()
        return int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.claim_id == claim_id)
            ).scalar_one()
        )


async def open_claim(pilot, app: PortalApp, claim_number: str) -> ClaimDetailScreen:
    await app.open_claim(claim_number)
    await settle(
        pilot,
        lambda: (
            isinstance(app.screen, ClaimDetailScreen)
            and "Documents" in message(app.screen, "#claim-requests")
        ),
    )
    assert isinstance(app.screen, ClaimDetailScreen)
    return app.screen


async def test_search_by_member_pages_and_enter_opens_the_claim(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_claims(pilot, app)
        fill(screen, npi=demo.world.rivera_npi, service_from="2025-01-01")
        await pilot.press("enter")
        table = screen.query_one("#claims-table", ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) == 100)
        assert table.next_cursor is not None
        assert "Row 1 of 100+" in screen_text(app)
        await pilot.press("end")  # the last page only, the rows before it not fetched
        await settle(pilot, lambda: not table.fetching and table.previous_cursor is not None)
        assert table.cursor == len(table.rows) - 1
        first = table.rows[0]
        member = first.member_id
        await pilot.press("slash")
        fill(screen, npi="", member_id=member)
        await pilot.press("enter")
        await settle(
            pilot, lambda: not table.fetching and table.rows and table.rows[0].member_id == member
        )
        assert {c.member_id for c in table.rows} == {member}
        number = table.rows[0].claim_number
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ClaimDetailScreen) and app.screen.claim)
        assert number in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)


async def test_bad_claim_number_and_dates_out_of_order(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_claims(pilot, app)
        # Before the first search the list says what to search by, not that nothing matches.
        assert "Search by claim number, member" in screen_text(app)
        assert "No claim matches." not in screen_text(app)
        fill(screen, claim_number="X123")
        await pilot.press("enter")
        await settle(pilot, lambda: "claim number" in message(screen, "#claims-message").lower())
        table = screen.query_one("#claims-table", ResultTable)
        assert table.rows == []
        # The refusal shows in place of the results, never as "no match".
        assert table.error_text is not None and "claim number" in table.error_text.lower()
        assert "No claim matches." not in screen_text(app)
        fill(
            screen,
            claim_number="",
            member_id=demo.world.member_id,
            service_from="2026-10-01",
            service_to="2026-01-01",
        )
        await pilot.press("enter")
        await settle(pilot, lambda: "start date is after" in message(screen, "#claims-message"))
        assert screen.query_one("#claims-table", ResultTable).rows == []


async def test_claim_detail_decodes_the_denial(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        screen = await open_claim(pilot, app, demo.world.denied_claim)
        claim = screen.claim
        assert claim is not None and claim.denial_carc
        text = screen.query_one("#claim-facts").render()
        facts = str(text)
        assert f"{claim.status_code} {claim.status_text}" in facts
        assert "Next step" in facts and "Appeal by" in facts
        adjustment = next(a for line in claim.lines for a in line.adjustments)
        assert f"{adjustment.group_code}-{adjustment.carc} {adjustment.carc_text}" in facts


async def test_attach_documents_and_refuse_a_too_large_one(demo: Demo, tmp_path: Path):
    app = demo.make_app()
    number = demo.world.claim_number
    note = tmp_path / "records.txt"
    note.write_text("Operative note attached.\n")
    huge = tmp_path / "scan.pdf"
    with huge.open("wb") as handle:
        handle.truncate(26 * 1024 * 1024)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        screen = await open_claim(pilot, app, number)
        await pilot.press("u")
        await settle(pilot, lambda: bool(app.screen.query("#paths")))
        app.screen.query_one("#paths", TextArea).text = f"{note}\n{huge}\n"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "larger than 25 MB" in message(screen, "#claim-message"))
        assert count(demo, claim_documents, number) == 0
        await pilot.press("u")
        await settle(pilot, lambda: bool(app.screen.query("#paths")))
        app.screen.query_one("#paths", TextArea).text = "\n".join(str(note) for _ in range(6))
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "At most 5 files" in screen_text(app))
        app.screen.query_one("#paths", TextArea).text = str(note)
        await pilot.press("ctrl+s")
        await settle(
            pilot, lambda: "records.txt" in str(screen.query_one("#claim-requests").render())
        )
        assert count(demo, claim_documents, number) == 1


async def test_inquiry_and_appeal_reach_the_store_and_csr_answers(demo: Demo):
    app = demo.make_app()
    number = demo.world.denied_claim
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        screen = await open_claim(pilot, app, number)
        await pilot.press("i")
        await settle(pilot, lambda: bool(app.screen.query("#request-text")))
        await pilot.press("ctrl+s")  # nothing written
        await settle(pilot, lambda: "Write what you are asking for" in screen_text(app))
        app.screen.query_one("#request-text", TextArea).text = "The allowed amount looks low."
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Inquiry sent" in message(screen, "#claim-message"))
        assert count(demo, claim_inquiries, number) == 1
        await pilot.press("a")
        await settle(pilot, lambda: bool(app.screen.query("#request-text")))
        app.screen.query_one(
            "#request-text", TextArea
        ).text = "Records show the service was distinct."
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Appeal filed" in message(screen, "#claim-message"))
        assert count(demo, claim_appeals, number) == 1
        await settle(
            pilot, lambda: "appeal open" in str(screen.query_one("#claim-requests").render())
        )
        await pilot.press("a")  # a second open appeal is refused
        await settle(pilot, lambda: bool(app.screen.query("#request-text")))
        app.screen.query_one("#request-text", TextArea).text = "Again."
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            lambda: (
                app.screen is screen and "Appeal filed" not in message(screen, "#claim-message")
            ),
        )
        assert count(demo, claim_appeals, number) == 1

    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_claims(pilot, app, "csr.jones")
        await pilot.press("f7")
        await settle(pilot, lambda: isinstance(app.screen, OpenRequestsScreen))
        inquiries = app.screen.query_one("#inquiries", ResultTable)
        appeals = app.screen.query_one("#appeals", ResultTable)
        await settle(pilot, lambda: not inquiries.fetching and not appeals.fetching)
        assert number in {i.claim_number for i in inquiries.rows}
        inquiries.cursor = next(i for i, r in enumerate(inquiries.rows) if r.claim_number == number)
        inquiries.focus()
        await pilot.press("enter")
        await settle(pilot, lambda: bool(app.screen.query("#request-text")))
        app.screen.query_one("#request-text", TextArea).text = "Reprocessed at the contracted rate."
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, OpenRequestsScreen)
                and not inquiries.fetching
                and number not in {i.claim_number for i in inquiries.rows}
            ),
        )
        appeals.cursor = next(i for i, r in enumerate(appeals.rows) if r.claim_number == number)
        appeals.focus()
        await pilot.press("enter")
        await settle(pilot, lambda: bool(app.screen.query("#request-text")))
        from textual.widgets import Select

        app.screen.query_one("#choice", Select).value = "overturned"
        app.screen.query_one("#request-text", TextArea).text = "Overturned on review."
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, OpenRequestsScreen)
                and not appeals.fetching
                and number not in {a.claim_number for a in appeals.rows}
            ),
        )
    with demo.services.db.read() as conn:
        assert conn.execute(select(claim_inquiries.c.status)).scalars().all().count("answered") >= 1
        statuses = conn.execute(select(claim_appeals.c.status)).scalars().all()
        assert "overturned" in statuses


async def test_denied_worklist_groups_by_reason_with_next_step(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_claims(pilot, app)
        await pilot.press("escape", "f6")
        await settle(pilot, lambda: isinstance(app.screen, DeniedWorklistScreen))
        groups = app.screen.query_one("#denied-groups", ResultTable)
        await settle(pilot, lambda: not groups.fetching and len(groups.rows) > 0)
        group = groups.rows[0]
        await settle(pilot, lambda: "Next step:" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DeniedClaimsScreen))
        listed = app.screen.query_one("#denied-claims", ResultTable)
        await settle(pilot, lambda: not listed.fetching and len(listed.rows) > 0)
        assert {c.denial_carc for c in listed.rows} == {group.carc}
        await pilot.press("escape", "escape")
        await settle(pilot, lambda: isinstance(app.screen, ClaimSearchScreen))


async def test_palette_jumps_to_a_claim_and_a_member(demo: Demo):
    from portal_tui.commands import RecordCommands
    from portal_tui.screens.member_detail import MemberDetailScreen

    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await pilot.press("ctrl+p")
        await settle(pilot, lambda: bool(app.screen.query("CommandInput")))
        await pilot.press(*demo.world.denied_claim.lower())
        await settle(pilot, lambda: f"Open claim {demo.world.denied_claim}" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ClaimDetailScreen) and app.screen.claim)
        assert app.current_mode == "claims"
        provider = RecordCommands(app.screen)
        hits = [hit async for hit in provider.search(demo.world.member_id)]
        assert [h.text for h in hits] == [f"Open member {demo.world.member_id}"]
        await hits[0].command()
        await settle(
            pilot, lambda: isinstance(app.screen, MemberDetailScreen) and app.screen.member
        )
        assert app.current_mode == "members"


async def test_eop_search_detail_and_save(demo: Demo, tmp_path: Path):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "admin.lakeside", DEMO_PASSWORD)
        await pilot.press("4")
        await settle(pilot, lambda: isinstance(app.screen, PaymentSearchScreen))
        screen = app.screen
        table = screen.query_one("#payments-table", ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) > 0)
        number = table.rows[0].payment_number
        await pilot.press("slash")
        fill(screen, payment_number="", paid_from="2026-11-01", paid_to="2026-10-01")
        await pilot.press("enter")
        await settle(pilot, lambda: "start date is after" in message(screen, "#payments-message"))
        fill(screen, payment_number=number, paid_from="", paid_to="")
        await pilot.press("enter")
        await settle(pilot, lambda: not table.fetching and len(table.rows) == 1)
        await pilot.press("enter")
        await settle(
            pilot, lambda: isinstance(app.screen, PaymentDetailScreen) and app.screen.payment
        )
        detail = app.screen
        claims_table = detail.query_one("#eop-claims", ResultTable)
        assert len(claims_table.rows) == detail.payment.claim_count
        await pilot.press("s")
        await settle(pilot, lambda: bool(app.screen.query("#path")))
        target = tmp_path / "eop.txt"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot, lambda: target.exists())
        assert os.stat(target).st_mode & 0o777 == 0o600
        assert number in target.read_text()
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ClaimDetailScreen) and app.screen.claim)
        assert app.current_mode == "payments"


async def test_a_search_it_cannot_honour_is_refused_on_the_message_line(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_claims(pilot, app)
        fill(screen, claim_number=demo.world.claim_number, payment_number="EFT000001524")
        await pilot.press("enter")
        await settle(pilot, lambda: "not both" in message(screen, "#claims-message"))
        assert screen.query_one("#claims-message").has_class("error")
        assert screen.query_one("#claims-table", ResultTable).rows == []
        fill(screen, payment_number="", service_to="garbage")
        await pilot.press("enter")
        await settle(pilot, lambda: "date like" in message(screen, "#claims-message"))
