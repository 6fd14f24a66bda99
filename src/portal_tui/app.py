"""`PortalApp`: the menus as Textual modes, global keys, the command palette, themes and the idle
lock. Screens do the work; this module only routes between them.

Start-up speed matters: nothing here imports SQLAlchemy, httpx or the pydantic models at import
time. The backend (the `client_factory`) is opened in a worker once the sign-in screen has painted.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events, work
from textual.actions import SkipAction
from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Input, TextArea
from textual.worker import NoActiveWorker, Worker, get_current_worker

from portal_core.errors import BackendUnavailable, PortalError, SessionExpired
from portal_tui.commands import PortalCommands, RecordCommands
from portal_tui.menus import MENUS, MENUS_BY_MODE, may, usable
from portal_tui.messages import (
    AccountChanged,
    MenuChosen,
    OpenClaim,
    OpenMember,
    OpenReview,
    OpenUser,
    SessionLost,
    SignedIn,
)
from portal_tui.screens.base import ActionCall, PortalScreen, in_form, is_typed, typed_actions
from portal_tui.screens.login import LoginScreen
from portal_tui.themes import DEFAULT_THEME, load_themes

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.config import Settings
    from portal_core.models.identity import Account

SIGN_IN_MODE = "signin"
"""The mode holding the sign-in screen and its register/recover/migration screens."""

IDLE_CHECK_SECONDS = 10.0
"""How often the idle lock looks at the time since the last key or mouse event."""

RETRY_KEY = "ctrl+r"
"""The key that tries again what failed for want of the server (binding id `app.retry`)."""

UNREAD_CHECK_SECONDS = 60.0
"""How often the unread-notification count is fetched again, while the user is at the keys."""

TYPING_PAUSE = 1.0
"""Seconds after a typed character within which the next one belongs to the same word."""

HOLD_TRIES = 40
"""Refreshes keys typed before a new screen's first focus wait for it, at most (a screen with
nothing to focus then takes them as they are)."""


def _menu_screen(mode: str) -> Callable[[], Screen[Any]]:
    """A factory for a menu's base screen; the module is imported on first use, not at start-up."""

    def build() -> Screen[Any]:
        module = importlib.import_module(f"portal_tui.screens.{mode}")
        return cast("Screen[Any]", module.MENU_SCREEN())

    return build


