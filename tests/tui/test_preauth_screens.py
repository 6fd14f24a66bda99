"""The preauth menu over the small demo: "sleep" in the template picker finds the sleep study first;
the form saves a draft and submits it (approved at once, or pended with its clock); a missing
required answer is said and nothing is submitted; a reviewer decides from the queue and the next
request follows; the provider then reads the letter; billing users see no clinical answers; the
check; the palette jump."""

from __future__ import annotations

import os
import stat
from datetime import date

from sqlalchemy import select
from textual.widgets import Input, Select

from portal_core.demo.catalog import DEMO_PASSWORD
from portal_core.store.schema import preauth_requests
from portal_tui.app import PortalApp
from portal_tui.modals.file_path import FilePathModal
from portal_tui.modals.preauth_check import PreauthCheckModal
from portal_tui.modals.preauth_decision import PreauthDecisionModal
from portal_tui.modals.template_picker import TemplatePickerModal
from portal_tui.screens.documents import DocumentViewerScreen
from portal_tui.screens.preauth import PreauthListScreen, open_linked
from portal_tui.screens.preauth_detail import PreauthDetailScreen
from portal_tui.screens.preauth_form import PreauthFormScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in

SIZE = (80, 24)

SLEEP = "sleep-study-psg"
"""The sleep-study template's id."""

START = date(2026, 12, 1)
"""The service date of the requests made here (the demo member is covered then)."""


async def open_preauth(pilot, app: PortalApp, username: str) -> PreauthListScreen:
    await sign_in(pilot, username, DEMO_PASSWORD)
    await pilot.press("5")
    await settle(pilot, lambda: isinstance(app.screen, PreauthListScreen))
    screen = app.screen
    assert isinstance(screen, PreauthListScreen)
    table = screen.query_one("#preauth-table", ResultTable)
    await settle(pilot, lambda: not table.fetching)
    return screen


async def pick_sleep_template(pilot, app: PortalApp) -> PreauthFormScreen:
    """`n`, type "sleep": the sleep study is first; enter opens its form."""
    await pilot.press("n")
    await settle(pilot, lambda: isinstance(app.screen, TemplatePickerModal))
    picker = app.screen
    assert isinstance(picker, TemplatePickerModal)
    await pilot.press(*"sleep")
    await settle(pilot, lambda: bool(picker.shown) and picker.shown[0].id == SLEEP)
    assert "Sleep study (polysomnography)" in screen_text(app)
    await pilot.press("enter")
    await settle(pilot, lambda: isinstance(app.screen, PreauthFormScreen) and app.screen.ready)
    assert isinstance(app.screen, PreauthFormScreen)
    return app.screen


def fill(screen: PreauthFormScreen, demo: Demo, epworth: str) -> None:
    """The request's fields and the sleep study's required answers (Epworth as given)."""
    values = {
        "pf-member": demo.world.member_id,
        "pf-requesting": demo.world.rivera_npi,
        "pf-servicing": demo.world.rivera_npi,
        "pf-diagnoses": "G47.33",
        "pf-units": "1",
        "pf-start": START.isoformat(),
        "pf-end": START.isoformat(),
        "q-epworth_score": epworth,
        "q-bmi": "31.5",
    }
    for widget_id, value in values.items():
        screen.query_one(f"#{widget_id}", Input).value = value
    screen.query_one("#q-witnessed_apneas", Select).value = "yes"
    screen.query_one("#q-daytime_symptoms", Select).value = "yes"


def stored(demo: Demo, number: str) -> str | None:
    """The status the store holds for a request."""
    with demo.services.db.read() as conn:
        return conn.execute(
            select(preauth_requests.c.status).where(preauth_requests.c.number == number)
        ).scalar()


def statuses_by(demo: Demo, member_id: str) -> list[str]:
    with demo.services.db.read() as conn:
        return list(
            conn.execute(
                select(preauth_requests.c.status).where(
                    preauth_requests.c.member_id == member_id,
                    preauth_requests.c.template_id == SLEEP,
                    preauth_requests.c.start_date == START,
                )
            ).scalars()
        )


