"""Home's denial count is the worklist's: the same scope (every Tax ID of the user), and the claims
of a reason name their Tax ID when several apply."""

from __future__ import annotations

import re

from textual.widgets import Static

from portal_core.demo.catalog import DEMO_PASSWORD
from portal_tui.screens.denied_claims import DeniedClaimsScreen, DeniedWorklistScreen
from portal_tui.widgets.result_table import ResultTable
from tui.conftest import Demo
from tui.driving import screen_text, settle, sign_in


async def test_home_counts_the_denials_the_worklist_lists_across_two_tax_ids(demo: Demo):
    app = demo.make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot, "billing.acme", DEMO_PASSWORD)  # 46-1234567 and 52-1234567
        home = app.screen
        await settle(pilot, lambda: "in the last" in str(home.query_one("#home-denied").render()))
        said = str(home.query_one("#home-denied", Static).render())
        found = re.search(r"([\d,]+) denied claims? in the last", said)
        assert found, said
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, DeniedWorklistScreen))
        groups = app.screen.query_one("#denied-groups", ResultTable)
        await settle(pilot, lambda: not groups.fetching and bool(groups.rows))
        assert sum(g.claim_count for g in groups.rows) == int(found.group(1).replace(",", ""))

        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, DeniedClaimsScreen))
        table = app.screen.query_one("#denied-claims", ResultTable)
        await settle(pilot, lambda: not table.fetching and bool(table.rows))
        text = screen_text(app)
        header = next(line for line in text.splitlines() if "Claim" in line and "Member" in line)
        assert " TIN " in header
        first = table.rows[0]
        assert f"{first.tin[:2]}-{first.tin[2:]}" in text
