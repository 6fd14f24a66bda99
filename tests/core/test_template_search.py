"""The template picker's fuzzy ranking over names, categories and codes."""

from __future__ import annotations

from portal_core.models.preauth import PreauthTemplateSummary
from portal_core.rules.preauth_templates import shipped_templates
from portal_core.rules.template_search import TemplateSearch, rank_templates


def names(query: str, limit: int | None = None) -> list[str]:
    return [t.name for t in TemplateSearch(shipped_templates()).rank(query, limit)]


def test_typing_sleep_finds_the_sleep_study_first() -> None:
    found = names("sleep")
    assert found[0] == "Sleep study (polysomnography)"
    assert all("leep" in name for name in found[:5])
    for prefix in ("sl", "sle", "slee", "sleep s", "sleep study"):
        assert names(prefix)[0] == "Sleep study (polysomnography)", prefix


def test_a_code_finds_its_template() -> None:
    assert names("95810") == ["Sleep study (polysomnography)"]
    assert names("e0601") == ["CPAP device"]
    assert names("958")[:4] and all("leep" in n for n in names("958"))


def test_letters_in_order_find_abbreviations() -> None:
    assert names("slp std")[0] == "Sleep study (polysomnography)"
    assert names("mri lumb") == ["MRI lumbar spine"]


def test_every_word_must_match() -> None:
    assert names("sleep knee") == []
    assert names("zzzz") == []


def test_an_empty_query_lists_everything_by_name() -> None:
    everything = names("")
    assert len(everything) == len(shipped_templates())
    assert everything == sorted(everything, key=str.lower)


def test_ranking_on_plain_summaries_with_a_limit() -> None:
    summaries = [
        PreauthTemplateSummary(id="a", name="Knee arthroscopy", category="surgical",
                               procedure_codes=["29881"]),
        PreauthTemplateSummary(id="b", name="Total knee arthroplasty", category="surgical",
                               procedure_codes=["27447"]),
        PreauthTemplateSummary(id="c", name="Sleep study", category="sleep",
                               procedure_codes=["95810"]),
    ]  # fmt: skip
    assert [t.id for t in rank_templates(summaries, "knee")] == ["a", "b"]
    assert [t.id for t in rank_templates(summaries, "knee", limit=1)] == ["a"]
    assert [t.id for t in rank_templates(summaries, "27447")] == ["b"]