async def test_sleep_first_draft_then_submit_is_approved_with_the_store(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_preauth(pilot, app, "staff.lakeside")
        form = await pick_sleep_template(pilot, app)
        fill(form, demo, epworth="14")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: form.number is not None and "saved" in screen_text(app))
        number = form.number
        assert number is not None and number.startswith("PA-")
        assert stored(demo, number) == "draft"
        await pilot.press("f9")
        await settle(pilot, lambda: isinstance(app.screen, PreauthDetailScreen))
        detail = app.screen
        assert isinstance(detail, PreauthDetailScreen)
        await settle(pilot, lambda: detail.detail is not None)
        assert stored(demo, number) == "approved"
        text = screen_text(app)
        assert f"{number} is approved" in text
        assert "Epworth Sleepiness Scale score (0-24): 14" in text
        # Only reviewers decide: the key is not offered to office staff.
        assert not detail.check_action("decide", ())
        assert "Decide" not in text.splitlines()[-1]


async def test_a_pended_request_shows_its_clock_and_a_draft_reopens(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preauth(pilot, app, "dr.rivera")
        form = await pick_sleep_template(pilot, app)
        fill(form, demo, epworth="6")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: form.number is not None and "saved" in screen_text(app))
        number = form.number
        assert number is not None
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
        # The draft is in the list; enter reopens it in its form, answers kept.
        screen.query_one("#pa-number", Input).value = number
        screen.query_one("#pa-number", Input).focus()
        await pilot.press("enter")
        table = screen.query_one("#preauth-table", ResultTable)
        await settle(
            pilot, lambda: not table.fetching and [r.number for r in table.rows] == [number]
        )
        assert "draft, ends" in screen_text(app)
        table.focus()
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, PreauthFormScreen) and app.screen.ready)
        form = app.screen
        assert isinstance(form, PreauthFormScreen)
        assert form.query_one("#q-epworth_score", Input).value == "6"
        await pilot.press("f9")
        await settle(pilot, lambda: isinstance(app.screen, PreauthDetailScreen))
        await settle(pilot, lambda: app.screen.detail is not None)  # type: ignore[attr-defined]
        text = screen_text(app)
        assert "pended for review" in text
        assert "d " in text and "left" in text
        assert stored(demo, number) == "pended"


