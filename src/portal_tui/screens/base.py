"""Bases of every portal screen: typed access to the app and its client, error reporting, and the
menu chrome (sidebar, content, status bar, footer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual import events, on
from textual.actions import parse
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.keys import key_to_character
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Input,
    RadioButton,
    RadioSet,
    Select,
    SelectionList,
    Switch,
    TextArea,
)

from portal_core.errors import PortalError, SessionExpired
from portal_tui.widgets.result_table import ResultTable
from portal_tui.widgets.sidebar import Sidebar
from portal_tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_core.models.common import Page
    from portal_tui.app import PortalApp

ResultT = TypeVar("ResultT")

FOCUS_TRIES = 20
"""Refreshes to wait for the first widget to become focusable before giving up."""

FORM_CONTROLS: tuple[type[Widget], ...] = (
    Input,
    TextArea,
    Button,
    Checkbox,
    RadioButton,
    RadioSet,
    Select,
    SelectionList,
    Switch,
)
"""The widgets of a form: where the focus is "in a form" (a Select's open list is inside it)."""

ActionCall = tuple[str, tuple[object, ...]]
"""An action by name and arguments, as `check_action` is asked about it."""


def in_form(widget: Widget | None) -> bool:
    """Whether the focus is in a form: on a field, a button, a tick box or a choice.

    There, letters and digits are the form's: a field types them, and the single-letter actions
    of the screen and the menu digits do not act (`PortalScreen.check_action`, the app's)."""
    if widget is None:
        return False
    return any(isinstance(node, FORM_CONTROLS) for node in widget.ancestors_with_self)


def is_typed(key: str, character: str | None = None) -> bool:
    """Whether a key types a character (a letter, a digit, a sign; not space or enter), by the
    character it came with (a key event's) or else by its name."""
    if character is None:
        character = key_to_character(key)
    return (
        character is not None
        and len(character) == 1
        and character.isprintable()
        and not character.isspace()
    )


def typed_actions(node: DOMNode) -> frozenset[ActionCall]:
    """The actions `node` binds to typed keys only (the user's keymap applied): the ones that
    do not act while the focus is in a form. An action also bound to another key (`escape`,
    `f9`) is not one of them."""
    bindings = node._bindings.copy()
    bindings.apply_keymap(node.app._keymap)
    typed: set[ActionCall] = set()
    other: set[ActionCall] = set()
    for key, key_bindings in bindings.key_to_bindings.items():
        for binding in key_bindings:
            _, name, arguments = parse(binding.action)
            (typed if is_typed(key) else other).add((name, tuple(arguments)))
    return frozenset(typed - other)


class PortalScreen(Screen[ResultT]):
    """A screen that talks to the portal through the app's client.

    `AUTO_FOCUS` names the widget that has the focus when the screen opens (the list, on a menu).
    Textual skips it silently when the widget is not focusable yet (its styles not applied on a
    real terminal), which left menus with no focus at all: keys did nothing until tab. So the
    screen keeps trying for a few refreshes, and again whenever it comes back with nothing focused.
    Keys typed before the first focus wait for it (the app holds them), so they land where they
    would have, had the screen been quicker.

    Keys go where they are typed, by design:
    - in a form (a field, a button, a tick box, a choice), letters and digits are the form's: the
      screen's single-letter actions and the menu digits do not act (`check_action`);
    - elsewhere (the list, a read-only page), a typed character that is no action of the screen
      goes to its text field, the list's filter (`TYPE_TO`, `take_typing`): type-to-search;
    - `escape` in a form moves the focus out, to the screen's list or page (`leave_form`); where
      the form is the screen itself, the screen's own `escape` acts (back).
    """

    GUIDE: ClassVar[str | None] = None
    """The user guide (`docs/NAME.md`) that `?` shows below the keys."""

    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {}
    """Minimum necessary: the screen's actions a role may lack, each with the permission actions
    (`Action` values) any one of which allows it. A key whose action the signed-in role may not
    do is neither shown (footer, help) nor run (`check_action`), by the core's matrix."""

    NEEDS_AT_ACTIVE_TIN: ClassVar[bool] = False
    """Whether `NEEDS` are decided by the role at the active TIN (the screen acts there)."""

    TYPE_TO: ClassVar[str | None] = None
    """The field a typed character goes to when no field has the focus (type-to-search): a
    selector; by default the screen's first text field that can take the focus."""

    _typed_actions: frozenset[ActionCall] | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """False for a single-letter action while the focus is in a form, and for an action of
        `NEEDS` the role may not do; screens that decide more call this last
        (`super().check_action`)."""
        if self._typed_actions is None:
            self._typed_actions = typed_actions(self)
        if (action, tuple(parameters)) in self._typed_actions and in_form(self.focused):
            return False
        needs = self.NEEDS.get(action)
        if needs is not None:
            return self.portal.may(*needs, at_active_tin=self.NEEDS_AT_ACTIVE_TIN)
        return True

    def may(self, action: str) -> bool:
        """Whether the role may do this screen's `action` (see `NEEDS`)."""
        return self.check_action(action, ()) is not False

    @property
    def guide(self) -> str | None:
        """The guide to show in the help screen, when it is installed."""
        from portal_tui.assets import has_guide

        return self.GUIDE if self.GUIDE and has_guide(self.GUIDE) else None

    @on(events.Mount)
    @on(events.ScreenResume)
    def _focus_first(self) -> None:
        self.call_after_refresh(self.settle_focus)

    @on(events.ScreenSuspend)
    def _left(self) -> None:
        """Leaving the screen for another menu cancels its workers, as popping it does (Textual
        cancels a removed screen's); a list whose page was cut short asks for it again when the
        screen comes back. A screen pushed above this one, in the same menu, cancels nothing."""
        if self in self.app.screen_stack:
            return
        if self.workers.cancel_node(self):
            for table in self.query(ResultTable):
                table.interrupt()

    @on(events.ScreenResume)
    def _back(self) -> None:
        for table in self.query(ResultTable):
            table.resume()

    def settle_focus(self, tries: int = FOCUS_TRIES) -> None:
        """Focus the `AUTO_FOCUS` widget when nothing has the focus."""
        selector = self.app.AUTO_FOCUS if self.AUTO_FOCUS is None else self.AUTO_FOCUS
        if self.focused is not None or not selector or not self.is_attached:
            return
        if self is not self.app.screen:
            return
        for widget in self.query(selector):
            if widget.focusable:
                self.set_focus(widget)
                return
        if tries > 0:
            self.call_after_refresh(self.settle_focus, tries - 1)

    def home_widget(self) -> Widget | None:
        """The widget the screen opens on (`AUTO_FOCUS`), when it can take the focus."""
        selector = self.app.AUTO_FOCUS if self.AUTO_FOCUS is None else self.AUTO_FOCUS
        if not selector:
            return None
        return next((widget for widget in self.query(selector) if widget.focusable), None)

    def typing_field(self) -> Input | None:
        """The field typed characters go to when no field has the focus (`TYPE_TO`)."""
        chain = self.focus_chain
        for widget in self.query(self.TYPE_TO or "Input"):
            if isinstance(widget, Input) and widget in chain:
                return widget
        return None

    def take_typing(self, key: str, character: str | None, in_word: bool = False) -> None:
        """Type-to-search: before a typed character that is no action here (or one `in_word`,
        following such a character) is handed on, focus the screen's text field, so that it and
        the characters after it are typed there (the app asks this of every key it reads, in
        order, so a burst lands whole)."""
        focused = self.focused
        if not (is_typed(key, character) or in_word) or in_form(focused):
            return
        active = self.active_bindings.get(key)
        if not in_word and active is not None and active.enabled:
            return  # an action of the list or the screen (or a menu digit)
        field = self.typing_field()
        if field is not None and field is not focused:
            self.set_focus(field)

    def leave_form(self) -> bool:
        """`escape` in a form: focus the screen's list or page instead. False (the key goes on to
        the screen's own `escape`, back) when the focus is not in a form, when the focused widget
        answers `escape` itself (a Select's open list), or when the form is the screen itself."""
        focused = self.focused
        if focused is None or not in_form(focused):
            return False
        for node in focused.ancestors_with_self:
            if node is self:
                break
            if "escape" in node._bindings.key_to_bindings:
                return False
        home = self.home_widget()
        if home is None or home is focused or in_form(home):
            return False
        self.set_focus(home)
        return True

    @property
    def portal(self) -> PortalApp:
        """The app, typed."""
        return cast("PortalApp", self.app)

    @property
    def client(self) -> PortalClient:
        """The backend (open once the user is signed in)."""
        client = self.portal.client
        assert client is not None, "the backend is opened before sign-in completes"
        return client

    def report(self, error: PortalError) -> None:
        """Show an error in plain words (an ended session goes back to sign-in)."""
        self.portal.report_error(error)


class TypeAheadForm(PortalScreen[ResultT]):
    """A form a fast typist fills in one burst (`name`, tab, `password`, enter).

    Textual hands each key to the widget focused when the app reads it, and moves the focus only
    later, when the tab key bubbles back up from that widget; so keys typed after tab landed in
    the field before it. Priority bindings run before the next key is handed on.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "next_field", "Next field", show=False, priority=True, id="form.next"),
        Binding(
            "shift+tab",
            "previous_field",
            "Previous field",
            show=False,
            priority=True,
            id="form.previous",
        ),
    ]

    def action_next_field(self) -> None:
        """Focus the next field now, before the next key is read."""
        self.focus_next()

    def action_previous_field(self) -> None:
        """Focus the previous field now."""
        self.focus_previous()


class PortalModal(ModalScreen[ResultT]):
    """A modal dialog that may talk to the portal."""

    @property
    def portal(self) -> PortalApp:
        """The app, typed."""
        return cast("PortalApp", self.app)

    @property
    def client(self) -> PortalClient:
        """The backend."""
        client = self.portal.client
        assert client is not None
        return client

    def report(self, error: PortalError) -> None:
        """Show an error in plain words (an ended session goes back to sign-in)."""
        self.portal.report_error(error)


class MenuScreen(PortalScreen[None]):
    """A screen of one menu, framed by the sidebar, the status bar and the footer."""

    MENU: ClassVar[str] = "home"
    """The menu (mode) this screen belongs to; the sidebar highlights it."""

    DEFAULT_CSS = """
    MenuScreen #menu-body { height: 1fr; }
    MenuScreen #menu-content { width: 1fr; height: 1fr; padding: 0 1; }
    MenuScreen.-narrow Sidebar { display: none; }
    """

    @property
    def menu_mode(self) -> str:
        """The menu the sidebar highlights."""
        return self.MENU

    @property
    def guide(self) -> str | None:
        """The guide of this screen's menu (`docs/users.md` for the users menu)."""
        from portal_tui.assets import has_guide

        name = self.GUIDE or self.menu_mode
        return name if has_guide(name) else None

    def compose(self) -> ComposeResult:
        with Horizontal(id="menu-body"):
            yield Sidebar(self.menu_mode)
            with Vertical(id="menu-content"):
                yield from self.compose_content()
        yield StatusBar()
        yield Footer(compact=True)

    def compose_content(self) -> ComposeResult:
        """The menu's own widgets."""
        yield from ()

    def say(self, text: str, error: bool = False) -> None:
        """The screen's message line (red for a problem); a screen with one overrides this."""
        self.notify(text, severity="error" if error else "information", markup=False)

    async def fill_table(
        self,
        table: ResultTable[Any],
        after: str | None,
        fetch: Callable[[], Awaitable[Page[Any]]],
    ) -> Page[Any] | None:
        """Fetch a page into a list: the first page (`after` None) starts it afresh, a later one
        adds to it. A refusal is said on the message line and, for a first page, in place of the
        rows (never "no match" for a search that did not run); an ended session goes back to
        sign-in. A refusal gives None."""
        if after is None:
            table.reset()
        try:
            page = await fetch()
        except PortalError as error:
            table.show_error(error.message)
            self.say(error.message, error=True)
            if isinstance(error, SessionExpired):
                self.report(error)
            return None
        table.append_page(page.items, page.next_cursor, page.total)
        return page
