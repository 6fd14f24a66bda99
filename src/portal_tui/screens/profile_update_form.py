"""The change-request form: pick a field, see its current value, type the new one (a location
has its own fields), add more fields, give a reason, attach documents, send. The portal checks
everything; its message shows in the form and nothing is sent until all of it passes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Input, Label, Select, Static

from portal_core.errors import PortalError
from portal_tui.assets import stylesheet
from portal_tui.display_text import printable
from portal_tui.screens.base import MenuScreen
from portal_tui.screens.claims import field
from portal_tui.screens.members import end_if_expired
from portal_tui.widgets.ticks import TickBox

if TYPE_CHECKING:
    from portal_core.models.claims import UploadFile
    from portal_core.models.providers import ProfileFieldChange, ProviderProfile

FIELDS = [
    ("Phone", "phone"),
    ("Panel status (open / closed)", "panel_status"),
    ("Languages (comma separated)", "languages"),
    ("Primary specialty", "specialty"),
    ("Service location", "location"),
]
"""The fields an administrator may ask to change, as the picker lists them."""

NEW_LOCATION = -1
"""The location picker's value for "add a location"."""


def current_value(profile: ProviderProfile, field_name: str, location_id: int | None) -> str:
    """What the profile holds now for a field."""
    if field_name == "phone":
        return profile.phone or "—"
    if field_name == "panel_status":
        return profile.panel_status
    if field_name == "languages":
        return ", ".join(profile.languages) or "—"
    if field_name == "specialty":
        return f"{profile.specialty} ({profile.taxonomy})"
    for loc in profile.locations:
        if loc.id == location_id:
            return f"{loc.address}, {loc.city}, {loc.state} {loc.zip}" + (
                " (primary)" if loc.primary else ""
            )
    return "(a new location)"


