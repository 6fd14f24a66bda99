"""Fuzzy ranking of preauthorization templates for the picker, over names, categories and codes.

Pure and fast (the picker ranks on every keystroke, client-side, over the list from
`preauth_templates()`). Every word typed must match the template somewhere:

- a procedure code exactly (`95810`) or by its start once a digit is typed (`958`, `e06`) ranks
  highest;
- then a word of the name by its start (`sleep`, `poly`), more when it is the name's first word;
- then anywhere in the name, or the category;
- last, the letters in order within one word of the name (`slp` finds "sleep", `std` "study").

Ties go to the shorter name, then alphabetical order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from portal_core.models.preauth import PreauthTemplateSummary

_WORD = re.compile(r"[a-z0-9]+")

CODE_EXACT = 1000
CODE_PREFIX = 600
FIRST_WORD_PREFIX = 400
WORD_PREFIX = 300
NAME_SUBSTRING = 150
CATEGORY_MATCH = 100
SUBSEQUENCE = 60


@dataclass(frozen=True)
class _Entry:
    name: str
    words: tuple[str, ...]
    category: str
    codes: tuple[str, ...]


def _entry(template: PreauthTemplateSummary) -> _Entry:
    name = template.name.lower()
    return _Entry(
        name=name,
        words=tuple(_WORD.findall(name)),
        category=template.category.lower().replace("_", " "),
        codes=tuple(code.lower() for code in template.procedure_codes),
    )


def _subsequence_spread(term: str, word: str) -> int | None:
    """How many letters of `word` are skipped matching `term` in order from its first letter;
    None when they do not all appear."""
    if not word or word[0] != term[0]:
        return None
    position = 0
    skipped = 0
    for letter in term:
        found = word.find(letter, position)
        if found < 0:
            return None
        skipped += found - position
        position = found + 1
    return skipped


def _term_score(term: str, entry: _Entry) -> int:
    """The best score of one typed word against one template; 0 when it matches nowhere."""
    if term in entry.codes:
        return CODE_EXACT
    # Letters alone are words ("s" is no code start); a digit makes it a code being typed.
    has_digit = any(ch.isdigit() for ch in term)
    if has_digit and any(code.startswith(term) for code in entry.codes):
        return CODE_PREFIX
    for index, word in enumerate(entry.words):
        if word.startswith(term):
            return FIRST_WORD_PREFIX if index == 0 else WORD_PREFIX
    if term in entry.name:
        return NAME_SUBSTRING
    if entry.category.startswith(term):
        return CATEGORY_MATCH
    best: int | None = None
    for word in entry.words:
        spread = _subsequence_spread(term, word)
        if spread is not None and (best is None or spread < best):
            best = spread
    if best is not None:
        return max(SUBSEQUENCE - 5 * best, 1)
    return 0


class TemplateSearch:
    """A ranking over one list of templates, prepared once and asked on every keystroke."""

    def __init__(self, templates: Sequence[PreauthTemplateSummary]) -> None:
        self._templates: list[PreauthTemplateSummary] = list(templates)
        self._entries = [_entry(template) for template in self._templates]

    def rank(self, query: str, limit: int | None = None) -> list[PreauthTemplateSummary]:
        """The templates matching every word of `query`, best first (all of them, by name, for
        an empty query)."""
        terms = _WORD.findall(query.lower())
        if not terms:
            ordered = sorted(self._templates, key=lambda t: t.name.lower())
            return ordered[:limit] if limit is not None else ordered
        scored: list[tuple[int, int, str, int]] = []
        for index, entry in enumerate(self._entries):
            total = 0
            for term in terms:
                score = _term_score(term, entry)
                if score == 0:
                    break
                # A category that matches as well lifts the whole group (`sleep` → sleep studies).
                if entry.category.startswith(term) and score < CODE_PREFIX:
                    score += CATEGORY_MATCH
                total += score
            else:
                scored.append((-total, len(entry.name), entry.name, index))
        scored.sort()
        found = [self._templates[index] for *_, index in scored]
        return found[:limit] if limit is not None else found


def rank_templates(
    templates: Sequence[PreauthTemplateSummary], query: str, limit: int | None = None
) -> list[PreauthTemplateSummary]:
    """`TemplateSearch(templates).rank(query, limit)`, for a single question."""
    return TemplateSearch(templates).rank(query, limit)
