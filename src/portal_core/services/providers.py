"""Provider profiles: the directory search, a provider's profile, and change requests.

Directory data is not PHI: every role may search and read it. Only an administrator of a Tax ID
the provider works under may ask for a change, field by field with supporting documents; only a
payer administrator decides, per field or for the whole request. Approved changes apply to the
provider in the same transaction as the decision, audited with their before and after values, and
the requester is notified.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from portal_core.clock import Clock
from portal_core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal_core.models.common import Page
from portal_core.models.documents import DocumentSummary
from portal_core.models.identity import Principal, Role
from portal_core.models.providers import (
    REQUEST_STATUSES,
    LocationValue,
    NetworkSpan,
    NewProfileUpdate,
    ProfileChange,
    ProfileField,
    ProfileFieldChange,
    ProfileUpdateDecision,
    ProfileUpdateRequest,
    ProviderLocation,
    ProviderProfile,
    ProviderSearch,
    ProviderSpecialty,
    ProviderSummary,
    TinAffiliation,
)
from portal_core.rules.identifiers import parse_npi, parse_tin
from portal_core.rules.permissions import Action, allowed
from portal_core.rules.provider_fields import (
    parse_languages,
    parse_panel_status,
    parse_phone,
    parse_specialty,
    parse_state,
    parse_zip,
    required_text,
)
from portal_core.rules.uploads import check_submission, safe_file_name
from portal_core.services import audit, keyset
from portal_core.services.documents import file_document
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import (
    documents,
    network_participation,
    plans,
    profile_update_changes,
    profile_update_requests,
    provider_languages,
    provider_locations,
    provider_specialties,
    provider_tins,
    providers,
    tins,
    users,
)

MAX_PAGE = 200
"""Largest page a list returns."""

MAX_REASON = 2000
"""Longest reason or decision note."""

MAX_CHANGES = 10
"""Fields in one request."""

_LINK = "profile_update"
"""How documents and notifications point at a request."""


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def location_text(address: str, city: str, state: str, zip_code: str, phone: str) -> str:
    """A location on one line, as the approver compares it."""
    text = f"{address}, {city}, {state} {zip_code}"
    return f"{text} · {phone}" if phone else text


def _affiliated(conn: Connection, npi: str, tin: str, today: date) -> bool:
    """Whether the provider works under `tin` today."""
    return bool(
        conn.execute(
            select(
                exists().where(
                    provider_tins.c.npi == npi,
                    provider_tins.c.tin == tin,
                    provider_tins.c.start_date <= today,
                    or_(provider_tins.c.end_date.is_(None), provider_tins.c.end_date > today),
                )
            )
        ).scalar()
    )


def _administers(principal: Principal, tin: str, now: datetime) -> bool:
    return principal.tin_roles.get(tin) is Role.ADMINISTRATOR and allowed(
        principal, Action.REQUEST_PROFILE_UPDATE, tin, now
    )


class _Normalized:
    """A change checked against the provider's current values."""

    def __init__(
        self,
        field: ProfileField,
        old: str,
        new: str,
        data: dict[str, Any],
        location_id: int | None = None,
    ) -> None:
        self.field = field
        self.old = old
        self.new = new
        self.data = data
        self.location_id = location_id