class PortalApp(App[None]):
    """The provider portal in the terminal."""

    TITLE = "Provider portal"
    COMMANDS = App.COMMANDS | {PortalCommands, RecordCommands}
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        SIGN_IN_MODE: LoginScreen,
        **{menu.mode: _menu_screen(menu.mode) for menu in MENUS},
    }
    DEFAULT_MODE = SIGN_IN_MODE
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    """Below 100 columns the sidebar hides (the number keys still switch menus)."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+p", "command_palette", "Menus", priority=True, id="app.palette", show=False),
        Binding("ctrl+l", "lock", "Lock", show=False, id="app.lock"),
        Binding("ctrl+o", "sign_out", "Sign out", show=False, id="app.sign_out"),
        Binding(RETRY_KEY, "retry", "Retry", id="app.retry"),
        Binding("ctrl+n", "notifications", "Notifications", show=False, id="app.notifications"),
        Binding(
            "escape", "leave_form", "Leave the form", show=False, priority=True, id="app.leave_form"
        ),
        *[
            Binding(
                menu.key, f"menu('{menu.mode}')", menu.title, show=False, id=f"menu.{menu.mode}"
            )
            for menu in MENUS
            if menu.key
        ],
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | ? | app.help | Every key of the current screen. |
    | ctrl+p | app.palette | Palette: go to a menu; open a user, a review, a claim, a member. |
    | ctrl+l | app.lock | Lock the screen now. |
    | ctrl+o | app.sign_out | Sign out. |
    | ctrl+r | app.retry | Cannot reach the server: try the failed action again. |
    | ctrl+n | app.notifications | The notifications panel. |
    | escape | app.leave_form | In a form: out of it, to the screen's list or page. |
    | 1-9, 0, f2-f4 | menu.NAME | Switch menu (the digits not while the focus is in a form). |
    """

    account: var[Account | None] = var(None)
    """The signed-in account, None before sign-in."""
    locked: var[bool] = var(False)
    """True while the idle lock covers the screen."""
    server_reachable: var[bool] = var(True)
    """False once a call could not reach the backend, until a call gets through again; the status
    bar shows it and the retry key is offered."""
    unread_count: var[int | None] = var(None)
    """Unread notifications as last fetched (the status bar shows it); None before the first."""

    def __init__(self, client_factory: Callable[[], PortalClient], settings: Settings) -> None:
        super().__init__()
        self._client_factory = client_factory
        self.settings = settings
        """The user's settings (theme, keys, idle lock)."""
        self.client: PortalClient | None = None
        """The backend once opened; use `wait_for_client` before the first call."""
        self._client_ready = asyncio.Event()
        self._failed_work: Worker[Any] | None = None
        """The last worker whose call could not reach the backend: what the retry key repeats."""
        self._last_input = time.monotonic()
        self._held_keys: list[events.Key] = []
        """Keys read before the screen had its first focus, in order (`on_event`)."""
        self._screens_taking_keys: weakref.WeakSet[Screen[Any]] = weakref.WeakSet()
        """Screens that had their first focus (or gave up waiting for one)."""
        self._typed_menu_keys: frozenset[ActionCall] | None = None
        self._key_acting = False
        """True from a key's action until the next refresh: the keys after it wait."""
        self._word_typed_at: float | None = None
        """When the last character of a word being typed was (`_hand_on`), None between words."""
        themes, self._theme_problems = load_themes()
        for theme in themes:
            self.register_theme(theme)
        self.portal_themes = [theme.name for theme in themes]
        """The names of the portal's own themes, for the settings screen."""
        self.theme = self._known_theme(settings.theme)

    # -- start-up and backend ---------------------------------------------------------------------
    def on_mount(self) -> None:
        if self.settings.keys:
            self.set_keymap(self.settings.keys)
        for problem in self._theme_problems:
            self.notify(problem, severity="warning")
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_if_idle)
        self.set_interval(UNREAD_CHECK_SECONDS, self._check_unread)
        # Open the backend only once the sign-in screen is on the terminal.
        self.call_after_refresh(self._open_backend)

    @work(exclusive=True, group="backend")
    async def _open_backend(self) -> None:
        try:
            client = await asyncio.to_thread(self._client_factory)
        except PortalError as error:
            self.notify(error.message, title="The portal cannot start", severity="error")
            return
        client.on_reachability = self._backend_answered
        self.client = client
        # Everything imported so far lives as long as the app: keep it out of the cyclic garbage
        # collector's full passes, which otherwise stall a frame by 100 ms and more now and then.
        gc.freeze()
        self._client_ready.set()

    async def wait_for_client(self) -> PortalClient:
        """The backend, waiting for it to open if needed."""
        await self._client_ready.wait()
        assert self.client is not None
        return self.client

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast in plain text: messages carry names and server words, never markup."""
        from portal_tui.display_text import printable

        super().notify(
            printable(message),
            title=printable(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # -- crash report -----------------------------------------------------------------------------
    def _fatal_error(self) -> None:
        """Exit after an unhandled exception, like Textual, but with the portal's crash report:
        Textual's shows every frame's local variables (a document's content, a password, a
        token); this one shows where it failed and nothing it held (`crash_report`)."""
        import sys

        from rich.segment import Segments

        from portal_tui.crash_report import crash_report

        self.bell()
        exc_type, error, traceback = sys.exc_info()
        if error is None and self._exception is not None:
            error, exc_type = self._exception, type(self._exception)
            traceback = self._exception.__traceback__
        if error is not None and exc_type is not None:
            report = crash_report(exc_type, error, traceback)
            self._exit_renderables.append(
                Segments(self.console.render(report, self.console.options))
            )
        self._close_messages_no_wait()

    # -- themes -----------------------------------------------------------------------------------
    def _known_theme(self, name: str | None) -> str:
        if name and name in self.available_themes:
            return name
        return DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"

    # -- sign-in and session ----------------------------------------------------------------------
    @property
    def signed_in(self) -> bool:
        return self.account is not None

    def watch_account(self, account: Account | None) -> None:
        if account is not None and account.theme:
            self.theme = self._known_theme(account.theme)

    async def on_signed_in(self, message: SignedIn) -> None:
        self.account = message.account
        self._last_input = time.monotonic()
        await self.switch_mode("home")
        self.refresh_unread()
        # A fresh sign-in screen for next time: the typed password must not stay in memory.
        await self.remove_mode(SIGN_IN_MODE)
        self.add_mode(SIGN_IN_MODE, LoginScreen)
        # The shell and home screen now live for the session: out of the collector's full passes.
        gc.collect()
        gc.freeze()

    def on_account_changed(self, message: AccountChanged) -> None:
        self.account = message.account
        self.refresh_bindings()

    async def on_session_lost(self, message: SessionLost) -> None:
        await self.return_to_sign_in(message.reason)

    async def return_to_sign_in(self, reason: str) -> None:
        """Forget the session and every menu's screens, and show the sign-in screen."""
        gc.unfreeze()  # the session's screens may be collected again once they are gone
        self.account = None
        self.locked = False
        self.unread_count = None
        await self.switch_mode(SIGN_IN_MODE)
        for menu in MENUS:
            if menu.mode in self._screen_stacks:
                await self.remove_mode(menu.mode)
                self.add_mode(menu.mode, _menu_screen(menu.mode))
        if reason:
            self.notify(reason, severity="warning")

    def report_error(self, error: PortalError) -> None:
        """Show a client error in plain words; an ended session goes back to sign-in."""
        if isinstance(error, SessionExpired):
            self.post_message(SessionLost(error.message))
        elif isinstance(error, BackendUnavailable):
            self.backend_lost(error)
            self.notify(
                f"{error.message} What you typed is kept; press {self.retry_key} to try again.",
                title="Cannot reach the portal server",
                severity="error",
            )
        else:
            self.notify(error.message, severity="error")

    # -- the server gone and back -----------------------------------------------------------------
    # Every screen calls the client from a worker and reports errors through `report_error`, and
    # the client says after each call whether the backend answered; so the "cannot reach" state,
    # and what to retry, are kept here once. Nothing is torn down: the screens and what was
    # typed in them stay as they are.
    @property
    def retry_key(self) -> str:
        """The retry key as the user has it (remappable)."""
        return self.settings.keys.get("app.retry", RETRY_KEY)

    def _backend_answered(self, error: BackendUnavailable | None) -> None:
        """The client's report after each call (in the calling worker's task)."""
        if error is None:
            self.server_reachable = True
        else:
            self.backend_lost(error)

    def backend_lost(self, error: BackendUnavailable) -> None:
        """Show the "cannot reach" state and remember the failed action for the retry key."""
        try:
            worker: Worker[Any] | None = get_current_worker()
        except NoActiveWorker:
            worker = None
        if worker is not None and worker.group != "retry":
            self._failed_work = worker
        self.server_reachable = False

    def watch_server_reachable(self, reachable: bool) -> None:
        if reachable:
            self._failed_work = None
        self.refresh_bindings()

    @work(exclusive=True, group="retry")
    async def action_retry(self) -> None:
        """Try again what failed for want of the server, where it failed."""
        failed, self._failed_work = self._failed_work, None
        # The decorated method with its arguments, as `@work` handed it to the worker; Textual
        # keeps it only privately, hence getattr.
        again = getattr(failed, "_work", None) if failed is not None else None
        if failed is not None and callable(again) and failed.node.is_attached:
            # Optimistic: the repeated call clears or sets the state again by its outcome.
            self.server_reachable = True
            failed.node.run_worker(
                again,
                name=failed.name,
                group=failed.group,
                description=failed.description,
                exclusive=True,
            )
            return
        if self.client is None or not self.signed_in:
            self.server_reachable = True
            return
        try:
            # Nothing to repeat (the screen is gone): ask the server whether it is back.
            account = await self.client.account()
        except PortalError as error:
            self.report_error(error)
        else:
            self.server_reachable = True
            self.account = account
            self.notify("The portal server answers again.")

    @work(exclusive=True, group="sign-out")
    async def action_sign_out(self) -> None:
        if self.client is not None:
            # Signing out of a dead session is still signing out.
            with contextlib.suppress(PortalError):
                await self.client.sign_out()
        await self.return_to_sign_in("You are signed out.")

    # -- navigation -------------------------------------------------------------------------------
    def may(self, *needs: str, at_active_tin: bool = False) -> bool:
        """Whether the signed-in role may do any of `needs` (`Action` values), by the core's
        permission matrix (`menus.may`): what it may not do is not offered."""
        return may(self.account, needs, at_active_tin=at_active_tin)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "menu":
            if in_form(self.focused):
                # The digits are the form's there; a function key still switches.
                if self._typed_menu_keys is None:
                    self._typed_menu_keys = typed_actions(self)
                if (action, tuple(parameters)) in self._typed_menu_keys:
                    return False
            menu = MENUS_BY_MODE.get(str(parameters[0])) if parameters else None
            return (
                self.signed_in
                and not self.locked
                and menu is not None
                and usable(menu, self.account)
            )
        if action in {"command_palette", "lock", "sign_out", "notifications"}:
            return self.signed_in and not self.locked
        if action == "retry":
            # Offered (in the footer too) only while the server cannot be reached.
            return not self.server_reachable
        return True

    def action_leave_form(self) -> None:
        """`escape` in a form: out of it, to the screen's list or page (`PortalScreen.leave_form`);
        otherwise the key goes on (the screen's own `escape`, an open Select list's)."""
        screen = self.screen
        if not (isinstance(screen, PortalScreen) and screen.leave_form()):
            raise SkipAction()

    async def action_menu(self, mode: str) -> None:
        """Switch to a menu (one the role may use)."""
        menu = MENUS_BY_MODE.get(mode)
        if self.signed_in and not self.locked and menu is not None and usable(menu, self.account):
            await self.switch_mode(mode)

    async def on_menu_chosen(self, message: MenuChosen) -> None:
        await self.action_menu(message.mode)

    async def open_user(self, username: str) -> None:
        """Jump to a user in the users menu."""
        await self.action_menu("users")
        if self.current_mode == "users":  # not when the role may not use the menu
            self.screen_stack[0].post_message(OpenUser(username))

    async def open_review(self) -> None:
        """Jump to the active TIN's open review campaign."""
        await self.action_menu("reviews")
        if self.current_mode == "reviews":  # not when the role may not use the menu
            self.screen_stack[0].post_message(OpenReview())

    async def open_claim(self, claim_number: str) -> None:
        """Jump to a claim in the claims menu."""
        await self.action_menu("claims")
        if self.current_mode == "claims":  # not when the role may not use the menu
            self.screen_stack[0].post_message(OpenClaim(claim_number))

    async def open_member(self, member_id: str) -> None:
        """Jump to a member in the members menu."""
        await self.action_menu("members")
        if self.current_mode == "members":  # not when the role may not use the menu
            self.screen_stack[0].post_message(OpenMember(member_id))

    # -- notifications ----------------------------------------------------------------------------
    def show_unread(self, count: int | None) -> None:
        """Set the unread count the status bar shows (screens that fetched it pass it on)."""
        self.unread_count = count

    def _check_unread(self) -> None:
        # Only while the user is at the keys: every call counts as session activity, so a poll
        # of an idle client would keep its session alive past the idle limit.
        idle = time.monotonic() - self._last_input
        at_the_keys = idle < UNREAD_CHECK_SECONDS
        if self.signed_in and not self.locked and self.server_reachable and at_the_keys:
            self.refresh_unread()

    @work(exclusive=True, group="unread")
    async def refresh_unread(self) -> None:
        """Fetch the unread-notification count for the status bar (quietly: it is a background
        figure, and a failure shows elsewhere)."""
        from portal_tui.modals.notifications import PANEL_SIZE

        if self.client is None or not self.signed_in:
            return
        try:
            unread = await self.client.notifications(unread_only=True, limit=PANEL_SIZE)
        except PortalError:
            return
        self.unread_count = len(unread)

    @work(exclusive=True, group="notifications-panel")
    async def action_notifications(self) -> None:
        """Open the notifications panel; enter there opens the record a notification is about."""
        from portal_tui.modals.notifications import NotificationsModal
        from portal_tui.record_links import open_record

        if isinstance(self.screen, NotificationsModal):
            return
        chosen = await self.push_screen_wait(NotificationsModal())
        if chosen is not None:
            await open_record(self, chosen.link_kind, chosen.link_id)

    def action_help(self) -> None:
        from portal_tui.screens.help import HelpScreen

        screen = self.screen
        if not isinstance(screen, HelpScreen):
            guide = screen.guide if isinstance(screen, PortalScreen) else None
            self.push_screen(HelpScreen(screen.active_bindings, guide))

    # -- idle lock --------------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event,
            (
                events.Key,
                events.MouseDown,
                events.MouseScrollDown,
                events.MouseScrollUp,
                events.MouseMove,
            ),
        ):
            self._last_input = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self._read_key(event)
            return
        await super().on_event(event)

    # -- keys go where they are typed -------------------------------------------------------------
    # Textual hands every key to the widget focused when the app reads it, or to the screen when
    # nothing is; the key's bindings act only later, once it has bubbled back up to the app. So
    # in a burst the keys after a menu digit reached the old screen, then acted on the new one
    # (its letters opened dialogs), and a new screen, which takes its first focus a refresh or
    # more after it opens, gave its bindings the keys typed into it. Here the app reads one key
    # at a time: a key's bindings act as it is read (a field's typed keys are no bindings); after
    # one acted, and until the screen has had its first focus, the next keys wait, in order. Each
    # key read is offered to the screen first, for type-to-search (`PortalScreen.take_typing`).
    def takes_keys(self, screen: Screen[Any]) -> bool:
        """Whether `screen` has had its first focus (keys typed now may be handed on)."""
        if screen in self._screens_taking_keys:
            return True
        if screen.focused is not None:
            self._screens_taking_keys.add(screen)
            return True
        return False

    async def _read_key(self, event: events.Key) -> None:
        if self._held_keys or self._key_acting or not self.takes_keys(self.screen):
            self._held_keys.append(event)
            if len(self._held_keys) == 1 and not self._key_acting:
                self.call_after_refresh(self._read_held_keys, HOLD_TRIES)
            return
        await self._hand_on(event)

    async def _read_held_keys(self, tries: int) -> None:
        """Read the held keys once the screen has its first focus (or has waited long enough)."""
        self._key_acting = False
        while self._held_keys and not self._key_acting:
            if not self.takes_keys(self.screen):
                if tries > 0:
                    self.call_after_refresh(self._read_held_keys, tries - 1)
                    return
                self._screens_taking_keys.add(self.screen)  # nothing there takes the focus
            await self._hand_on(self._held_keys.pop(0))
            tries = HOLD_TRIES

    async def _hand_on(self, event: events.Key) -> None:
        """Read one key: type-to-search, then its bindings now (but in a multi-line field), else
        Textual's reading (priority bindings, then the focused widget, which types it).

        A typed character that is no action starts a word: the characters and spaces typed right
        after it (within `TYPING_PAUSE`) are text too, typed into the screen's field or dropped,
        never keys; enter, escape, tab and the like end the word."""
        typed = is_typed(event.key, event.character)
        in_word = (
            (typed or event.key == "space")
            and self._word_typed_at is not None
            and event.time - self._word_typed_at < TYPING_PAUSE
        )
        self._word_typed_at = None
        screen = self.screen
        if isinstance(screen, PortalScreen):
            screen.take_typing(event.key, event.character, in_word=in_word)
        focused = self.focused
        # A multi-line field takes enter and tab itself, before any binding.
        if not isinstance(focused, TextArea):
            if in_word and not isinstance(focused, Input):
                self._word_typed_at = event.time  # nowhere to type it: dropped, not a key
                return
            if await self._check_bindings(event.key, priority=True) or await self._check_bindings(
                event.key
            ):
                # It acted (a menu, a dialog, another screen): the next key waits for it.
                self._key_acting = True
                self.call_after_refresh(self._read_held_keys, HOLD_TRIES)
                return
        if typed or in_word:
            self._word_typed_at = event.time
        await super().on_event(event)

    @property
    def idle_minutes(self) -> int:
        """Minutes without input before the lock: the session's limit, or less if set so."""
        session_limit = self.account.idle_minutes if self.account else 15
        chosen = self.settings.idle_lock_minutes
        return min(chosen, session_limit) if chosen else session_limit

    def lock_if_idle(self) -> None:
        """Lock when the user has been idle for longer than the limit."""
        idle = time.monotonic() - self._last_input
        if self.signed_in and not self.locked and idle >= self.idle_minutes * 60:
            self.action_lock()

    def action_lock(self) -> None:
        """Cover the screen until the password is typed again; the screens below stay as is."""
        from portal_tui.modals.reauthenticate import ReauthenticateModal

        if not self.signed_in or self.locked:
            return
        self.locked = True

        def unlocked(_: bool | None) -> None:
            self.locked = False
            self._last_input = time.monotonic()

        self.push_screen(ReauthenticateModal(), unlocked)

    async def on_unmount(self) -> None:
        if self.client is not None:
            with contextlib.suppress(PortalError):
                await self.client.close()
