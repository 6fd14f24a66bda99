"""Provider profiles: directory search, a provider's profile, and the change requests an
administrator files and a payer administrator decides field by field."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from portal_core.models.claims import UploadFile
from portal_core.models.documents import DocumentSummary


class ProfileField(StrEnum):
    """The profile fields an administrator may ask to change."""

    PHONE = "phone"
    PANEL_STATUS = "panel_status"
    LANGUAGES = "languages"
    SPECIALTY = "specialty"
    LOCATION = "location"

    @property
    def label(self) -> str:
        return FIELD_LABELS[self]


FIELD_LABELS = {
    ProfileField.PHONE: "Phone",
    ProfileField.PANEL_STATUS: "Panel status",
    ProfileField.LANGUAGES: "Languages",
    ProfileField.SPECIALTY: "Primary specialty",
    ProfileField.LOCATION: "Service location",
}
"""What the screens call each field."""

REQUEST_STATUSES = ("pending", "approved", "rejected", "partly_approved")
"""Where a change request stands."""


class ProviderSearch(BaseModel):
    """A directory search: any mix of the criteria (none lists every provider, by name)."""

    npi: str | None = None
    name: str | None = None
    """Part of the name, any case."""
    specialty: str | None = None
    """Part of a specialty (primary or additional), any case."""
    city: str | None = None
    state: str | None = None
    """Two letters."""
    zip: str | None = None
    """Five digits (or the start of them)."""
    plan_id: str | None = None
    """In network for this plan today."""
    accepting_new_patients: bool | None = None
    """True: open panels only; False: closed panels only."""


class ProviderSummary(BaseModel):
    """A provider in a search result."""

    npi: str
    name: str
    kind: str
    specialty: str
    phone: str
    panel_status: str
    city: str = ""
    """Of the primary location, when there is one."""
    state: str = ""
    zip: str = ""


class ProviderLocation(BaseModel):
    """A place the provider sees patients."""

    id: int
    address: str
    city: str
    state: str
    zip: str
    phone: str
    primary: bool


class ProviderSpecialty(BaseModel):
    """A specialty with its taxonomy code."""

    specialty: str
    taxonomy: str
    primary: bool


class TinAffiliation(BaseModel):
    """A Tax ID the provider bills under, with dates."""

    tin: str
    tin_name: str
    start_date: date
    end_date: date | None


class NetworkSpan(BaseModel):
    """Participation in one plan's network, with dates."""

    plan_id: str
    plan_name: str
    product_line: str
    start_date: date
    end_date: date | None
    active: bool
    """In network today."""


class ProviderProfile(BaseModel):
    """Everything the directory holds about a provider."""

    npi: str
    name: str
    kind: str
    specialty: str
    taxonomy: str
    phone: str
    panel_status: str
    specialties: list[ProviderSpecialty] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    locations: list[ProviderLocation] = Field(default_factory=list)
    affiliations: list[TinAffiliation] = Field(default_factory=list)
    networks: list[NetworkSpan] = Field(default_factory=list)
    pending_fields: list[str] = Field(default_factory=list)
    """Fields with a change request waiting for approval."""
    updatable_tins: list[str] = Field(default_factory=list)
    """TINs at which the signed-in user may request changes (they administer it and the provider
    is affiliated with it); empty for everyone else."""


class LocationValue(BaseModel):
    """A service location as typed into a change request."""

    address: str
    city: str
    state: str
    zip: str
    phone: str = ""
    primary: bool = False


class ProfileFieldChange(BaseModel):
    """One field's new value.

    `value` carries phone, panel status (`open`/`closed`), a specialty from the list, or languages
    separated by commas; a location change carries `location` (and `location_id` to change an
    existing location; without it the location is added).
    """

    field: str
    value: str = ""
    location: LocationValue | None = None
    location_id: int | None = None


class NewProfileUpdate(BaseModel):
    """An administrator's change request for one provider."""

    npi: str
    tin: str
    """The administrator's TIN the provider is affiliated with."""
    changes: list[ProfileFieldChange]
    reason: str
    files: list[UploadFile] = Field(default_factory=list)
    """Supporting documents (up to 5, checked like every upload)."""


class ProfileChange(BaseModel):
    """One field of a request: its value then and asked for, and the decision on it."""

    id: int
    field: str
    label: str
    location_id: int | None
    old_value: str
    new_value: str
    decision: str | None
    """approved | rejected, once decided."""


class ProfileUpdateRequest(BaseModel):
    """A change request with its fields, documents and decision."""

    id: int
    npi: str
    provider_name: str
    tin: str
    requested_by: str
    """The requester's name."""
    requested_at: datetime
    reason: str
    status: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str | None = None
    changes: list[ProfileChange] = Field(default_factory=list)
    documents: list[DocumentSummary] = Field(default_factory=list)


class ProfileUpdateDecision(BaseModel):
    """A payer administrator's decision: the whole request (`approve`), or field by field.

    When `changes` is given it names every change of the request (change id to True for approve,
    False for reject) and `approve` is ignored. A rejection needs a `note`.
    """

    approve: bool = True
    changes: dict[int, bool] = Field(default_factory=dict)
    note: str = ""