class ProviderService:
    """Directory search, profiles, change requests and their approval."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        """The database."""
        self.clock = clock
        """The time source."""

    # -- search and profile ------------------------------------------------------------------------
    def search_providers(
        self,
        principal: Principal,
        query: ProviderSearch,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[ProviderSummary]:
        """Providers matching every criterion given, by name; the total on the first page."""
        now = audit.require_or_refuse(
            self.db, self.clock, principal, Action.READ_PROVIDERS, "providers.search"
        )
        conditions = self._search_conditions(query, now.date())
        primary = provider_locations.alias("primary_location")
        base = (
            select(
                providers,
                primary.c.city,
                primary.c.state,
                primary.c.zip,
            )
            .select_from(
                providers.outerjoin(
                    primary, and_(primary.c.npi == providers.c.npi, primary.c.is_primary)
                )
            )
            .where(*conditions)
        )
        position = keyset.seek(after, (providers.c.name, providers.c.npi), descending=False)
        page_query = base.where(*position.where([]))
        size = _limit(limit)
        with self.db.read() as conn:
            rows, cursor = position.page(
                conn.execute(page_query.order_by(*position.order).limit(size + 1)).mappings().all(),
                size,
            )
            total = None
            if after is None:
                counted = select(func.count()).select_from(providers).where(*conditions)
                total = int(conn.execute(counted).scalar_one())
        items = [
            ProviderSummary(
                npi=row["npi"],
                name=row["name"],
                kind=row["kind"],
                specialty=row["specialty"],
                phone=row["phone"],
                panel_status=row["panel_status"],
                city=row["city"] or "",
                state=row["state"] or "",
                zip=row["zip"] or "",
            )
            for row in rows
        ]
        return Page(items=items, next_cursor=cursor, total=total)

    def _search_conditions(self, query: ProviderSearch, today: date) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if query.npi and query.npi.strip():
            conditions.append(providers.c.npi == parse_npi(query.npi))
        if query.name and query.name.strip():
            conditions.append(func.lower(providers.c.name).contains(query.name.strip().lower()))
        if query.specialty and query.specialty.strip():
            wanted = query.specialty.strip().lower()
            conditions.append(
                or_(
                    func.lower(providers.c.specialty).contains(wanted),
                    exists().where(
                        provider_specialties.c.npi == providers.c.npi,
                        func.lower(provider_specialties.c.specialty).contains(wanted),
                    ),
                )
            )
        place: list[ColumnElement[bool]] = []
        if query.city and query.city.strip():
            place.append(func.lower(provider_locations.c.city) == query.city.strip().lower())
        if query.state and query.state.strip():
            place.append(provider_locations.c.state == parse_state(query.state))
        if query.zip and query.zip.strip():
            typed = query.zip.strip()
            if not (typed.isdigit() and 3 <= len(typed) <= 5):
                raise ValidationFailed("Search by the ZIP code's first 3 to 5 digits.", field="zip")
            place.append(provider_locations.c.zip.startswith(typed))
        if place:
            conditions.append(exists().where(provider_locations.c.npi == providers.c.npi, *place))
        if query.plan_id and query.plan_id.strip():
            conditions.append(
                exists().where(
                    network_participation.c.npi == providers.c.npi,
                    network_participation.c.plan_id == query.plan_id.strip(),
                    network_participation.c.start_date <= today,
                    or_(
                        network_participation.c.end_date.is_(None),
                        network_participation.c.end_date >= today,
                    ),
                )
            )
        if query.accepting_new_patients is not None:
            wanted_status = "open" if query.accepting_new_patients else "closed"
            conditions.append(providers.c.panel_status == wanted_status)
        return conditions

    def get_provider(self, principal: Principal, npi: str) -> ProviderProfile:
        """A provider's profile: affiliations, locations, specialties, languages, networks."""
        now = audit.require_or_refuse(
            self.db, self.clock, principal, Action.READ_PROVIDERS, "providers.read"
        )
        npi = parse_npi(npi)
        with self.db.read() as conn:
            return self._profile(conn, principal, npi, now)

    def _profile(
        self, conn: Connection, principal: Principal, npi: str, now: datetime
    ) -> ProviderProfile:
        row = conn.execute(select(providers).where(providers.c.npi == npi)).mappings().first()
        if row is None:
            raise NotFound("No provider in the directory has that NPI.")
        today = now.date()
        specialties = [ProviderSpecialty(specialty=row["specialty"], taxonomy=row["taxonomy"],
                                         primary=True)]  # fmt: skip
        for extra in conn.execute(
            select(provider_specialties)
            .where(provider_specialties.c.npi == npi)
            .order_by(provider_specialties.c.specialty)
        ).mappings():
            specialties.append(
                ProviderSpecialty(
                    specialty=extra["specialty"], taxonomy=extra["taxonomy"], primary=False
                )
            )
        languages = list(
            conn.execute(
                select(provider_languages.c.language)
                .where(provider_languages.c.npi == npi)
                .order_by(provider_languages.c.language)
            ).scalars()
        )
        locations = [
            ProviderLocation(
                id=loc["id"],
                address=loc["address"],
                city=loc["city"],
                state=loc["state"],
                zip=loc["zip"],
                phone=loc["phone"],
                primary=loc["is_primary"],
            )
            for loc in conn.execute(
                select(provider_locations)
                .where(provider_locations.c.npi == npi)
                .order_by(provider_locations.c.is_primary.desc(), provider_locations.c.id)
            ).mappings()
        ]
        affiliations = [
            TinAffiliation(
                tin=link["tin"],
                tin_name=link["name"],
                start_date=link["start_date"],
                end_date=link["end_date"],
            )
            for link in conn.execute(
                select(provider_tins, tins.c.name)
                .join(tins, tins.c.tin == provider_tins.c.tin)
                .where(provider_tins.c.npi == npi)
                .order_by(provider_tins.c.start_date, provider_tins.c.tin)
            ).mappings()
        ]
        networks = [
            NetworkSpan(
                plan_id=span["plan_id"],
                plan_name=span["name"],
                product_line=span["product_line"],
                start_date=span["start_date"],
                end_date=span["end_date"],
                active=span["start_date"] <= today
                and (span["end_date"] is None or span["end_date"] >= today),
            )
            for span in conn.execute(
                select(network_participation, plans.c.name, plans.c.product_line)
                .join(plans, plans.c.plan_id == network_participation.c.plan_id)
                .where(network_participation.c.npi == npi)
                .order_by(network_participation.c.plan_id, network_participation.c.start_date)
            ).mappings()
        ]
        pending = sorted(
            set(
                conn.execute(
                    select(profile_update_changes.c.field)
                    .join(
                        profile_update_requests,
                        profile_update_requests.c.id == profile_update_changes.c.request_id,
                    )
                    .where(
                        profile_update_requests.c.npi == npi,
                        profile_update_requests.c.status == "pending",
                    )
                ).scalars()
            )
        )
        updatable = [
            link.tin
            for link in affiliations
            if _administers(principal, link.tin, now)
            and link.start_date <= today
            and (link.end_date is None or link.end_date > today)
        ]
        return ProviderProfile(
            npi=npi,
            name=row["name"],
            kind=row["kind"],
            specialty=row["specialty"],
            taxonomy=row["taxonomy"],
            phone=row["phone"],
            panel_status=row["panel_status"],
            specialties=specialties,
            languages=languages,
            locations=locations,
            affiliations=affiliations,
            networks=networks,
            pending_fields=pending,
            updatable_tins=updatable,
        )

    # -- change requests ---------------------------------------------------------------------------
    def request_profile_update(
        self, principal: Principal, request: NewProfileUpdate
    ) -> ProfileUpdateRequest:
        """File a change request for one provider (an administrator of one of its TINs)."""
        audit_action = "providers.profile_update.request"
        now = audit.require_or_refuse(
            self.db, self.clock, principal, Action.REQUEST_PROFILE_UPDATE, audit_action
        )
        npi = parse_npi(request.npi)
        tin = parse_tin(request.tin)
        with self.db.read() as conn:
            in_scope = _administers(principal, tin, now) and _affiliated(conn, npi, tin, now.date())
        if not in_scope:
            audit.record_refusal(
                self.db, now, principal, audit_action, tin=tin, record_kind="provider",
                record_id=npi,
            )  # fmt: skip
            raise PermissionDenied(
                "Only an administrator of a Tax ID this provider works under can request changes."
            )
        reason = required_text(request.reason, "reason", "reason for the change", MAX_REASON)
        if not request.changes:
            raise ValidationFailed("Choose at least one field to change.", field="changes")
        if len(request.changes) > MAX_CHANGES:
            raise ValidationFailed(f"Change at most {MAX_CHANGES} fields at once.", field="changes")
        media_types = (
            check_submission([(f.file_name, f.content) for f in request.files])
            if request.files
            else []
        )
        with self.db.write() as conn:
            normalized = self._normalize_all(conn, npi, request.changes)
            waiting = set(
                conn.execute(
                    select(profile_update_changes.c.field)
                    .join(
                        profile_update_requests,
                        profile_update_requests.c.id == profile_update_changes.c.request_id,
                    )
                    .where(
                        profile_update_requests.c.npi == npi,
                        profile_update_requests.c.status == "pending",
                    )
                ).scalars()
            )
            for change in normalized:
                if change.field.value in waiting:
                    raise Conflict(
                        f"A change to the {change.field.label.lower()} of this provider is already"
                        " waiting for approval."
                    )
            request_id = int(
                conn.execute(
                    insert(profile_update_requests)
                    .values(
                        npi=npi,
                        tin=tin,
                        requested_by=principal.user_id,
                        requested_at=now,
                        reason=reason,
                        status="pending",
                    )
                    .returning(profile_update_requests.c.id)
                ).scalar_one()
            )
            conn.execute(
                insert(profile_update_changes),
                [
                    {
                        "request_id": request_id,
                        "field": change.field.value,
                        "location_id": change.location_id,
                        "old_value": change.old,
                        "new_value": change.new,
                        "new_data": change.data,
                        "decision": None,
                    }
                    for change in normalized
                ],
            )
            for upload, media_type in zip(request.files, media_types, strict=True):
                file_document(
                    conn,
                    kind="upload",
                    tin=tin,
                    file_name=safe_file_name(upload.file_name),
                    media_type=media_type,
                    content=upload.content,
                    at=now,
                    created_by=principal.user_id,
                    linked_kind=_LINK,
                    linked_id=request_id,
                )
            audit.record(
                conn,
                at=now,
                action=audit_action,
                principal=principal,
                tin=tin,
                record_kind=_LINK,
                record_id=request_id,
                detail={
                    "npi": npi,
                    "fields": [c.field.value for c in normalized],
                    "documents": len(request.files),
                },
            )
            return self._requests(conn, [request_id])[0]

    def _normalize_all(
        self, conn: Connection, npi: str, changes: Sequence[ProfileFieldChange]
    ) -> list[_Normalized]:
        row = conn.execute(select(providers).where(providers.c.npi == npi)).mappings().one()
        seen: set[ProfileField] = set()
        found: list[_Normalized] = []
        for change in changes:
            try:
                field = ProfileField(change.field.strip().lower())
            except ValueError:
                raise ValidationFailed(
                    "Only the phone, panel status, languages, primary specialty or a service"
                    " location can be changed here.",
                    field="field",
                ) from None
            if field in seen:
                raise ValidationFailed(
                    f"The {field.label.lower()} is listed twice; change it once.", field="field"
                )
            seen.add(field)
            found.append(self._normalize(conn, row, field, change))
        return found

    def _normalize(
        self, conn: Connection, row: Any, field: ProfileField, change: ProfileFieldChange
    ) -> _Normalized:
        label = field.label.lower()
        if field is not ProfileField.LOCATION and not change.value.strip():
            raise ValidationFailed(f"Enter the new {label}.", field=field.value)
        unchanged = ValidationFailed(
            f"The new {label} is the same as the current one; nothing to change.",
            field=field.value,
        )
        if field is ProfileField.PHONE:
            phone = parse_phone(change.value)
            if phone == row["phone"]:
                raise unchanged
            return _Normalized(field, row["phone"], phone, {"phone": phone})
        if field is ProfileField.PANEL_STATUS:
            status = parse_panel_status(change.value)
            if status == row["panel_status"]:
                raise unchanged
            return _Normalized(field, row["panel_status"], status, {"panel_status": status})
        if field is ProfileField.SPECIALTY:
            specialty, taxonomy = parse_specialty(change.value)
            if specialty == row["specialty"]:
                raise unchanged
            old = f"{row['specialty']} ({row['taxonomy']})" if row["taxonomy"] else row["specialty"]
            return _Normalized(
                field,
                old,
                f"{specialty} ({taxonomy})",
                {"specialty": specialty, "taxonomy": taxonomy},
            )
        if field is ProfileField.LANGUAGES:
            languages = parse_languages(change.value)
            current = sorted(
                conn.execute(
                    select(provider_languages.c.language).where(
                        provider_languages.c.npi == row["npi"]
                    )
                ).scalars()
            )
            if sorted(lang.lower() for lang in languages) == sorted(c.lower() for c in current):
                raise unchanged
            return _Normalized(
                field, ", ".join(current), ", ".join(languages), {"languages": languages}
            )
        return self._normalize_location(conn, row["npi"], change, unchanged)

    def _normalize_location(
        self, conn: Connection, npi: str, change: ProfileFieldChange, unchanged: ValidationFailed
    ) -> _Normalized:
        given = change.location
        if given is None:
            raise ValidationFailed("Enter the location's address.", field="address")
        value = LocationValue(
            address=required_text(given.address, "address", "street address", 200),
            city=required_text(given.city, "city", "city", 100),
            state=parse_state(given.state) if given.state.strip() else "",
            zip=parse_zip(given.zip) if given.zip.strip() else "",
            phone=parse_phone(given.phone, "location_phone") if given.phone.strip() else "",
            primary=given.primary,
        )
        if not value.state:
            raise ValidationFailed("Enter the state.", field="state")
        if not value.zip:
            raise ValidationFailed("Enter the ZIP code.", field="zip")
        new_text = location_text(value.address, value.city, value.state, value.zip, value.phone)
        if value.primary:
            new_text += " (primary)"
        old_text = "(a new location)"
        if change.location_id is not None:
            current = (
                conn.execute(
                    select(provider_locations).where(
                        provider_locations.c.id == change.location_id,
                        provider_locations.c.npi == npi,
                    )
                )
                .mappings()
                .first()
            )
            if current is None:
                raise ValidationFailed(
                    "That location is not one of this provider's.", field="location_id"
                )
            old_text = location_text(
                current["address"], current["city"], current["state"], current["zip"],
                current["phone"],
            )  # fmt: skip
            if current["is_primary"]:
                old_text += " (primary)"
            if old_text == new_text:
                raise unchanged
        return _Normalized(
            ProfileField.LOCATION,
            old_text,
            new_text,
            value.model_dump(),
            change.location_id,
        )

    def profile_update_requests(
        self,
        principal: Principal,
        status: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> Page[ProfileUpdateRequest]:
        """Payer administrators: every request, oldest first (the approval queue).
        Administrators: their TINs' requests, newest first."""
        now = self.clock.now()
        approver = allowed(principal, Action.APPROVE_PROFILE_UPDATE, None, now)
        admin_tins = sorted(t for t in principal.tin_roles if _administers(principal, t, now))
        if not approver and not admin_tins:
            audit.record_refusal(self.db, now, principal, "providers.profile_update.list")
            raise PermissionDenied("Your role does not allow this.")
        if status is not None and status not in REQUEST_STATUSES:
            raise ValidationFailed(
                "Status is pending, approved, rejected or partly_approved.", field="status"
            )
        table = profile_update_requests
        conditions: list[ColumnElement[bool]] = []
        if not approver:
            conditions.append(table.c.tin.in_(admin_tins))
        if status is not None:
            conditions.append(table.c.status == status)
        position = keyset.seek(after, (table.c.id,), descending=not approver)
        query = select(table.c.id).where(*position.where(conditions))
        size = _limit(limit)
        with self.db.read() as conn:
            fetched = list(conn.execute(query.order_by(*position.order).limit(size + 1)).scalars())
            ids, cursor = position.page(fetched, size, key=lambda i: (i,))
            total = None
            if after is None:
                counted = select(func.count()).select_from(table).where(*conditions)
                total = int(conn.execute(counted).scalar_one())
            items = self._requests(conn, ids)
        return Page(items=items, next_cursor=cursor, total=total)

    def get_profile_update(self, principal: Principal, request_id: int) -> ProfileUpdateRequest:
        """One change request: its TIN's administrators and payer administrators only."""
        now = self.clock.now()
        audit_action = "providers.profile_update.read"
        approver = allowed(principal, Action.APPROVE_PROFILE_UPDATE, None, now)
        if not approver and not allowed(principal, Action.REQUEST_PROFILE_UPDATE, None, now):
            audit.record_refusal(
                self.db, now, principal, audit_action, record_kind=_LINK, record_id=request_id
            )
            raise PermissionDenied("Your role does not allow this.")
        with self.db.read() as conn:
            tin = conn.execute(
                select(profile_update_requests.c.tin).where(
                    profile_update_requests.c.id == request_id
                )
            ).scalar()
            if tin is not None and (approver or _administers(principal, tin, now)):
                return self._requests(conn, [request_id])[0]
        audit.record_refusal(
            self.db, now, principal, audit_action, record_kind=_LINK, record_id=request_id
        )
        raise NotFound("No such change request.")

    def decide_profile_update(
        self, principal: Principal, request_id: int, decision: ProfileUpdateDecision
    ) -> ProfileUpdateRequest:
        """Approve or reject a pending request, whole or per field; approved fields apply now."""
        audit_action = "providers.profile_update.decide"
        now = audit.require_or_refuse(
            self.db, self.clock, principal, Action.APPROVE_PROFILE_UPDATE, audit_action
        )
        note = " ".join(decision.note.split())
        if len(note) > MAX_REASON:
            raise ValidationFailed(f"Keep the note under {MAX_REASON} characters.", field="note")
        with self.db.write() as conn:
            request = (
                conn.execute(
                    select(profile_update_requests).where(
                        profile_update_requests.c.id == request_id
                    )
                )
                .mappings()
                .first()
            )
            if request is None:
                raise NotFound("No such change request.")
            if request["status"] != "pending":
                raise Conflict("This request was already decided.")
            changes = (
                conn.execute(
                    select(profile_update_changes)
                    .where(profile_update_changes.c.request_id == request_id)
                    .order_by(profile_update_changes.c.id)
                )
                .mappings()
                .all()
            )
            verdicts = self._verdicts(changes, decision)
            if not all(verdicts.values()) and not note:
                raise ValidationFailed("Say in a note why a change is rejected.", field="note")
            for change in changes:
                approved = verdicts[change["id"]]
                conn.execute(
                    update(profile_update_changes)
                    .where(profile_update_changes.c.id == change["id"])
                    .values(decision="approved" if approved else "rejected")
                )
                if approved:
                    before, after = self._apply(conn, request["npi"], change)
                    audit.record(
                        conn,
                        at=now,
                        action="providers.profile.change",
                        principal=principal,
                        tin=request["tin"],
                        record_kind="provider",
                        record_id=request["npi"],
                        detail={
                            "request_id": request_id,
                            "field": change["field"],
                            "before": before,
                            "after": after,
                        },
                    )
            if all(verdicts.values()):
                status = "approved"
            elif not any(verdicts.values()):
                status = "rejected"
            else:
                status = "partly_approved"
            conn.execute(
                update(profile_update_requests)
                .where(profile_update_requests.c.id == request_id)
                .values(
                    status=status, decided_by=principal.user_id, decided_at=now,
                    decision_note=note or None,
                )
            )  # fmt: skip
            audit.record(
                conn,
                at=now,
                action=audit_action,
                principal=principal,
                tin=request["tin"],
                record_kind=_LINK,
                record_id=request_id,
                reason=note or None,
                detail={
                    "npi": request["npi"],
                    "status": status,
                    "approved": [c["field"] for c in changes if verdicts[c["id"]]],
                    "rejected": [c["field"] for c in changes if not verdicts[c["id"]]],
                },
            )
            name = conn.execute(
                select(providers.c.name).where(providers.c.npi == request["npi"])
            ).scalar_one()
            words = {"approved": "approved", "rejected": "rejected",
                     "partly_approved": "partly approved"}[status]  # fmt: skip
            accounts.notify(
                conn,
                request["requested_by"],
                "decision",
                f"Profile change request #{request_id} for {name} was {words}."[:300],
                now,
                link_kind=_LINK,
                link_id=request_id,
            )
            return self._requests(conn, [request_id])[0]

    @staticmethod
    def _verdicts(changes: Sequence[Any], decision: ProfileUpdateDecision) -> dict[int, bool]:
        ids = {c["id"] for c in changes}
        if not decision.changes:
            return dict.fromkeys(ids, decision.approve)
        if set(decision.changes) != ids:
            raise ValidationFailed(
                "Decide every field of the request, and only those.", field="changes"
            )
        return {change_id: bool(decision.changes[change_id]) for change_id in ids}

    def _apply(self, conn: Connection, npi: str, change: Any) -> tuple[str, str]:
        """Apply one approved change; its value before and after, as text."""
        data: dict[str, Any] = change["new_data"]
        field = ProfileField(change["field"])
        row = conn.execute(select(providers).where(providers.c.npi == npi)).mappings().one()
        where = providers.c.npi == npi
        if field is ProfileField.PHONE:
            conn.execute(update(providers).where(where).values(phone=data["phone"]))
            return row["phone"], data["phone"]
        if field is ProfileField.PANEL_STATUS:
            conn.execute(update(providers).where(where).values(panel_status=data["panel_status"]))
            return row["panel_status"], data["panel_status"]
        if field is ProfileField.SPECIALTY:
            conn.execute(
                update(providers)
                .where(where)
                .values(specialty=data["specialty"], taxonomy=data["taxonomy"])
            )
            return (
                f"{row['specialty']} ({row['taxonomy']})",
                f"{data['specialty']} ({data['taxonomy']})",
            )
        if field is ProfileField.LANGUAGES:
            before = sorted(
                conn.execute(
                    select(provider_languages.c.language).where(provider_languages.c.npi == npi)
                ).scalars()
            )
            conn.execute(delete(provider_languages).where(provider_languages.c.npi == npi))
            conn.execute(
                insert(provider_languages),
                [{"npi": npi, "language": language} for language in data["languages"]],
            )
            return ", ".join(before), ", ".join(data["languages"])
        return self._apply_location(conn, npi, change["location_id"], LocationValue(**data))

    @staticmethod
    def _apply_location(
        conn: Connection, npi: str, location_id: int | None, value: LocationValue
    ) -> tuple[str, str]:
        others = (
            conn.execute(select(provider_locations).where(provider_locations.c.npi == npi))
            .mappings()
            .all()
        )
        primary = value.primary or not others
        if primary:
            conn.execute(
                update(provider_locations)
                .where(provider_locations.c.npi == npi)
                .values(is_primary=False)
            )
        fields = {
            "address": value.address,
            "city": value.city,
            "state": value.state,
            "zip": value.zip,
            "phone": value.phone,
        }
        after = location_text(value.address, value.city, value.state, value.zip, value.phone)
        current = next((o for o in others if o["id"] == location_id), None)
        if current is None:
            conn.execute(insert(provider_locations).values(npi=npi, is_primary=primary, **fields))
            return "", after
        conn.execute(
            update(provider_locations)
            .where(provider_locations.c.id == location_id)
            .values(is_primary=primary or current["is_primary"], **fields)
        )
        before = location_text(
            current["address"], current["city"], current["state"], current["zip"],
            current["phone"],
        )  # fmt: skip
        return before, after

    def _requests(self, conn: Connection, ids: Sequence[int]) -> list[ProfileUpdateRequest]:
        """Requests by id, in the order given, with their changes and documents."""
        if not ids:
            return []
        requester = users.alias("requester")
        decider = users.alias("decider")
        table = profile_update_requests
        rows = {
            row["id"]: row
            for row in conn.execute(
                select(
                    table,
                    providers.c.name.label("provider_name"),
                    requester.c.full_name.label("requester_name"),
                    decider.c.full_name.label("decider_name"),
                )
                .select_from(
                    table.join(providers, providers.c.npi == table.c.npi)
                    .join(requester, requester.c.id == table.c.requested_by)
                    .outerjoin(decider, decider.c.id == table.c.decided_by)
                )
                .where(table.c.id.in_(ids))
            ).mappings()
        }
        changes: dict[int, list[ProfileChange]] = {i: [] for i in ids}
        for change in conn.execute(
            select(profile_update_changes)
            .where(profile_update_changes.c.request_id.in_(ids))
            .order_by(profile_update_changes.c.id)
        ).mappings():
            changes[change["request_id"]].append(
                ProfileChange(
                    id=change["id"],
                    field=change["field"],
                    label=ProfileField(change["field"]).label,
                    location_id=change["location_id"],
                    old_value=change["old_value"],
                    new_value=change["new_value"],
                    decision=change["decision"],
                )
            )
        docs: dict[int, list[DocumentSummary]] = {i: [] for i in ids}
        summary_columns = [c for c in documents.c if c.name != "content"]
        for doc in conn.execute(
            select(*summary_columns)
            .where(
                documents.c.linked_kind == _LINK,
                documents.c.linked_id.in_([str(i) for i in ids]),
            )
            .order_by(documents.c.id)
        ).mappings():
            docs[int(doc["linked_id"])].append(
                DocumentSummary(**{k: v for k, v in doc.items() if k != "created_by"})
            )
        return [
            ProfileUpdateRequest(
                id=rows[i]["id"],
                npi=rows[i]["npi"],
                provider_name=rows[i]["provider_name"],
                tin=rows[i]["tin"],
                requested_by=rows[i]["requester_name"],
                requested_at=rows[i]["requested_at"],
                reason=rows[i]["reason"],
                status=rows[i]["status"],
                decided_by=rows[i]["decider_name"],
                decided_at=rows[i]["decided_at"],
                decision_note=rows[i]["decision_note"],
                changes=changes[i],
                documents=docs[i],
            )
            for i in ids
            if i in rows
        ]
