"""The admissions and referrals menus over the small demo: a notification written and sent late,
a reviewer's initial determination and the submitter reading its letter, referrals created with
the 90-day default, a non-PCP referral refused with nothing written, a visit counted, the palette
jumps, and every key listed in docs/keys.md."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from textual.widgets import Input, Select

from portal_core.demo.catalog import DEMO_PASSWORD, MAIN_TIN
from portal_core.rules.deadlines import PAYER_TIME_ZONE
from portal_core.store.schema import (
    admission_reviews,
    admissions,
    pcp_assignments,
    referrals,
    user_affiliations,
    users,
)
from portal_tui.app import PortalApp
from portal_tui.screens.admission_detail import AdmissionDetailScreen
from portal_tui.screens.admission_form import AdmissionFormScreen
from portal_tui.screens.admission_review import (
    AdmissionQueueScreen,
    DeterminationScreen,
    review_day,
)
from portal_tui.screens.admissions import AdmissionsScreen
from portal_tui.screens.documents import DocumentViewerScreen
from portal_tui.screens.referral_detail import ReferralDetailScreen
from portal_tui.screens.referral_form import ReferralFormScreen
from portal_tui.screens.referrals import ReferralsScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in

SIZE = (80, 24)


def today(demo: Demo) -> date:
    """The demo clock's day on the payer's calendar."""
    return demo.services.clock.now().astimezone(PAYER_TIME_ZONE).date()


def lakeside_npis(demo: Demo) -> list[str]:
    """The providers staff.lakeside works for."""
    with demo.services.db.read() as conn:
        return list(
            conn.execute(
                select(user_affiliations.c.npi)
                .join(users, users.c.id == user_affiliations.c.user_id)
                .where(users.c.username == "staff.lakeside")
                .order_by(user_affiliations.c.npi)
            ).scalars()
        )


def fill(screen: Any, **values: str) -> None:
    for field_id, value in values.items():
        screen.query_one(f"#{field_id}", Input).value = value


def text_of(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector).render())


def count(demo: Demo, table: Any) -> int:
    with demo.services.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def covered_member(demo: Demo) -> tuple[str, str]:
    """A member of an open main-TIN admission by a provider staff.lakeside works for, and that
    provider (the member is covered and tied to the practice)."""
    npis = lakeside_npis(demo)
    with demo.services.db.read() as conn:
        row = conn.execute(
            select(admissions.c.member_id, admissions.c.admitting_npi)
            .where(
                admissions.c.tin == MAIN_TIN,
                admissions.c.status == "in_review",
                admissions.c.admitting_npi.in_(npis),
            )
            .order_by(admissions.c.id)
        ).first()
    assert row is not None
    return row.member_id, row.admitting_npi


def facility(demo: Demo) -> str:
    with demo.services.db.read() as conn:
        return str(
            conn.execute(
                select(admissions.c.facility_npi).where(admissions.c.status == "in_review")
            ).scalar()
        )


async def open_menu(pilot: Any, app: PortalApp, key: str, screen_type: type) -> Any:
    await pilot.press(key)
    await settle(pilot, lambda: isinstance(app.screen, screen_type))
    table = app.screen.query_one(ResultTable)
    await settle(pilot, lambda: not table.fetching)
    return app.screen


async def send_admission(pilot: Any, app: PortalApp, demo: Demo, admitted: date) -> str:
    """As staff.lakeside: write a notification on the form and send it; its number."""
    member_id, admitting = covered_member(demo)
    await open_menu(pilot, app, "6", AdmissionsScreen)
    await pilot.press("n")
    await settle(pilot, lambda: isinstance(app.screen, AdmissionFormScreen))
    form = app.screen
    await settle(pilot, lambda: getattr(app.focused, "id", None) == "member_id")
    fill(
        form,
        member_id=member_id,
        facility_npi=facility(demo),
        admitting_npi=admitting,
        admitted_date=f"{admitted:%Y-%m-%d}",
        admitted_time="08:30",
        diagnosis_codes="I21.4, I50.9",
    )
    await settle(pilot, lambda: "LATE" in text_of(form, "#adm-deadline"))
    form.query_one("#admission_type", Select).value = "urgent"
    await pilot.press("ctrl+t")
    await settle(
        pilot,
        lambda: isinstance(app.screen, AdmissionDetailScreen) and app.screen.admission is not None,
    )
    detail = app.screen
    assert isinstance(detail, AdmissionDetailScreen)
    return detail.number


async def test_staff_sends_a_late_notification_and_sees_it_in_the_list(demo: Demo):
    admitted = today(demo) - timedelta(days=4)
    before = count(demo, admissions)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        number = await send_admission(pilot, app, demo, admitted)
        await settle(pilot, lambda: "LATE notification" in screen_text(app))
        assert f"Sent {number} (LATE" in screen_text(app)
        with demo.services.db.read() as conn:
            row = conn.execute(select(admissions).where(admissions.c.number == number)).one()
        assert row.status == "in_review" and row.late is True
        assert row.admission_type == "urgent"
        assert row.diagnosis_codes == ["I21.4", "I50.9"]
        assert count(demo, admissions) == before + 1
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, AdmissionsScreen))
        table = app.screen.query_one(ResultTable)
        await settle(pilot, lambda: not table.fetching and bool(table.rows))
        assert table.rows[0].number == number
        await settle(pilot, lambda: f"{number} 11/" in screen_text(app))
        assert "LATE" in screen_text(app)
        app.screen.query_one("#adm-late").value = True  # type: ignore[attr-defined]
        await settle(
            pilot,
            lambda: not table.fetching and bool(table.rows) and all(row.late for row in table.rows),
        )
        assert number in {row.number for row in table.rows}


async def test_draft_is_saved_and_bad_input_is_refused_on_the_form(demo: Demo):
    before = count(demo, admissions)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await open_menu(pilot, app, "6", AdmissionsScreen)
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, AdmissionFormScreen))
        form = app.screen
        fill(form, admitted_date="2026-11-20", admitted_time="25:00")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "not possible" in text_of(form, "#adm-form-message"))
        assert app.focused is form.query_one("#admitted_time")
        assert count(demo, admissions) == before
        member_id, _ = covered_member(demo)
        fill(form, member_id=member_id, admitted_time="07:15")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "saved; kept until" in text_of(form, "#adm-form-message"))
        assert count(demo, admissions) == before + 1
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: "Fill in before sending" in text_of(form, "#adm-form-message"))
        assert isinstance(app.screen, AdmissionFormScreen)


async def test_reviewer_records_the_initial_determination_and_the_submitter_reads_the_letter(
    demo: Demo, tmp_path: Path
):
    from portal_tui.commands import RecordCommands

    admitted = today(demo) - timedelta(days=4)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        number = await send_admission(pilot, app, demo, admitted)

    next_review = today(demo) + timedelta(days=3)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "reviewer.kim", DEMO_PASSWORD)
        await open_menu(pilot, app, "6", AdmissionsScreen)
        await pilot.press("f7")
        await settle(pilot, lambda: isinstance(app.screen, AdmissionQueueScreen))
        queue = app.screen
        table = queue.query_one(ResultTable)
        await settle(pilot, lambda: not table.fetching and bool(table.rows))
        dates = [review_day(r) for r in table.rows]
        assert dates == sorted(dates)
        assert number in {r.number for r in table.rows}
        await pilot.press("escape", "escape")
        provider = RecordCommands(app.screen)
        hits = [hit async for hit in provider.search(number.lower())]
        assert [h.text for h in hits] == [f"Open admission {number}"]
        await hits[0].command()
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, AdmissionDetailScreen) and app.screen.admission is not None
            ),
        )
        await settle(pilot, lambda: "No determination yet." in screen_text(app))
        await pilot.press("d")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, DeterminationScreen) and app.screen.admission is not None
            ),
        )
        form = app.screen
        assert form.query_one("#kind", Select).value == "initial"
        fill(form, approved_days="3", next_review_date=f"{next_review:%Y-%m-%d}")
        form.query_one("#outcome", Select).value = "partially_approved"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "specific reason" in text_of(form, "#det-message"))
        fill(form, reason="Telemetry criteria met for three days only.")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, AdmissionDetailScreen))
        await settle(pilot, lambda: "partially approved, 3 day(s)" in screen_text(app))
        with demo.services.db.read() as conn:
            review = conn.execute(
                select(admission_reviews)
                .join(admissions, admissions.c.id == admission_reviews.c.admission_id)
                .where(admissions.c.number == number)
            ).one()
        assert review.kind == "initial" and review.outcome == "partially_approved"
        assert review.approved_days == 3 and review.next_review_date == next_review
        assert review.letter_id is not None

    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await app.action_menu("admissions")
        from portal_tui.record_links import open_record

        await open_record(app, "admission", number)
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, AdmissionDetailScreen) and app.screen.admission is not None
            ),
        )
        await settle(pilot, lambda: "1. " + number in screen_text(app))
        await pilot.press("l")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, DocumentViewerScreen) and app.screen.document is not None
            ),
        )
        body = text_of(app.screen, "#document-text")
        assert "Determination: partially approved" in body
        assert f"Admission notification: {number}" in body
        # The letter names the member (name and ID, no more) and gives the payer's time and zone.
        member_line = next(line for line in body.splitlines() if line.startswith("Member: "))
        assert member_line.endswith(f"({covered_member(demo)[0]})")
        assert " CST" in body or " CDT" in body
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, AdmissionDetailScreen))
        await pilot.press("s")
        await settle(pilot, lambda: bool(app.screen.query("#path")))
        target = tmp_path / "letter.txt"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot, lambda: target.exists() and "Saved to" in screen_text(app))
        assert os.stat(target).st_mode & 0o777 == 0o600
        assert "partially approved" in target.read_text()


def pcp_referral(demo: Demo) -> tuple[str, str, str, str]:
    """An active demo referral's member, PCP (referring) and specialist, and another provider
    staff.lakeside works for who is not that member's PCP."""
    npis = lakeside_npis(demo)
    with demo.services.db.read() as conn:
        rows = conn.execute(
            select(referrals.c.member_id, referrals.c.referring_npi, referrals.c.specialist_npi)
            .join(pcp_assignments, pcp_assignments.c.member_id == referrals.c.member_id)
            .where(
                referrals.c.tin == MAIN_TIN,
                referrals.c.status == "active",
                referrals.c.referring_npi.in_(npis),
                pcp_assignments.c.npi == referrals.c.referring_npi,
                pcp_assignments.c.end_date.is_(None),
                referrals.c.specialist_npi.not_in(npis),
            )
            .order_by(referrals.c.id)
        ).all()
    member_id, pcp, specialist = rows[0]
    other = next(npi for npi in npis if npi != pcp)
    return member_id, pcp, specialist, other


