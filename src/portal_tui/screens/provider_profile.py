"""One provider's profile: TIN affiliations, service locations, specialties, languages, panel
status and networks per plan. An administrator of one of the provider's TINs asks for changes
from here (`u`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import LoadingIndicator, Static

from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen
from portal_tui.widgets.record_view import RecordView

if TYPE_CHECKING:
    from portal_core.models.providers import ProviderProfile


def _dates(start: object, end: object) -> str:
    return f"{start:%m/%d/%Y} – {f'{end:%m/%d/%Y}' if end else 'now'}"


def profile_text(profile: ProviderProfile) -> str:
    """The profile as plain text, section by section."""
    lines = [
        f"NPI {profile.npi} · {profile.kind} · panel {profile.panel_status}"
        + (" (accepting new patients)" if profile.panel_status == "open" else ""),
        f"Phone: {profile.phone or '—'}",
        "",
        "Specialties",
    ]
    for s in profile.specialties:
        lines.append(f"  {s.specialty} ({s.taxonomy or 'no taxonomy'})" + (
            " · primary" if s.primary else ""
        ))  # fmt: skip
    lines += ["", "Languages", "  " + (", ".join(profile.languages) or "—"), "", "Locations"]
    for loc in profile.locations:
        where = f"  {loc.address}, {loc.city}, {loc.state} {loc.zip}"
        lines.append(where + (f" · {loc.phone}" if loc.phone else "") + (
            " · primary" if loc.primary else ""
        ))  # fmt: skip
    if not profile.locations:
        lines.append("  —")
    lines += ["", "Tax ID affiliations"]
    for a in profile.affiliations:
        lines.append(f"  {a.tin[:2]}-{a.tin[2:]} {a.tin_name} · {_dates(a.start_date, a.end_date)}")
    lines += ["", "Networks"]
    for n in profile.networks:
        state = "in network" if n.active else "not in network today"
        lines.append(f"  {n.plan_name} ({n.plan_id}, {n.product_line})")
        lines.append(f"    {_dates(n.start_date, n.end_date)} · {state}")
    if not profile.networks:
        lines.append("  —")
    if profile.pending_fields:
        lines += ["", "Waiting for approval: " + ", ".join(profile.pending_fields)]
    return "\n".join(lines)


class ProviderProfileScreen(MenuScreen):
    """A provider in the directory."""

    MENU = "providers"
    GUIDE = "providers"
    CSS_PATH = stylesheet("provider_profile")
    AUTO_FOCUS = "#profile-body"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="profile.back"),
        Binding("u", "request_update", "Request change", id="profile.request_update"),
        Binding("f5", "refresh", "Refresh", show=False, id="profile.refresh"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | profile.back | Back. |
    | u | profile.request_update | Ask for a change (an administrator of the provider's TIN). |
    | f5 | profile.refresh | Fetch again. |
    """
    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "request_update": ("request_profile_update",),
    }

    def __init__(self, npi: str) -> None:
        super().__init__()
        self.npi = npi
        """The provider shown (as typed; the portal checks it)."""
        self.profile: ProviderProfile | None = None
        """The profile as last loaded."""

    def compose_content(self) -> ComposeResult:
        yield Static(printable(f"Provider {self.npi}"), classes="screen-title", id="profile-title")
        yield Static("", id="profile-message", markup=False)
        yield LoadingIndicator(id="profile-loading")
        with VerticalScroll(id="profile-body"):
            yield RecordView(id="profile-facts")

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        # Back from a change request: show the field as waiting.
        if self.profile is not None:
            self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)

    def say(self, text: str, error: bool = False) -> None:
        """The line under the title (red for a problem)."""
        message = self.query_one("#profile-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "request_update" and not (self.profile and self.profile.updatable_tins):
            return False
        return super().check_action(action, parameters)

    @work(exclusive=True, group="provider-profile")
    async def load(self) -> None:
        """Fetch the profile and show it, or the error in its place (the profile shown before
        is cleared first, so a failed refresh never leaves it on screen)."""
        self.profile = None
        self.refresh_bindings()
        self.say("")
        title = self.query_one("#profile-title", Static)
        title.update(printable(f"Provider {self.npi}"))
        loading = self.query_one("#profile-loading")
        loading.display = True
        try:
            self.profile = await self.query_one("#profile-facts", RecordView).look_up(
                lambda: self.client.get_provider(self.npi), profile_text, report=self.report
            )
        finally:
            loading.display = False
        profile = self.profile
        if profile is None:
            return
        title.update(printable(f"{profile.name}"))
        if profile.updatable_tins:
            self.say("u asks for a change (a payer administrator approves it).")
        self.refresh_bindings()

    def action_request_update(self) -> None:
        from portal_tui.screens.profile_update_form import ProfileUpdateFormScreen

        if self.profile is not None and self.profile.updatable_tins:
            self.app.push_screen(ProfileUpdateFormScreen(self.profile))
