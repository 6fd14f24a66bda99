"""One message thread: its posts in order as plain text, status and linked record, each post's
attached files; reply (with files) and close; open or save an attachment. Opening it marks it read.
A customer-service look-up shows the caller's organization too."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_core.errors import PortalError, SessionExpired
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen
from portal_tui.screens.messages import status_words, when
from portal_tui.widgets.record_view import RecordView

if TYPE_CHECKING:
    from portal_core.models.messages import MessageAttachment, ThreadDetail, ThreadLookup


def thread_text(thread: ThreadDetail) -> str:
    """The thread's facts, then each post: author, time, text (raw; escape before showing)."""
    if thread.topic == "transaction":
        about = f"About: {thread.linked_kind} {thread.linked_id}"
    else:
        about = f"Category: {(thread.category or 'other').replace('_', ' ')}"
    lines = [
        f"Subject: {thread.subject}",
        f"Status: {status_words(thread.status)}",
        about,
        f"Organization: {thread.organization} (Tax ID {thread.tin})",
        f"Opened by {thread.author_name} on {when(thread.created_at)}",
    ]
    if thread.reopen_until is not None:
        lines.append(f"A reply by {when(thread.reopen_until)} reopens it.")
    number = 0
    for post in thread.posts:
        side = " (customer service)" if post.payer_side else ""
        lines += ["", f"— {post.author_name}{side}, {when(post.created_at)}", post.body]
        for attachment in post.attachments:
            number += 1
            lines.append(
                f"  attachment {number}: {attachment.file_name} ({attachment.size:,} bytes)"
            )
    if number:
        lines += ["", "o opens an attachment, s saves one."]
    return "\n".join(lines)


def attachments_of(thread: ThreadDetail) -> list[MessageAttachment]:
    """Every file attached to the thread, numbered in post order as `thread_text` shows them."""
    return [a for post in thread.posts for a in post.attachments]


def caller_text(lookup: ThreadLookup) -> str:
    """What customer service needs before taking the call."""
    role = f", the author is {lookup.author_role}" if lookup.author_role else ""
    return (
        f"Caller: {lookup.thread.organization} ({lookup.organization_kind}{role}); "
        f"Tax IDs {', '.join(lookup.organization_tins)}"
    )