class ProfileUpdateFormScreen(MenuScreen):
    """Ask for changes to one provider's profile."""

    MENU = "providers"
    GUIDE = "providers"
    CSS_PATH = stylesheet("profile_update_form")
    AUTO_FOCUS = "#change-field"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="change_form.cancel"),
        Binding("ctrl+s", "submit", "Send", id="change_form.submit"),
        Binding("f6", "attach", "Attach", id="change_form.attach"),
        Binding("f7", "add_field", "Add field", id="change_form.add_field"),
    ]
    """
    | Key(s) | Id | Description |
    | :- | :- | :- |
    | escape | change_form.cancel | Leave without sending. |
    | ctrl+s | change_form.submit | Send the request (with the field being edited). |
    | f6 | change_form.attach | Attach supporting documents (up to 5). |
    | f7 | change_form.add_field | Keep this field's change and pick another field. |
    """

    def __init__(self, profile: ProviderProfile) -> None:
        super().__init__()
        self.profile = profile
        """The provider the request is for."""
        self.added: list[ProfileFieldChange] = []
        """Changes kept with f7, sent with the one being edited."""
        self.files: list[UploadFile] = []
        """Documents attached."""

    def compose_content(self) -> ComposeResult:
        profile = self.profile
        yield Static(
            printable(f"Change request · {profile.name} · NPI {profile.npi}"),
            classes="screen-title",
            markup=False,
        )
        with VerticalScroll(id="change-body"):
            with Horizontal(classes="field-row"):
                yield Label("Field", classes="field-label")
                yield Select[str](FIELDS, value="phone", allow_blank=False, id="change-field",
                                  compact=True)  # fmt: skip
                if len(profile.updatable_tins) > 1:
                    yield Label("TIN", classes="field-label")
                    yield Select[str](
                        [(f"{t[:2]}-{t[2:]}", t) for t in profile.updatable_tins],
                        value=profile.updatable_tins[0],
                        allow_blank=False,
                        id="change-tin",
                        compact=True,
                    )
            yield Static("", id="change-current", markup=False)
            with Horizontal(classes="field-row", id="change-value-row"):
                yield from field("New ", "change-value", "the new value", 40)
            with VerticalScroll(id="change-location"):
                with Horizontal(classes="field-row"):
                    yield Label("Location", classes="field-label")
                    choices = [("add a new location", NEW_LOCATION)] + [
                        (printable(f"{loc.address}, {loc.city}"), loc.id)
                        for loc in profile.locations
                    ]
                    yield Select[int](choices, value=NEW_LOCATION, allow_blank=False,
                                      id="change-location-id", compact=True)  # fmt: skip
                with Horizontal(classes="field-row"):
                    yield from field("Address", "change-address", "street address", 30)
                    yield from field("City", "change-city", "city", 16)
                with Horizontal(classes="field-row"):
                    yield from field("State", "change-state", "ST", 5)
                    yield from field("ZIP", "change-zip", "ZIP", 11)
                    yield from field("Phone", "change-location-phone", "optional", 14)
                    yield TickBox("Primary", id="change-primary", compact=True)
            with Horizontal(classes="field-row"):
                yield from field("Reason", "change-reason", "why the change (required)", 50)
            yield Static("", id="change-added", markup=False)
            yield Static("", id="change-files", markup=False)
        yield Static(
            "ctrl+s sends · f7 keeps this field and adds another · f6 attaches documents",
            id="change-message",
            markup=False,
        )

    def on_mount(self) -> None:
        self.show_field()

    @property
    def field_name(self) -> str:
        return str(self.query_one("#change-field", Select).value)

    @property
    def location_id(self) -> int | None:
        value = self.query_one("#change-location-id", Select).value
        return None if value in (Select.NULL, NEW_LOCATION) else int(str(value))

    @on(Select.Changed)
    def show_field(self) -> None:
        """Show the chosen field's current value and the inputs it needs."""
        is_location = self.field_name == "location"
        self.query_one("#change-location").display = is_location
        self.query_one("#change-value-row").display = not is_location
        now = current_value(self.profile, self.field_name, self.location_id)
        self.query_one("#change-current", Static).update(printable(f"Now: {now}"))

    def say(self, text: str, error: bool = False) -> None:
        """The message line (red for a problem)."""
        message = self.query_one("#change-message", Static)
        message.update(printable(text))
        message.set_class(error, "error")

    def value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def change_from_form(self) -> ProfileFieldChange:
        """The change being edited (the portal checks it)."""
        from portal_core.models.providers import LocationValue, ProfileFieldChange

        if self.field_name != "location":
            return ProfileFieldChange(field=self.field_name, value=self.value("change-value"))
        return ProfileFieldChange(
            field="location",
            location_id=self.location_id,
            location=LocationValue(
                address=self.value("change-address"),
                city=self.value("change-city"),
                state=self.value("change-state"),
                zip=self.value("change-zip"),
                phone=self.value("change-location-phone"),
                primary=self.query_one("#change-primary", Checkbox).value,
            ),
        )

    def editing_something(self) -> bool:
        """Whether the field being edited holds any input."""
        if self.field_name != "location":
            return bool(self.value("change-value"))
        return any(self.value(f"change-{name}") for name in ("address", "city", "state", "zip"))

    def show_added(self) -> None:
        from portal_core.models.providers import FIELD_LABELS, ProfileField

        labels = [FIELD_LABELS[ProfileField(c.field)] for c in self.added]
        text = f"Also changing: {', '.join(labels)}" if labels else ""
        self.query_one("#change-added", Static).update(printable(text))

    def action_add_field(self) -> None:
        if any(c.field == self.field_name for c in self.added):
            self.say("That field is already in the request.", error=True)
            return
        if not self.editing_something():
            self.say("Type the new value first.", error=True)
            return
        self.added.append(self.change_from_form())
        for box in self.query("#change-body Input").results(Input):
            if box.id != "change-reason":
                box.value = ""
        self.show_added()
        self.say("Kept. Pick the next field, or ctrl+s to send.")
        self.query_one("#change-field", Select).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="change-attach")
    async def action_attach(self) -> None:
        """Pick up to 5 files and read them off the event loop."""
        from portal_tui.modals.upload_files import UploadFilesModal
        from portal_tui.screens.claim_detail import read_uploads

        paths: list[Path] | None = await self.app.push_screen_wait(
            UploadFilesModal(f"Documents supporting the change for {self.profile.name}")
        )
        if not paths:
            return
        try:
            self.files = await asyncio.to_thread(read_uploads, paths)
        except ValueError as error:
            self.say(str(error), error=True)
            return
        except OSError as error:
            self.say(f"A file could not be read: {error.strerror}", error=True)
            return
        names = ", ".join(f.file_name for f in self.files)
        self.query_one("#change-files", Static).update(printable(f"Attached: {names}"))
        self.say(f"{len(self.files)} file(s) attached; they go with the request.")

    def action_submit(self) -> None:
        from portal_core.models.providers import NewProfileUpdate

        changes = list(self.added)
        if self.editing_something() or not changes:
            changes.append(self.change_from_form())
        tin_select = self.query("#change-tin").results(Select)
        tin = next((str(s.value) for s in tin_select), self.profile.updatable_tins[0])
        self.send(
            NewProfileUpdate(
                npi=self.profile.npi,
                tin=tin,
                changes=changes,
                reason=self.value("change-reason"),
                files=self.files,
            )
        )

    @work(exclusive=True, group="change-send")
    async def send(self, request: object) -> None:
        """Send the request; on success show it in place of the form."""
        from portal_core.models.providers import NewProfileUpdate
        from portal_tui.screens.profile_updates import ProfileUpdateDetailScreen

        assert isinstance(request, NewProfileUpdate)
        self.say("Sending…")
        try:
            sent = await self.client.request_profile_update(request)
        except PortalError as error:
            self.say(error.message, error=True)
            end_if_expired(self, error)
            return
        self.notify(f"Change request #{sent.id} sent for approval.")
        self.app.switch_screen(ProfileUpdateDetailScreen(sent.id, sent))