async def test_missing_required_answer_is_said_and_nothing_is_submitted(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_preauth(pilot, app, "staff.lakeside")
        form = await pick_sleep_template(pilot, app)
        fill(form, demo, epworth="")
        # A number question says so as soon as the user leaves it with words in it.
        bmi = form.query_one("#q-bmi", Input)
        bmi.value = "tall"
        bmi.focus()
        await pilot.press("tab")
        await settle(pilot, lambda: form.query_one("#err-q-bmi").display)
        assert "Type a number" in str(form.query_one("#err-q-bmi").render())
        bmi.value = "31.5"
        bmi.focus()
        await pilot.press("tab")
        await settle(pilot, lambda: not form.query_one("#err-q-bmi").display)
        await pilot.press("f9")
        await settle(pilot, lambda: "Nothing was submitted" in screen_text(app))
        assert "Epworth" in str(form.query_one("#pf-message").render())
        error = form.query_one("#err-q-epworth_score")
        assert error.display and "Required" in str(error.render())
        assert isinstance(app.screen, PreauthFormScreen)
        assert form.number is None
        assert statuses_by(demo, demo.world.member_id) == []
        # Codes the template does not cover: the portal's message, the form kept.
        form.query_one("#q-epworth_score", Input).value = "12"
        form.query_one("#pf-codes", Input).value = "27447"
        await pilot.press("f9")
        await settle(
            pilot,
            lambda: (
                form.query_one("#pf-message").has_class("error")
                and ("27447" in str(form.query_one("#pf-message").render()))
            ),
        )
        assert isinstance(app.screen, PreauthFormScreen)
        assert form.query_one("#q-bmi", Input).value == "31.5"
        assert "submitted" not in statuses_by(demo, demo.world.member_id)


async def test_reviewer_decides_from_the_queue_and_the_provider_reads_the_letter(
    demo: Demo, tmp_path
):
    # Dr. Rivera submits a request that goes to review.
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_preauth(pilot, app, "dr.rivera")
        form = await pick_sleep_template(pilot, app)
        fill(form, demo, epworth="4")
        await pilot.press("f9")
        await settle(pilot, lambda: isinstance(app.screen, PreauthDetailScreen))
        number = app.screen.number  # type: ignore[attr-defined]
        assert stored(demo, number) == "pended"

    # The reviewer works the queue (least time left first), then decides this one.
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preauth(pilot, app, "reviewer.kim")
        assert screen.showing_queue
        assert "review queue" in screen_text(app)
        table = screen.query_one("#preauth-table", ResultTable)
        await settle(pilot, lambda: len(table.rows) > 2)
        lefts = [row.time_left for row in table.rows if row.time_left is not None]
        assert lefts == sorted(lefts)
        first, second = table.rows[0].number, table.rows[1].number
        table.focus()
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: isinstance(app.screen, PreauthDetailScreen) and app.screen.detail is not None,
        )
        detail = app.screen
        assert isinstance(detail, PreauthDetailScreen)
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, PreauthDecisionModal))
        app.screen.query_one("#decision-outcome", Select).value = "approve"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, PreauthDetailScreen))
        assert stored(demo, first) == "approved"
        await settle(pilot, lambda: detail.number == second and detail.detail is not None)
        assert detail.detail is not None and detail.detail.number == second
        assert "Next:" in screen_text(app)
        # This one by its number: denied with a specific reason.
        await pilot.press("escape")
        await open_linked(app, number)
        await settle(
            pilot,
            lambda: (
                isinstance(app.screen, PreauthDetailScreen)
                and app.screen.detail is not None
                and app.screen.number == number
            ),
        )
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, PreauthDecisionModal))
        modal = app.screen
        modal.query_one("#decision-outcome", Select).value = "deny"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "specific reason" in screen_text(app))
        assert stored(demo, number) == "pended"
        modal.query_one("#decision-reason", Select).value = "criteria_not_met"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, PreauthDetailScreen))
        assert stored(demo, number) == "denied"

    # The provider finds the letter on the request and reads it.
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_preauth(pilot, app, "dr.rivera")
        await open_linked(app, number)
        await settle(
            pilot,
            lambda: isinstance(app.screen, PreauthDetailScreen) and app.screen.detail is not None,
        )
        detail = app.screen
        assert isinstance(detail, PreauthDetailScreen)
        assert detail.detail is not None and detail.detail.letters
        await pilot.press("l", "enter")
        await settle(pilot, lambda: isinstance(app.screen, DocumentViewerScreen))
        await settle(pilot, lambda: "criteria for this service are not met" in screen_text(app))
        assert number in screen_text(app)
        # Back on the request, `s` saves the letter readable only by the user.
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is detail)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, FilePathModal))
        target = tmp_path / "letter.txt"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot, lambda: "Saved to" in screen_text(app))
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        assert number in target.read_text(encoding="utf-8")


async def test_billing_sees_no_clinical_answers(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preauth(pilot, app, "billing.acme")
        table = screen.query_one("#preauth-table", ResultTable)
        await settle(pilot, lambda: bool(table.rows))
        number = next(r.number for r in table.rows if r.status != "draft")
        table.focus()
        while table.current is not None and table.current.number != number:
            await pilot.press("down")
        await pilot.press("enter")
        await settle(
            pilot,
            lambda: isinstance(app.screen, PreauthDetailScreen) and app.screen.detail is not None,
        )
        detail = app.screen
        assert isinstance(detail, PreauthDetailScreen)
        assert detail.detail is not None and detail.detail.answers is None
        facts = str(detail.query_one("#pa-facts").render())
        assert "not shown to billing users" in facts
        assert "Answers\n" not in facts
        # No request from billing: the key is not offered.
        assert not screen.check_action("new", ())


async def test_check_says_required_and_starts_a_request_from_its_template(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_preauth(pilot, app, "staff.lakeside")
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PreauthCheckModal))
        modal = app.screen
        modal.query_one("#check-member", Input).value = demo.world.member_id
        modal.query_one("#check-code", Input).value = "95810"
        modal.query_one("#check-date", Input).value = START.isoformat()
        modal.query_one("#check-member", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "REQUIRED" in screen_text(app))
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, PreauthFormScreen) and app.screen.ready)
        form = app.screen
        assert isinstance(form, PreauthFormScreen)
        assert form.template is not None and form.template.id == SLEEP
        assert form.query_one("#pf-member", Input).value == demo.world.member_id
        assert form.query_one("#pf-start", Input).value == START.isoformat()


