"""The status bar: which backend, who is signed in, at which TIN, and unread notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from portal_core.models.identity import Account


def describe_account(account: Account | None) -> str:
    """`jane.doe · Administrator · TIN 12-3456789` (or the payer role)."""
    if account is None:
        return "not signed in"
    from portal_core.rules.identifiers import format_tin

    parts = [account.username]
    if account.payer_role is not None:
        parts.append(account.payer_role.label)
    if account.active_tin:
        role = next((r.role for r in account.roles if r.tin == account.active_tin), None)
        if role is not None and account.payer_role is None:
            parts.append(role.label)
        parts.append(f"TIN {format_tin(account.active_tin)}")
    return " · ".join(parts)


class StatusBar(Static):
    """One line at the bottom of every menu screen; it turns to the error color, saying so and
    naming the retry key, while the server cannot be reached."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    StatusBar.-unreachable {
        background: $error;
        color: $text;
        text-style: bold;
    }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "account", self._show)
        self.watch(self.app, "server_reachable", self._show)
        self.watch(self.app, "unread_count", self._show)

    def _show(self, _: Any = None) -> None:
        client = getattr(self.app, "client", None)
        label = client.backend_label if client is not None else ""
        who = describe_account(getattr(self.app, "account", None))
        reachable = getattr(self.app, "server_reachable", True)
        self.set_class(not reachable, "-unreachable")
        if not reachable:
            key = getattr(self.app, "retry_key", "ctrl+r")
            # The state first: it is what the user must see on a narrow terminal.
            text = f"Cannot reach the portal server · {key} to retry  │  {who}"
        else:
            # Who and where first: a long database path is what gets cut on a narrow terminal.
            unread = getattr(self.app, "unread_count", None)
            if unread:
                keys = getattr(getattr(self.app, "settings", None), "keys", None) or {}
                key = keys.get("app.notifications", "ctrl+n")
                who = f"{who}  │  {unread:,} unread ({key})"
            text = f"{who}  │  {label}" if label else who
        self.update(Text(text, no_wrap=True, overflow="ellipsis"))