async def open_referral_form(pilot: Any, app: PortalApp) -> ReferralFormScreen:
    await open_menu(pilot, app, "7", ReferralsScreen)
    await pilot.press("n")
    await settle(pilot, lambda: isinstance(app.screen, ReferralFormScreen))
    assert isinstance(app.screen, ReferralFormScreen)
    return app.screen


async def test_a_referral_by_the_members_pcp_gets_the_90_day_default(demo: Demo):
    member_id, pcp, specialist, _ = pcp_referral(demo)
    start = today(demo)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        form = await open_referral_form(pilot, app)
        fill(
            form,
            member_id=member_id,
            referring_npi=pcp,
            specialist_npi=specialist,
            diagnosis_codes="M17.11",
            visits_authorized="4",
            start_date=f"{start:%Y-%m-%d}",
        )
        end = start + timedelta(days=90)
        await settle(pilot, lambda: f"to {end:%m/%d/%Y}" in text_of(form, "#ref-validity"))
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, ReferralDetailScreen) and app.screen.referral is not None
            ),
        )
        number = app.screen.number
        await settle(pilot, lambda: f"Created {number}: 4 visit(s)" in screen_text(app))
        with demo.services.db.read() as conn:
            row = conn.execute(select(referrals).where(referrals.c.number == number)).one()
        assert (row.start_date, row.end_date, row.visits_authorized) == (start, end, 4)
        assert (row.referring_npi, row.specialist_npi) == (pcp, specialist)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ReferralsScreen))
        table = app.screen.query_one(ResultTable)
        await settle(pilot, lambda: not table.fetching and bool(table.rows))
        assert number in {r.number for r in table.rows}
        await pilot.press("slash")
        await settle(pilot, lambda: getattr(app.focused, "id", None) == "ref-member")
        app.screen.query_one("#ref-member", Input).value = member_id
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: (
                not table.fetching
                and bool(table.rows)
                and {r.member_id for r in table.rows} == {member_id}
            ),
        )
        assert number in {r.number for r in table.rows}


