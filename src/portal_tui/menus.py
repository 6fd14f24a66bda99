"""The portal's menus: one Textual mode each, in sidebar order, with their keys."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Menu:
    """One menu of the portal."""

    mode: str
    """The Textual mode name."""
    title: str
    """What the sidebar and the palette call it."""
    key: str | None
    """The key that switches to it (1-9, 0), or None: reached by function key or palette."""


MENUS: tuple[Menu, ...] = (
    Menu("home", "Home", "1"),
    Menu("messages", "Messages", "2"),
    Menu("claims", "Claims", "3"),
    Menu("payments", "Payments", "4"),
    Menu("preauth", "Preauth", "5"),
    Menu("admissions", "Admissions", "6"),
    Menu("referrals", "Referrals", "7"),
    Menu("members", "Members", "8"),
    Menu("providers", "Providers", "9"),
    Menu("documents", "Documents", "0"),
    Menu("users", "Users", "f2"),
    Menu("reviews", "Reviews", "f3"),
    Menu("settings", "Settings", "f4"),
)
"""Every menu, in sidebar order."""

MENUS_BY_MODE = {menu.mode: menu for menu in MENUS}