class ThreadScreen(MenuScreen):
    """A thread the user may read, with reply and close."""

    MENU = "messages"
    GUIDE = "messages"
    CSS_PATH = stylesheet("messages")
    AUTO_FOCUS = "#thread-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="thread.back"),
        Binding("r", "reply", "Reply", id="thread.reply"),
        Binding("c", "close_thread", "Close", id="thread.close"),
        Binding("o", "open_attachment", "Open file", id="thread.open_attachment"),
        Binding("s", "save_attachment", "Save file", id="thread.save_attachment"),
        Binding("f5", "refresh", "Refresh", show=False, id="thread.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | thread.back | Back. |
    | r | thread.reply | Reply (ctrl+t attaches files, ctrl+s sends). |
    | c | thread.close | Close the thread (customer service). |
    | o | thread.open_attachment | Open an attached file in the document viewer. |
    | s | thread.save_attachment | Save an attached file, readable only by you. |
    | f5 | thread.refresh | Fetch again. |
    """

    def __init__(self, reference: str, lookup: bool = False, menu: str = "messages") -> None:
        super().__init__()
        self.reference = reference.strip().upper()
        """The thread shown."""
        self.lookup = lookup
        """True for a customer-service look-up (shows the caller's organization)."""
        self.menu = menu
        """The menu the thread was opened from."""
        self.thread: ThreadDetail | None = None
        """The thread as last loaded."""

    @property
    def menu_mode(self) -> str:
        return self.menu

    def compose_content(self) -> ComposeResult:
        yield Static(printable(f"Message {self.reference}"), classes="screen-title", markup=False)
        yield Static("", id="thread-message", markup=False)
        yield Static("", id="thread-caller", markup=False)
        yield LoadingIndicator(id="thread-loading")
        with VerticalScroll(id="thread-body"):
            yield RecordView(id="thread-posts")

    def on_mount(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"reply", "close_thread"}:
            return self.thread is not None
        if action in {"open_attachment", "save_attachment"}:
            return self.thread is not None and bool(attachments_of(self.thread))
        return True

    def say(self, text: str, error: bool = False) -> None:
        """The line under the title (red for a problem)."""
        message = self.query_one("#thread-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def fail(self, error: PortalError) -> None:
        """Say what went wrong under the title; an ended session goes back to sign-in."""
        self.say(error.message, error=True)
        if isinstance(error, SessionExpired):
            self.report(error)

    def show(self, thread: ThreadDetail) -> None:
        """Draw the thread (every text escaped: it is whatever people typed)."""
        self.thread = thread
        self.query_one("#thread-posts", RecordView).show(thread_text(thread))
        self.refresh_bindings()

    @work(exclusive=True, group="thread-load")
    async def load(self) -> None:
        """Fetch the thread (which marks it read); what was shown before is cleared first, so
        a failed refresh never leaves another caller's thread on screen."""
        self.thread = None
        self.refresh_bindings()
        caller = self.query_one("#thread-caller", Static)
        caller.update("")
        loading = self.query_one("#thread-loading")
        loading.display = True
        posts = self.query_one("#thread-posts", RecordView)
        try:
            if self.lookup:
                found = await posts.look_up(
                    lambda: self.client.lookup_thread(self.reference),
                    lambda found: thread_text(found.thread),
                    report=self.report,
                )
                if found is not None:
                    caller.update(printable(caller_text(found)))
                    self.show(found.thread)
            else:
                thread = await posts.look_up(
                    lambda: self.client.get_thread(self.reference), thread_text, report=self.report
                )
                if thread is not None:
                    self.show(thread)
        finally:
            loading.display = False

    @work(exclusive=True, group="thread-write")
    async def action_reply(self) -> None:
        """Write a reply, with files if wanted; ctrl+s sends it."""
        from portal_core.models.messages import NewPost
        from portal_tui.modals.message_compose import ReplyModal

        answer = await self.app.push_screen_wait(ReplyModal(self.reference))
        if answer is None:
            return
        text, files = answer
        try:
            thread = await self.client.reply_to_thread(
                self.reference, NewPost(body=text, attachments=files)
            )
        except PortalError as error:
            self.fail(error)
            return
        self.show(thread)
        self.say(f"Reply sent with {len(files)} file(s)." if files else "Reply sent.")

    async def pick_attachment(self, verb: str) -> MessageAttachment | None:
        """The attachment to open or save: the only one, or the one the user picks."""
        from portal_tui.modals.choice import ChoiceModal

        files = attachments_of(self.thread) if self.thread is not None else []
        if len(files) <= 1:
            return files[0] if files else None
        choices = [
            (a, f"{n}. {a.file_name} ({a.size:,} bytes)") for n, a in enumerate(files, start=1)
        ]
        return await self.app.push_screen_wait(
            ChoiceModal["MessageAttachment"](f"{verb} which file?", choices)
        )

    @work(exclusive=True, group="thread-file")
    async def action_open_attachment(self) -> None:
        """Show an attached file in the document viewer (text as text; `s` there saves it)."""
        from portal_tui.screens.documents import DocumentViewerScreen

        attachment = await self.pick_attachment("Open")
        if attachment is not None:
            await self.app.push_screen(DocumentViewerScreen(attachment.document_id))

    @work(exclusive=True, group="thread-file")
    async def action_save_attachment(self) -> None:
        """Save an attached file to a path the user picks, readable only by them (0600)."""
        from portal_tui.screens.documents import save_document

        attachment = await self.pick_attachment("Save")
        if attachment is None:
            return
        said = await save_document(self, attachment.document_id, attachment.file_name)
        if said:
            self.say(said, error=not said.startswith("Saved"))

    @work(exclusive=True, group="thread-write")
    async def action_close_thread(self) -> None:
        """Close the thread (the portal lets only customer service)."""
        try:
            thread = await self.client.close_thread(self.reference)
        except PortalError as error:
            self.fail(error)
            return
        self.show(thread)
        self.say("Thread closed.")