async def test_a_non_pcp_referring_is_refused_and_nothing_is_written(demo: Demo):
    member_id, _, specialist, other = pcp_referral(demo)
    before = count(demo, referrals)
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        form = await open_referral_form(pilot, app)
        start = today(demo)
        fill(
            form,
            member_id=member_id,
            referring_npi=other,
            specialist_npi=specialist,
            diagnosis_codes="M17.11",
            start_date=f"{start:%Y-%m-%d}",
        )
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "not the member's PCP" in text_of(form, "#ref-form-message"))
        assert app.focused is form.query_one("#referring_npi")
        fill(form, end_date=f"{start - timedelta(days=1):%Y-%m-%d}")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "before the start" in text_of(form, "#ref-form-message"))
        assert isinstance(app.screen, ReferralFormScreen)
        assert count(demo, referrals) == before


async def test_record_a_visit_and_the_palette_jump(demo: Demo):
    from portal_tui.commands import RecordCommands

    npis = lakeside_npis(demo)
    with demo.services.db.read() as conn:
        row = conn.execute(
            select(referrals.c.number, referrals.c.visits_used)
            .where(
                referrals.c.tin == MAIN_TIN,
                referrals.c.status == "active",
                referrals.c.referring_npi.in_(npis),
                referrals.c.visits_used < referrals.c.visits_authorized - 1,
                referrals.c.start_date <= today(demo),
                referrals.c.end_date >= today(demo),
            )
            .order_by(referrals.c.id)
        ).first()
    assert row is not None
    number, used = row
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        provider = RecordCommands(app.screen)
        hits = [hit async for hit in provider.search(f"referral {number}")]
        assert [h.text for h in hits] == [f"Open referral {number}"]
        await hits[0].command()
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, ReferralDetailScreen) and app.screen.referral is not None
            ),
        )
        assert app.current_mode == "referrals"
        await pilot.press("v")
        await settle(pilot, lambda: "Visit recorded" in text_of(app.screen, "#ref-message"))
        await settle(pilot, lambda: f"Visits used: {used + 1} of" in screen_text(app))
        with demo.services.db.read() as conn:
            after = conn.execute(
                select(referrals.c.visits_used).where(referrals.c.number == number)
            ).scalar_one()
        assert after == used + 1
        await pilot.press("x")
        await settle(pilot, lambda: bool(app.screen.query("#reason")))
        app.screen.query_one("#reason", Input).value = "Member moved out of the area."
        await pilot.press("enter")
        await settle(pilot, lambda: "Status: cancelled" in screen_text(app))
        assert "Referral cancelled." in screen_text(app)


