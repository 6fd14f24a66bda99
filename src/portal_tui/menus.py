"""The portal's menus: one Textual mode each, in sidebar order, with their keys, and what a role
needs to use each.

Minimum necessary: a menu the signed-in role cannot use is not offered at all (sidebar, number
key, palette). Whether it can is decided by the core's permission matrix
(`portal_core.rules.permissions.account_allowed` on the signed-in account), so the TUI and the
portal never disagree; the portal still refuses every call it does not allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal_core.models.identity import Account


@dataclass(frozen=True)
class Menu:
    """One menu of the portal."""

    mode: str
    """The Textual mode name."""
    title: str
    """What the sidebar and the palette call it."""
    key: str | None
    """The key that switches to it (1-9, 0), or None: reached by function key or palette."""
    needs: tuple[str, ...] = ("own_account",)
    """Permission actions (`Action` values), any one of which makes the menu usable."""
    at_active_tin: bool = False
    """Whether the menu acts at the active TIN only (users, reviews), so the role there decides;
    otherwise a role at any of the user's TINs (or the payer role) does."""


MENUS: tuple[Menu, ...] = (
    Menu("home", "Home", "1"),
    Menu("messages", "Messages", "2", ("send_messages", "answer_messages")),
    Menu("claims", "Claims", "3", ("read_claims",)),
    Menu("payments", "Payments", "4", ("read_payments",)),
    Menu(
        "preauth",
        "Preauth",
        "5",
        ("read_preauth", "request_preauth", "decide_preauth", "manage_preauth_templates"),
    ),
    Menu(
        "admissions",
        "Admissions",
        "6",
        ("read_admissions", "notify_admissions", "review_admissions"),
    ),
    Menu("referrals", "Referrals", "7", ("read_referrals", "manage_referrals")),
    Menu("members", "Members", "8", ("read_members", "check_eligibility")),
    Menu("providers", "Providers", "9", ("read_providers",)),
    Menu("documents", "Documents", "0", ("read_documents",)),
    Menu("users", "Users", "f2", ("view_users", "manage_payer_staff"), at_active_tin=True),
    Menu("reviews", "Reviews", "f3", ("run_reviews", "view_overdue_reviews"), at_active_tin=True),
    Menu("settings", "Settings", "f4"),
)
"""Every menu, in sidebar order."""

MENUS_BY_MODE = {menu.mode: menu for menu in MENUS}


def may(
    account: Account | None, needs: tuple[str, ...] | str, *, at_active_tin: bool = False
) -> bool:
    """Whether the signed-in `account` may do any of `needs` (`Action` values) by the core's
    permission matrix: at its active TIN when `at_active_tin` (the payer role when there is
    none), else with any of its roles. False before sign-in."""
    if account is None:
        return False
    from portal_core.rules.permissions import Action, account_allowed

    tin = account.active_tin if at_active_tin else None
    wanted = (needs,) if isinstance(needs, str) else needs
    return any(account_allowed(account, Action(need), tin) for need in wanted)


def usable(menu: Menu, account: Account | None) -> bool:
    """Whether `account` may use `menu` (it is shown and its key works)."""
    return may(account, menu.needs, at_active_tin=menu.at_active_tin)


def usable_menus(account: Account | None) -> tuple[Menu, ...]:
    """The menus `account` may use, in sidebar order (none before sign-in)."""
    return tuple(menu for menu in MENUS if usable(menu, account))
