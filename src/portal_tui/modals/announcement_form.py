"""Publish an announcement (payer administrators): title, text, kind, the product lines it is for
(none ticked: every organization) and an optional expiry. Ctrl+S publishes; the dialog closes with
the announcement published, or stays open saying what to fix."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from portal_core.errors import PortalError
from portal_core.models.announcements import Announcement
from portal_tui.modals.confirm import MODAL_CSS
from portal_tui.screens.base import PortalModal
from portal_tui.widgets.ticks import TickBox

KINDS = [
    ("Portal update", "portal_update"),
    ("Time to review your users", "review_notice"),
    ("Policy change", "policy"),
]
"""(label, value) of the kinds of announcement."""

PRODUCT_LINES = ("commercial", "medicare", "medicaid")
"""The product lines an announcement may be aimed at."""


def expiry_from(text: str) -> datetime | None:
    """The end of the day typed (`2026-12-31`, UTC), or None when empty; ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    day = datetime.strptime(text, "%Y-%m-%d").date()
    return datetime.combine(day, time(23, 59), UTC)


class AnnouncementFormModal(PortalModal[Announcement | None]):
    """Dismisses with the published announcement, or None when cancelled."""

    DEFAULT_CSS = (
        "AnnouncementFormModal {"
        + MODAL_CSS
        + """
        & > Vertical { width: 72; }
        & TextArea { height: 6; }
        & .form-row { height: auto; }
        & .form-row Label { padding: 0 1 0 0; color: $text-muted; }
        & #announcement-kind { width: 32; }
        & #announcement-expires { width: 14; }
    }"""
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "publish", "Publish", id="announcement.publish"),
        Binding("escape", "cancel", "Cancel", id="announcement.cancel"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | ctrl+s | announcement.publish | Publish. |
    | escape | announcement.cancel | Cancel. |
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Publish an announcement", classes="modal-title")
            yield Input(placeholder="Title", id="announcement-title", max_length=200)
            yield TextArea(id="announcement-body")
            with Horizontal(classes="form-row"):
                yield Label("Kind")
                yield Select[str](
                    KINDS,
                    value="portal_update",
                    allow_blank=False,
                    id="announcement-kind",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Label("For")
                for line in PRODUCT_LINES:
                    yield TickBox(line, id=f"line-{line}", compact=True)
            yield Static("Tick none to publish to every organization.", classes="modal-text")
            with Horizontal(classes="form-row"):
                yield Label("Expires (optional)")
                yield Input(placeholder="YYYY-MM-DD", id="announcement-expires", compact=True)
            yield Static("", classes="modal-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Publish (ctrl+s)", id="publish", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#announcement-title", Input).focus()

    def say(self, text: str) -> None:
        """Show what to fix."""
        self.query_one(".modal-error", Static).update(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#publish")
    @work(exclusive=True, group="announcement-publish")
    async def action_publish(self) -> None:
        """Publish what the form holds; the portal checks it again."""
        from portal_core.models.announcements import NewAnnouncement

        title = self.query_one("#announcement-title", Input).value
        body = self.query_one("#announcement-body", TextArea).text
        if not title.strip():
            self.say("Write a title.")
            return
        if not body.strip():
            self.say("Write the announcement's text.")
            return
        try:
            expires = expiry_from(self.query_one("#announcement-expires", Input).value)
        except ValueError:
            self.say("Type the expiry as YYYY-MM-DD, or leave it empty.")
            return
        lines = [line for line in PRODUCT_LINES if self.query_one(f"#line-{line}", Checkbox).value]
        kind = str(self.query_one("#announcement-kind", Select).value)
        try:
            announcement = NewAnnouncement(
                title=title,
                body=body,
                kind=kind,
                audience=lines,
                expires_at=expires,
            )
            published = await self.client.publish_announcement(announcement)
        except PortalError as error:
            self.say(error.message)
            return
        except ValueError:
            self.say("The title or text is too long.")
            return
        self.dismiss(published)
