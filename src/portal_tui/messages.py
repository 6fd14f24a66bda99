"""App-wide Textual messages: screens post them up, `PortalApp` handles them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from portal_core.models.identity import Account


class SignedIn(Message):
    """A session started (sign-in, TOTP step or legacy migration)."""

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account
        """The signed-in account."""


class AccountChanged(Message):
    """The signed-in account changed (settings, active TIN); the status bar and theme follow."""

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account
        """The account as it is now."""


class SessionLost(Message):
    """The server ended the session (expiry, revocation) or the user signed out."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
        """Plain words for the sign-in screen."""


class MenuChosen(Message):
    """The user picked a menu (sidebar click)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        """The menu's mode name."""


class OpenUser(Message):
    """Open a user by username (from the command palette), sent to the users screen."""

    def __init__(self, username: str) -> None:
        super().__init__()
        self.username = username
        """The username (or part of it) typed in the palette."""


class OpenReview(Message):
    """Open the active TIN's open review campaign, sent to the reviews screen."""


class OpenClaim(Message):
    """Open a claim by number (from the command palette), sent to the claims screen."""

    def __init__(self, claim_number: str) -> None:
        super().__init__()
        self.claim_number = claim_number
        """The claim number typed in the palette."""


class OpenMember(Message):
    """Open a member by member ID (from the command palette), sent to the members screen."""

    def __init__(self, member_id: str) -> None:
        super().__init__()
        self.member_id = member_id
        """The member ID typed in the palette."""
