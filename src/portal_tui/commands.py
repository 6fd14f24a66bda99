"""The command palette's portal commands: go to any menu, open a user or the review, and jump
straight to a claim number or member ID typed in. Only what the signed-in role may use is offered
(`PortalApp.may`, from the core's permission matrix)."""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from portal_tui.menus import usable_menus

if TYPE_CHECKING:
    from portal_tui.app import PortalApp

USER_PREFIXES = ("open user ", "user ")
"""What starts a jump to a user: `open user jane` or `user jane`."""

USERS_NEED = ("view_users", "manage_payer_staff")
"""What opening a user needs (as the Users menu)."""


CLAIM_REPORTS = "Claims reports"
"""The palette's name for the claims report builder."""

CLAIM_REPORTS_HELP = "Build, save, run and export custom claims reports (f8 in Claims)"

NOTIFICATIONS = "Notifications"
"""The palette's name for the notifications panel."""

NOTIFICATIONS_HELP = "Your notifications: mark read, open what they are about (ctrl+n)"


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

    def open_notifications(self) -> None:
        """The notifications panel."""
        self.portal.action_notifications()

    async def discover(self) -> Hits:
        if not self._signed_in():
            return
        for menu in usable_menus(self.portal.account):
            yield DiscoveryHit(
                f"Go to {menu.title}",
                partial(self.portal.action_menu, menu.mode),
                help=f"Key {menu.key}" if menu.key else None,
            )
        if self.portal.may("run_reviews", at_active_tin=True):
            yield DiscoveryHit("Open review", self.portal.open_review, help="The open user review")
        yield DiscoveryHit(NOTIFICATIONS, self.open_notifications, help=NOTIFICATIONS_HELP)
        if self.portal.may("run_claim_reports"):
            yield DiscoveryHit(CLAIM_REPORTS, self.open_claim_reports, help=CLAIM_REPORTS_HELP)

    async def search(self, query: str) -> Hits:
        if not self._signed_in():
            return
        matcher = self.matcher(query)
        for menu in usable_menus(self.portal.account):
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
        if score > 0 and self.portal.may("run_reviews", at_active_tin=True):
            yield Hit(
                score,
                matcher.highlight("Open review"),
                self.portal.open_review,
                text="Open review",
                help="The open user review of your TIN",
            )
        score = matcher.match(CLAIM_REPORTS)
        if score > 0 and self.portal.may("run_claim_reports"):
            yield Hit(
                score,
                matcher.highlight(CLAIM_REPORTS),
                self.open_claim_reports,
                text=CLAIM_REPORTS,
                help=CLAIM_REPORTS_HELP,
            )
        score = matcher.match(NOTIFICATIONS)
        if score > 0:
            yield Hit(
                score,
                matcher.highlight(NOTIFICATIONS),
                self.open_notifications,
                text=NOTIFICATIONS,
                help=NOTIFICATIONS_HELP,
            )
        lowered = query.lower() if self.portal.may(*USERS_NEED, at_active_tin=True) else ""
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


PREAUTH_NUMBER = re.compile(r"PA-\d{4}-\d{6}")
"""A preauthorization number as typed in the palette (`PA-2026-000123`)."""

MESSAGE_REFERENCE = re.compile(r"MSG-\d{4}-\d{6}")
"""A message thread's reference number as typed in the palette (`MSG-2026-000123`)."""


async def open_message(app: PortalApp, reference: str) -> None:
    """Open a thread by its reference number in the Messages menu: customer service looks the
    caller's thread up (as its `l` key does), an office opens its own."""
    from portal_tui.screens.message_thread import ThreadScreen

    await app.action_menu("messages")
    if app.current_mode == "messages":
        await app.push_screen(ThreadScreen(reference, lookup=app.may("answer_messages")))


NPI = re.compile(r"\d{10}")
"""A provider NPI as typed in the palette (the service checks its check digit)."""

NPI_PREFIXES = ("open provider ", "provider ", "npi ")
"""What may come before an NPI typed in the palette."""