def test_every_key_of_these_screens_is_in_keys_md():
    from textual.binding import Binding

    from portal_tui.assets import guide_path
    from portal_tui.modals.admission_discharge import DischargeModal
    from portal_tui.screens.admission_detail import AdmissionDetailScreen as Detail

    keys = guide_path("keys").read_text(encoding="utf-8")
    for name in ("admissions", "referrals"):
        assert guide_path(name).is_file(), name
    for screen in (
        AdmissionsScreen,
        AdmissionFormScreen,
        Detail,
        AdmissionQueueScreen,
        DeterminationScreen,
        DischargeModal,
        ReferralsScreen,
        ReferralFormScreen,
        ReferralDetailScreen,
    ):
        for binding in screen.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id and f"`{binding.id}`" in keys, (screen.__name__, binding.id)


async def open_admission(pilot: Any, app: PortalApp, number: str) -> AdmissionDetailScreen:
    from portal_tui.record_links import open_record

    await open_record(app, "admission", number)
    await settle(
        pilot,
        lambda: (
            isinstance(app.screen, AdmissionDetailScreen)
            and app.screen.number == number
            and app.screen.admission is not None
        ),
    )
    assert isinstance(app.screen, AdmissionDetailScreen)
    return app.screen


def lakeside_admission(demo: Demo, status: str) -> str:
    """A main-TIN admission staff.lakeside wrote, in `status`, with no determination yet."""
    with demo.services.db.read() as conn:
        number = conn.execute(
            select(admissions.c.number)
            .join(users, users.c.id == admissions.c.created_by)
            .where(
                users.c.username == "staff.lakeside",
                admissions.c.tin == MAIN_TIN,
                admissions.c.status == status,
                admissions.c.review_count == 0,
                admissions.c.admitting_npi.in_(lakeside_npis(demo)),
            )
            .order_by(admissions.c.id.desc())
        ).scalar()
    assert number is not None
    return str(number)


