"""Preauthorization request rules: is it complete, does the template cover it, is it approved at
once?

Pure functions over a template and a request (`PreauthDraft`). `request_problems` lists what stops
a request, in plain words (a draft may be incomplete, a submission may not); `evaluate` says whether
the template's criteria approve it at once, and if not, which criteria are unmet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from portal_core.errors import ValidationFailed
from portal_core.models.preauth import (
    ApprovalCriterion,
    CriterionOperator,
    PreauthDraft,
    PreauthTemplate,
    QuestionKind,
    TemplateQuestion,
)
from portal_core.rules.identifiers import parse_icd10, parse_procedure_code
from portal_core.rules.preauth_templates import TEMPLATE_CATEGORIES

PRODUCT_LINES = ("commercial", "medicare", "medicaid")
"""The plans' product lines (a template may exempt some)."""

YES_NO = ("yes", "no")
"""The answers of a yes/no question."""

MAX_ANSWER_LENGTH = 2000
"""The longest answer kept (free text included)."""


@dataclass(frozen=True)
class CriteriaVerdict:
    """Whether a complete request is approved at once."""

    auto_approve: bool
    unmet: list[str] = field(default_factory=list)
    """The criteria not met, in words (why it goes to review)."""


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def answer_problem(question: TemplateQuestion, answer: str) -> str | None:
    """What is wrong with a (non-empty) answer to `question`, or None."""
    text = answer.strip()
    if len(text) > MAX_ANSWER_LENGTH:
        return f"{question.label}: the answer is longer than {MAX_ANSWER_LENGTH} characters."
    if question.kind is QuestionKind.NUMBER and _number(text) is None:
        return f"{question.label}: enter a number."
    if question.kind is QuestionKind.DATE:
        try:
            date.fromisoformat(text)
        except ValueError:
            return f"{question.label}: enter a date as YYYY-MM-DD."
    if question.kind is QuestionKind.YES_NO and text.lower() not in YES_NO:
        return f"{question.label}: answer yes or no."
    if question.kind is QuestionKind.CHOICE and text not in question.choices:
        return f"{question.label}: choose one of {', '.join(question.choices)}."
    return None


def missing_answers(template: PreauthTemplate, answers: dict[str, str]) -> list[str]:
    """Labels of the required questions left unanswered."""
    return [
        question.label
        for question in template.questions
        if question.required and not answers.get(question.id, "").strip()
    ]


def uncovered_codes(template: PreauthTemplate, codes: list[str]) -> list[str]:
    """Procedure codes the template does not cover."""
    covered = {code.upper() for code in template.procedure_codes}
    return [code for code in codes if code.strip().upper() not in covered]


def request_problems(
    template: PreauthTemplate, request: PreauthDraft, *, submitting: bool
) -> list[str]:
    """Everything that stops the request, in plain words; empty when it may go on.

    A draft may leave answers and codes out; a submission needs every required answer, at least
    one procedure code and one diagnosis code. Both need what they do give to be right: codes the
    template covers, well-formed diagnosis codes, typed answers that fit their question, and dates
    in order.
    """
    problems: list[str] = []
    for code in request.procedure_codes:
        try:
            parse_procedure_code(code)
        except ValidationFailed:
            problems.append(f"{code.strip() or 'An empty code'} is not a CPT or HCPCS code.")
    outside = [c for c in uncovered_codes(template, request.procedure_codes) if c.strip()]
    if outside:
        problems.append(
            f"{template.name} does not cover {', '.join(outside)}; "
            f"it covers {', '.join(template.procedure_codes)}."
        )
    for code in request.diagnosis_codes:
        try:
            parse_icd10(code)
        except ValidationFailed:
            problems.append(f"{code.strip() or 'An empty code'} is not an ICD-10-CM code.")
    if request.end_date < request.start_date:
        problems.append("The end date is before the start date.")
    questions = {question.id: question for question in template.questions}
    for question_id, answer in request.answers.items():
        question = questions.get(question_id)
        if question is None:
            problems.append(f"{template.name} asks no question '{question_id}'.")
        elif answer.strip():
            problem = answer_problem(question, answer)
            if problem:
                problems.append(problem)
    if submitting:
        if not request.procedure_codes:
            problems.append("Give at least one procedure code.")
        if not request.diagnosis_codes:
            problems.append("Give at least one diagnosis code.")
        missing = missing_answers(template, request.answers)
        if missing:
            problems.append("Answer the required questions: " + "; ".join(missing) + ".")
    return problems


