"""Preauth request rules: completeness, covered codes, dates, answers, approval at once; the shipped
templates."""

from __future__ import annotations

from datetime import date

from portal_core.models.preauth import (
    ApprovalCriterion,
    CriterionOperator,
    PreauthDraft,
    PreauthTemplate,
    QuestionKind,
    TemplateQuestion,
)
from portal_core.rules.preauth_criteria import (
    evaluate,
    missing_answers,
    request_problems,
    template_problems,
    uncovered_codes,
)
from portal_core.rules.preauth_templates import TEMPLATE_CATEGORIES, shipped_templates

SLEEP = PreauthTemplate(
    id="sleep-test",
    name="Sleep study (polysomnography)",
    category="sleep",
    procedure_codes=["95810"],
    questions=[
        TemplateQuestion(id="epworth", label="Epworth score", kind=QuestionKind.NUMBER),
        TemplateQuestion(id="symptoms", label="Daytime symptoms?", kind=QuestionKind.YES_NO),
        TemplateQuestion(
            id="setting", label="Setting", kind=QuestionKind.CHOICE, choices=["Lab", "Home"]
        ),
        TemplateQuestion(id="seen", label="Last seen", kind=QuestionKind.DATE, required=False),
    ],
    criteria=[
        ApprovalCriterion(question_id="epworth", operator=CriterionOperator.AT_LEAST, value="10"),
        ApprovalCriterion(question_id="symptoms", operator=CriterionOperator.IS, value="yes"),
        ApprovalCriterion(question_id="setting", operator=CriterionOperator.ONE_OF, values=["Lab"]),
    ],
    max_units=1,
)


def draft(**changes: object) -> PreauthDraft:
    values: dict[str, object] = {
        "member_id": "AB100000001",
        "tin": "461234567",
        "requesting_npi": "1234567893",
        "servicing_npi": "1234567893",
        "template_id": "sleep-test",
        "procedure_codes": ["95810"],
        "diagnosis_codes": ["G47.33"],
        "units": 1,
        "start_date": date(2026, 12, 1),
        "end_date": date(2026, 12, 31),
        "answers": {"epworth": "14", "symptoms": "yes", "setting": "Lab"},
    }
    values.update(changes)
    return PreauthDraft.model_validate(values)


def test_a_complete_request_meeting_the_criteria_is_approved_at_once() -> None:
    assert request_problems(SLEEP, draft(), submitting=True) == []
    verdict = evaluate(SLEEP, draft())
    assert verdict.auto_approve and verdict.unmet == []


def test_unmet_criteria_send_it_to_review_and_say_which() -> None:
    verdict = evaluate(SLEEP, draft(answers={"epworth": "8", "symptoms": "yes", "setting": "Lab"}))
    assert not verdict.auto_approve
    assert verdict.unmet == ["Epworth score at least 10"]
    verdict = evaluate(SLEEP, draft(answers={"epworth": "12", "symptoms": "no", "setting": "Home"}))
    assert verdict.unmet == ["Daytime symptoms?: yes", "Setting: one of Lab"]


def test_more_units_than_the_template_allows_go_to_review() -> None:
    verdict = evaluate(SLEEP, draft(units=2))
    assert not verdict.auto_approve and verdict.unmet == ["At most 1 units at once"]


def test_a_template_without_criteria_is_always_reviewed() -> None:
    plain = SLEEP.model_copy(update={"criteria": []})
    assert not evaluate(plain, draft()).auto_approve


def test_missing_required_answers_stop_a_submission_but_not_a_draft() -> None:
    partial = draft(answers={"epworth": "12"})
    assert missing_answers(SLEEP, partial.answers) == ["Daytime symptoms?", "Setting"]
    assert request_problems(SLEEP, partial, submitting=False) == []
    problems = request_problems(SLEEP, partial, submitting=True)
    assert problems == ["Answer the required questions: Daytime symptoms?; Setting."]


def test_codes_the_template_does_not_cover_are_named() -> None:
    assert uncovered_codes(SLEEP, ["95810", "95811"]) == ["95811"]
    problems = request_problems(SLEEP, draft(procedure_codes=["95810", "95811"]), submitting=False)
    assert problems == ["Sleep study (polysomnography) does not cover 95811; it covers 95810."]


def test_dates_out_of_order_and_bad_codes_are_refused() -> None:
    problems = request_problems(
        SLEEP,
        draft(start_date=date(2026, 12, 31), end_date=date(2026, 12, 1), diagnosis_codes=["XYZ"]),
        submitting=False,
    )
    assert "The end date is before the start date." in problems
    assert "XYZ is not an ICD-10-CM code." in problems


def test_answers_must_fit_their_question() -> None:
    answers = {"epworth": "a lot", "symptoms": "maybe", "setting": "Car", "seen": "12/01/2026"}
    problems = request_problems(SLEEP, draft(answers=answers), submitting=False)
    assert problems == [
        "Epworth score: enter a number.",
        "Daytime symptoms?: answer yes or no.",
        "Setting: choose one of Lab, Home.",
        "Last seen: enter a date as YYYY-MM-DD.",
    ]
    unknown = request_problems(SLEEP, draft(answers={"nope": "1"}), submitting=False)
    assert unknown == ["Sleep study (polysomnography) asks no question 'nope'."]


def test_a_submission_needs_codes() -> None:
    problems = request_problems(
        SLEEP, draft(procedure_codes=[], diagnosis_codes=[]), submitting=True
    )
    assert "Give at least one procedure code." in problems
    assert "Give at least one diagnosis code." in problems


def test_template_problems_catch_inconsistent_templates() -> None:
    broken = SLEEP.model_copy(
        update={
            "procedure_codes": [],
            "criteria": [
                ApprovalCriterion(question_id="ghost", operator=CriterionOperator.IS, value="yes"),
                ApprovalCriterion(
                    question_id="symptoms", operator=CriterionOperator.AT_LEAST, value="3"
                ),
            ],
        }
    )
    problems = template_problems(broken)
    assert "A template needs at least one procedure code." in problems
    assert "A criterion names no question of the template: ghost." in problems
    assert "Daytime symptoms?: compare numbers only with a number question." in problems
    assert template_problems(SLEEP) == []


def test_more_than_a_hundred_consistent_templates_ship() -> None:
    templates = shipped_templates()
    assert len(templates) > 100
    assert len({t.id for t in templates}) == len(templates)
    assert {t.category for t in templates} <= set(TEMPLATE_CATEGORIES)
    assert {"surgical", "sleep", "dme", "imaging", "therapy"} <= {t.category for t in templates}
    for template in templates:
        assert template_problems(template) == [], template.id
        assert template.questions and template.required_attachments, template.id
    codes = {code for t in templates for code in t.procedure_codes}
    assert {"43644", "43775", "27447", "27130", "22630", "63047", "95810", "95811", "G0399",
            "E0601", "E0470", "K0001", "E0260", "E1390", "70551", "72148", "73721", "74177",
            "78815", "97110", "97161", "97165", "92507", "93306", "93458", "62323",
            "64483"} <= codes  # fmt: skip
    sleep = next(t for t in templates if t.id == "sleep-study-psg")
    assert sleep.name == "Sleep study (polysomnography)" and sleep.criteria