class RecordCommands(Provider):
    """Jump straight to a claim number or a member ID typed in the palette."""

    @property
    def portal(self) -> PortalApp:
        from portal_tui.app import PortalApp

        assert isinstance(self.app, PortalApp)
        return self.app

    def _answers(self) -> bool:
        return self.portal.may("answer_messages")

    async def search(self, query: str) -> Hits:
        if not self.portal.signed_in or self.portal.locked:
            return
        typed = query.strip().upper()
        for prefix in ("OPEN CLAIM ", "CLAIM ", "OPEN MEMBER ", "MEMBER "):
            if typed.startswith(prefix):
                typed = typed[len(prefix) :].strip()
                break
        if CLAIM_NUMBER.fullmatch(typed) and self.portal.may("read_claims"):
            yield Hit(
                1.0,
                f"Open claim {typed}",
                partial(self.portal.open_claim, typed),
                text=f"Open claim {typed}",
                help="The claim's detail in the Claims menu",
            )
        elif MEMBER_ID.fullmatch(typed) and self.portal.may("read_members", "check_eligibility"):
            yield Hit(
                1.0,
                f"Open member {typed}",
                partial(self.portal.open_member, typed),
                text=f"Open member {typed}",
                help="The member's coverage, PCP and care plans in the Members menu",
            )
        # -- provider profiles: a 10-digit NPI (optionally "npi" or "provider" first) --
        npi = query.strip().lower()
        for prefix in NPI_PREFIXES:
            if npi.startswith(prefix):
                npi = npi[len(prefix) :].strip()
                break
        if NPI.fullmatch(npi) and self.portal.may("read_providers"):
            from portal_tui.screens.providers import open_provider

            yield Hit(
                1.0,
                f"Open provider {npi}",
                partial(open_provider, self.portal, npi),
                text=f"Open provider {npi}",
                help="The provider's profile in the Providers menu",
            )
        # -- preauthorizations: PA-YYYY-NNNNNN (optionally "preauth" first) --
        preauth = query.strip().upper()
        for prefix in ("OPEN PREAUTH ", "PREAUTH "):
            if preauth.startswith(prefix):
                preauth = preauth[len(prefix) :].strip()
                break
        if PREAUTH_NUMBER.fullmatch(preauth) and self.portal.may("read_preauth"):
            from portal_tui.screens.preauth import open_linked

            yield Hit(
                1.0,
                f"Open preauthorization {preauth}",
                partial(open_linked, self.portal, preauth),
                text=f"Open preauthorization {preauth}",
                help="The request's detail in the Preauth menu",
            )
        # -- message threads: MSG-YYYY-NNNNNN (optionally "message" first) --
        reference = query.strip().upper()
        for prefix in ("OPEN MESSAGE ", "MESSAGE ", "OPEN THREAD ", "THREAD "):
            if reference.startswith(prefix):
                reference = reference[len(prefix) :].strip()
                break
        if MESSAGE_REFERENCE.fullmatch(reference) and self.portal.may(
            "send_messages", "answer_messages"
        ):
            yield Hit(
                1.0,
                f"Open message {reference}",
                partial(open_message, self.portal, reference),
                text=f"Open message {reference}",
                help="The thread in the Messages menu"
                + (" (customer service: the caller's thread)" if self._answers() else ""),
            )
        # -- admissions and referrals: ADM-YYYY-NNNNNN, REF-YYYY-NNNNNN --
        record = query.strip().upper()
        for prefix in ("OPEN ADMISSION ", "ADMISSION ", "OPEN REFERRAL ", "REFERRAL "):
            if record.startswith(prefix):
                record = record[len(prefix) :].strip()
                break
        for pattern, kind, title, where in ADMISSION_REFERRAL_NUMBERS:
            if pattern.fullmatch(record) and self.portal.may(f"read_{kind}s"):
                from portal_tui.record_links import open_record

                yield Hit(
                    1.0,
                    f"Open {title} {record}",
                    partial(open_record, self.portal, kind, record),
                    text=f"Open {title} {record}",
                    help=f"The {title}'s detail in the {where} menu",
                )


ADMISSION_REFERRAL_NUMBERS = (
    (re.compile(r"ADM-\d{4}-\d{6}"), "admission", "admission", "Admissions"),
    (re.compile(r"REF-\d{4}-\d{6}"), "referral", "referral", "Referrals"),
)
"""Admission and referral numbers as typed in the palette: (pattern, record kind, name, menu)."""