async def test_palette_opens_a_request_by_number(demo: Demo):
    from portal_tui.commands import RecordCommands

    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preauth(pilot, app, "staff.lakeside")
        table = screen.query_one("#preauth-table", ResultTable)
        await settle(pilot, lambda: bool(table.rows))
        number = table.rows[0].number
        provider = RecordCommands(app.screen)
        hits = [hit async for hit in provider.search(number.lower())]
        assert [hit.text for hit in hits] == [f"Open preauthorization {number}"]
        await hits[0].command()
        await settle(
            pilot,
            lambda: isinstance(app.screen, PreauthDetailScreen) and app.screen.detail is not None,
        )
        assert number in screen_text(app)


def test_keys_md_lists_every_preauth_binding_id():
    from textual.binding import Binding

    from portal_tui.assets import guide_path
    from portal_tui.modals.preauth_change import PreauthChangeModal

    keys = guide_path("keys").read_text(encoding="utf-8")
    classes = [
        PreauthListScreen,
        PreauthFormScreen,
        PreauthDetailScreen,
        TemplatePickerModal,
        PreauthCheckModal,
        PreauthChangeModal,
        PreauthDecisionModal,
    ]
    ids = {
        b.id
        for cls in classes
        for b in cls.__dict__.get("BINDINGS", [])
        if isinstance(b, Binding) and b.id
    }
    assert len(ids) > 20
    assert sorted(i for i in ids if f"`{i}`" not in keys) == []
    assert guide_path("preauth").is_file()


async def test_change_then_withdraw_with_a_reason_and_files_attached_from_the_form(
    demo: Demo, tmp_path
):
    from textual.widgets import TextArea

    from portal_tui.modals.justification import JustificationModal
    from portal_tui.modals.preauth_change import PreauthChangeModal
    from portal_tui.modals.upload_files import UploadFilesModal

    notes = tmp_path / "sleep-questionnaire.txt"
    notes.write_text("Snores loudly; Epworth 7.\n", encoding="utf-8")
    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_preauth(pilot, app, "staff.lakeside")
        form = await pick_sleep_template(pilot, app)
        fill(form, demo, epworth="7")
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: isinstance(app.screen, UploadFilesModal))
        app.screen.query_one("#paths", TextArea).text = str(notes)
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: app.screen is form and bool(form.files))
        await pilot.press("f9")
        await settle(
            pilot,
            lambda: isinstance(app.screen, PreauthDetailScreen) and app.screen.detail is not None,
        )
        detail = app.screen
        assert isinstance(detail, PreauthDetailScreen)
        assert detail.detail is not None
        number = detail.number
        assert [d.file_name for d in detail.detail.attachments or []] == [notes.name]
        assert stored(demo, number) == "pended"
        # New dates.
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PreauthChangeModal))
        app.screen.query_one("#change-end", Input).value = "2026-12-02"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: "Change saved" in screen_text(app))
        assert detail.detail.end_date == date(2026, 12, 2)
        # Withdraw: the reason is the confirmation.
        await pilot.press("w")
        await settle(pilot, lambda: isinstance(app.screen, JustificationModal))
        app.screen.query_one("#reason", Input).value = "Patient moved away"
        await pilot.press("enter")
        await settle(pilot, lambda: stored(demo, number) == "withdrawn")
        await settle(pilot, lambda: f"{number} is withdrawn" in screen_text(app))
        assert not detail.check_action("withdraw", ())


async def test_a_failed_check_clears_the_last_answer_and_its_templates(demo: Demo):
    """Issue 13: a check that fails shows its error, not the answer about the last member."""
    from textual.widgets import OptionList

    app = demo.make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_preauth(pilot, app, "staff.lakeside")
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, PreauthCheckModal))
        modal = app.screen
        modal.query_one("#check-member", Input).value = demo.world.member_id
        modal.query_one("#check-code", Input).value = "95810"
        modal.query_one("#check-date", Input).value = START.isoformat()
        modal.query_one("#check-member", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "REQUIRED" in screen_text(app))
        assert modal.query_one("#check-templates", OptionList).display

        modal.query_one("#check-member", Input).value = "NW999999999"
        modal.query_one("#check-member", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: "REQUIRED" not in screen_text(app) and modal.result is None)
        await settle(pilot, lambda: bool(str(modal.query_one("#check-answer").render())))
        text = screen_text(app)
        assert "Plan:" not in text and "REQUIRED" not in text
        assert not modal.query_one("#check-templates", OptionList).display
        await pilot.press("f9")
        assert app.screen is modal
