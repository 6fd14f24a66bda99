"""Bases of every portal screen: typed access to the app and its client, error reporting, and the
menu chrome (sidebar, content, status bar, footer)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer

from portal_core.errors import PortalError
from portal_tui.widgets.sidebar import Sidebar
from portal_tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from portal_core.client.base import PortalClient
    from portal_tui.app import PortalApp

ResultT = TypeVar("ResultT")


class PortalScreen(Screen[ResultT]):
    """A screen that talks to the portal through the app's client."""

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