def describe_criterion(criterion: ApprovalCriterion, template: PreauthTemplate) -> str:
    """A criterion in words: `Epworth Sleepiness Scale score (0-24) at least 10`."""
    labels = {question.id: question.label for question in template.questions}
    label = labels.get(criterion.question_id, criterion.question_id)
    match criterion.operator:
        case CriterionOperator.IS:
            return f"{label}: {criterion.value}"
        case CriterionOperator.AT_LEAST:
            return f"{label} at least {criterion.value}"
        case CriterionOperator.AT_MOST:
            return f"{label} at most {criterion.value}"
        case CriterionOperator.ONE_OF:
            return f"{label}: one of {', '.join(criterion.values)}"


def criterion_met(criterion: ApprovalCriterion, answer: str) -> bool:
    """Whether one answer meets one criterion (an unanswered question meets none)."""
    text = answer.strip()
    if not text:
        return False
    match criterion.operator:
        case CriterionOperator.IS:
            return text.lower() == criterion.value.strip().lower()
        case CriterionOperator.ONE_OF:
            return text.lower() in {value.strip().lower() for value in criterion.values}
        case CriterionOperator.AT_LEAST | CriterionOperator.AT_MOST:
            value, bound = _number(text), _number(criterion.value)
            if value is None or bound is None:
                return False
            return (
                value >= bound
                if criterion.operator is CriterionOperator.AT_LEAST
                else (value <= bound)
            )


def evaluate(template: PreauthTemplate, request: PreauthDraft) -> CriteriaVerdict:
    """Whether a complete request is approved at once: the template has criteria, all are met,
    and the units are within the template's limit."""
    if not template.criteria:
        return CriteriaVerdict(False, ["This service is always reviewed by a clinician."])
    unmet = [
        describe_criterion(criterion, template)
        for criterion in template.criteria
        if not criterion_met(criterion, request.answers.get(criterion.question_id, ""))
    ]
    if template.max_units is not None and request.units > template.max_units:
        unmet.append(f"At most {template.max_units} {template.unit_label} at once")
    return CriteriaVerdict(not unmet, unmet)


def template_problems(template: PreauthTemplate) -> list[str]:
    """What makes a template unusable (checked when a payer administrator saves one)."""
    problems: list[str] = []
    if not template.id.strip() or len(template.id) > 60:
        problems.append("A template needs an id of at most 60 characters.")
    if not template.name.strip() or len(template.name) > 200:
        problems.append("A template needs a name of at most 200 characters.")
    if template.category not in TEMPLATE_CATEGORIES:
        problems.append("The category is one of " + ", ".join(TEMPLATE_CATEGORIES) + ".")
    unknown_lines = set(template.exempt_product_lines) - set(PRODUCT_LINES)
    if unknown_lines:
        problems.append("Exempt product lines are among " + ", ".join(PRODUCT_LINES) + ".")
    if not template.procedure_codes:
        problems.append("A template needs at least one procedure code.")
    for code in template.procedure_codes:
        try:
            parse_procedure_code(code)
        except ValidationFailed:
            problems.append(f"{code} is not a CPT or HCPCS code.")
    ids = [question.id for question in template.questions]
    if len(set(ids)) != len(ids):
        problems.append("Two questions share an id.")
    questions = {question.id: question for question in template.questions}
    for question in template.questions:
        if question.kind is QuestionKind.CHOICE and not question.choices:
            problems.append(f"{question.label}: a choice question needs choices.")
    for criterion in template.criteria:
        asked = questions.get(criterion.question_id)
        if asked is None:
            problems.append(
                f"A criterion names no question of the template: {criterion.question_id}."
            )
            continue
        numeric = criterion.operator in (CriterionOperator.AT_LEAST, CriterionOperator.AT_MOST)
        if numeric and (asked.kind is not QuestionKind.NUMBER or _number(criterion.value) is None):
            problems.append(f"{asked.label}: compare numbers only with a number question.")
        if criterion.operator is CriterionOperator.ONE_OF and not criterion.values:
            problems.append(f"{asked.label}: 'one of' needs the accepted answers.")
    if template.max_units is not None and template.max_units < 1:
        problems.append("The most units approvable at once must be 1 or more.")
    return problems