async def test_a_draft_reopens_in_the_form_and_is_sent(demo: Demo):
    number = lakeside_admission(demo, "draft")
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        detail = await open_admission(pilot, app, number)
        await settle(pilot, lambda: "Not sent yet. Due" in screen_text(app))
        member_id = detail.admission.member_id  # type: ignore[union-attr]
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, AdmissionFormScreen))
        form = app.screen
        assert form.query_one("#member_id", Input).value == member_id
        assert form.query_one("#admitted_time", Input).value
        await pilot.press("ctrl+t")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, AdmissionDetailScreen)
                and app.screen.admission is not None
                and app.screen.admission.status.value == "in_review"
            ),
        )
        await settle(pilot, lambda: f"Sent {number}" in screen_text(app))
        with demo.services.db.read() as conn:
            status = conn.execute(
                select(admissions.c.status).where(admissions.c.number == number)
            ).scalar_one()
        assert status == "in_review"


async def test_discharge_and_cancel_from_the_detail(demo: Demo):
    open_number = lakeside_admission(demo, "in_review")
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "staff.lakeside", DEMO_PASSWORD)
        await open_admission(pilot, app, open_number)
        await pilot.press("g")
        await settle(pilot, lambda: bool(app.screen.query("#discharge-date")))
        fill(app.screen, **{"discharge-date": f"{today(demo):%Y-%m-%d}", "discharge-time": "23:59"})
        await pilot.press("enter")
        await settle(pilot, lambda: "cannot be in the future" in screen_text(app))
        assert app.screen.query_one("#discharge-date", Input).value
        fill(app.screen, **{"discharge-time": "00:05"})
        await pilot.press("enter")
        await settle(pilot, lambda: "Discharge recorded" in screen_text(app))
        with demo.services.db.read() as conn:
            row = conn.execute(
                select(admissions.c.status, admissions.c.discharge_disposition).where(
                    admissions.c.number == open_number
                )
            ).one()
        assert tuple(row) == ("discharged", "home")

        draft = lakeside_admission(demo, "draft")
        await open_admission(pilot, app, draft)
        await pilot.press("x")
        await settle(pilot, lambda: bool(app.screen.query("#reason")))
        app.screen.query_one("#reason", Input).value = "Sent by phone instead."
        await pilot.press("enter")
        await settle(pilot, lambda: "Notification cancelled." in screen_text(app))
        with demo.services.db.read() as conn:
            status = conn.execute(
                select(admissions.c.status).where(admissions.c.number == draft)
            ).scalar_one()
        assert status == "cancelled"


async def test_the_determination_form_moves_through_the_queue(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "reviewer.kim", DEMO_PASSWORD)
        await open_menu(pilot, app, "6", AdmissionsScreen)
        await pilot.press("f7")
        await settle(pilot, lambda: isinstance(app.screen, AdmissionQueueScreen))
        table = app.screen.query_one(ResultTable)
        await settle(pilot, lambda: not table.fetching and len(table.rows) > 2)
        first, second = table.rows[0], table.rows[1]
        await pilot.press("d")
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, DeterminationScreen)
                and app.screen.admission is not None
                and app.screen.admission.number == first.number
            ),
        )
        form = app.screen
        assert form.query_one("#kind", Select).value == (
            "initial" if first.next_review_date is None else "continued_stay"
        )
        form.query_one("#outcome", Select).value = "approved"
        fill(
            form, approved_days="2", next_review_date=f"{today(demo) + timedelta(days=2):%Y-%m-%d}"
        )
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            lambda: form.admission is not None and form.admission.number == second.number,
        )
        assert form.query_one("#approved_days", Input).value == ""
        await pilot.press("ctrl+n")
        await settle(
            pilot,
            lambda: form.admission is not None and form.admission.number == table.rows[2].number,
        )
        with demo.services.db.read() as conn:
            reviewed = conn.execute(
                select(admissions.c.approved_days).where(admissions.c.number == first.number)
            ).scalar_one()
        assert reviewed == first.approved_days + 2
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, AdmissionQueueScreen))


async def test_billing_users_are_not_offered_admissions(demo: Demo):
    """Billing users read no clinical records: the Admissions menu is neither shown nor opened
    by its key (minimum necessary in the interface, as in the services)."""
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "billing.acme", DEMO_PASSWORD)
        assert "Admissions" not in screen_text(app)
        await pilot.press("6")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, AdmissionsScreen)
        assert "New notification" not in screen_text(app)
