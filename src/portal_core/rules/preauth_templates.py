"""The preauthorization templates shipped with the portal (`data/preauth_templates.json`).

The database holds the templates in use (`preauth_templates`), which payer administrators edit;
this module only reads the shipped file, once per process. The preauth service copies it into the
database the first time templates are needed and the table is empty (a fresh database, the demo
seed, a test database), so every deployment starts from the same set.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from portal_core.models.preauth import PreauthTemplate

TEMPLATE_CATEGORIES = (
    "surgical",
    "sleep",
    "dme",
    "imaging",
    "therapy",
    "genetic",
    "infusion",
    "home_health",
    "cardiology",
    "pain",
    "behavioral",
    "transplant",
    "other",
)
"""The categories a template belongs to, in the order the picker groups them."""


@cache
def shipped_templates() -> tuple[PreauthTemplate, ...]:
    """Every template of the shipped file, validated, in file order."""
    text = resources.files("portal_core.data").joinpath("preauth_templates.json").read_text("utf-8")
    data = json.loads(text)
    return tuple(PreauthTemplate.model_validate(item) for item in data["templates"])
