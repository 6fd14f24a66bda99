"""The command palette's portal commands: go to any menu, open a user or the review, and jump
straight to a claim number or member ID typed in."""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from portal_tui.menus import MENUS

if TYPE_CHECKING:
    from portal_tui.app import PortalApp

USER_PREFIXES = ("open user ", "user ")
"""What starts a jump to a user: `open user jane` or `user jane`."""


CLAIM_REPORTS = "Claims reports"
"""The palette's name for the claims report builder."""

CLAIM_REPORTS_HELP = "Build, save, run and export custom claims reports (f8 in Claims)"


class PortalCommands(Provider):
    """Go to any menu; `open user NAME` and `open review` jump straight to a record; `claims
    reports` opens the report builder."""

    @property
    def portal(self) -> PortalApp:
        from portal_tui.app import PortalApp

        assert isinstance(self.app, PortalApp)
        return self.app

    def _signed_in(self) -> bool:
        return self.portal.signed_in and not self.portal.locked

    async def open_claim_reports(self) -> None:
        """The claims report builder, over the claims menu."""
        from portal_tui.screens.claim_reports import ClaimReportScreen

        await self.portal.action_menu("claims")
        if not isinstance(self.portal.screen, ClaimReportScreen):
            self.portal.push_screen(ClaimReportScreen())

    async def discover(self) -> Hits:
        if not self._signed_in():
            return
        for menu in MENUS:
            yield DiscoveryHit(
                f"Go to {menu.title}",
                partial(self.portal.action_menu, menu.mode),
                help=f"Key {menu.key}" if menu.key else None,
            )
        yield DiscoveryHit("Open review", self.portal.open_review, help="The open user review")
        yield DiscoveryHit(CLAIM_REPORTS, self.open_claim_reports, help=CLAIM_REPORTS_HELP)

    async def search(self, query: str) -> Hits:
        if not self._signed_in():
            return
        matcher = self.matcher(query)
        for menu in MENUS:
            text = f"Go to {menu.title}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    partial(self.portal.action_menu, menu.mode),
                    text=text,
                    help=f"Key {menu.key}" if menu.key else None,
                )
        score = matcher.match("Open review")
        if score > 0:
            yield Hit(
                score,
                matcher.highlight("Open review"),
                self.portal.open_review,
                text="Open review",
                help="The open user review of your TIN",
            )
        score = matcher.match(CLAIM_REPORTS)
        if score > 0:
            yield Hit(
                score,
                matcher.highlight(CLAIM_REPORTS),
                self.open_claim_reports,
                text=CLAIM_REPORTS,
                help=CLAIM_REPORTS_HELP,
            )
        lowered = query.lower()
        for prefix in USER_PREFIXES:
            if lowered.startswith(prefix) and query[len(prefix) :].strip():
                name = query[len(prefix) :].strip()
                yield Hit(
                    1.0,
                    f"Open user {name}",
                    partial(self.portal.open_user, name),
                    text=f"Open user {name}",
                    help="Find the user in the Users menu",
                )
                break


CLAIM_NUMBER = re.compile(r"C\d{13}")
"""A claim number as typed in the palette (`C` + year + 9 digits; the service checks it again)."""

MEMBER_ID = re.compile(r"[A-Z]{1,3}\d{8,9}")
"""A member ID as typed in the palette (1-3 letters and 8-9 digits)."""


class RecordCommands(Provider):
    """Jump straight to a claim number or a member ID typed in the palette."""

    @property
    def portal(self) -> PortalApp:
        from portal_tui.app import PortalApp

        assert isinstance(self.app, PortalApp)
        return self.app

    async def search(self, query: str) -> Hits:
        if not self.portal.signed_in or self.portal.locked:
            return
        typed = query.strip().upper()
        for prefix in ("OPEN CLAIM ", "CLAIM ", "OPEN MEMBER ", "MEMBER "):
            if typed.startswith(prefix):
                typed = typed[len(prefix) :].strip()
                break
        if CLAIM_NUMBER.fullmatch(typed):
            yield Hit(
                1.0,
                f"Open claim {typed}",
                partial(self.portal.open_claim, typed),
                text=f"Open claim {typed}",
                help="The claim's detail in the Claims menu",
            )
        elif MEMBER_ID.fullmatch(typed):
            yield Hit(
                1.0,
                f"Open member {typed}",
                partial(self.portal.open_member, typed),
                text=f"Open member {typed}",
                help="The member's coverage, PCP and care plans in the Members menu",
            )
