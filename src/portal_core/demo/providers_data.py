"""Demo provider profiles: service locations, languages and extra specialties for every demo
provider, and a few change requests waiting for `payer.admin` to approve.

Deterministic (its own seeded random source); written after the providers and users exist.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from portal_core.clock import SettableClock
from portal_core.demo.catalog import MAIN_TIN
from portal_core.models.claims import UploadFile
from portal_core.models.identity import Principal
from portal_core.models.providers import LocationValue, NewProfileUpdate, ProfileFieldChange
from portal_core.services.providers import ProviderService
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import (
    provider_languages,
    provider_locations,
    provider_specialties,
    provider_tins,
    providers,
    users,
)

PROFILES_SEED = 5309
"""The random seed of the profile data."""

TIN_PLACES = {
    MAIN_TIN: ("1200 Lakeshore Dr", "Springfield", "IL", "62701", "217-555-0140"),
    "461234568": ("88 Harbor Rd", "Springfield", "IL", "62704", "217-555-0188"),
    "521234567": ("400 Riverbend Pkwy", "Peoria", "IL", "61602", "309-555-0120"),
    "521234568": ("410 Riverbend Pkwy", "Peoria", "IL", "61602", "309-555-0133"),
    "991234567": ("1 Metro Plaza", "Chicago", "IL", "60601", "312-555-0100"),
}
"""Each demo TIN's main office: street, city, state, ZIP, phone."""

SATELLITES = (
    ("25 Oak St", "Decatur", "IL", "62521", "217-555-0191"),
    ("310 Main St", "Champaign", "IL", "61820", "217-555-0177"),
    ("9 Prairie Ave", "Bloomington", "IL", "61701", "309-555-0164"),
    ("77 Elm St", "Evanston", "IL", "60201", "847-555-0150"),
)
"""Second offices some providers also see patients at."""

LANGUAGES = ("Spanish", "Polish", "Mandarin", "Arabic", "Tagalog", "Vietnamese", "French")
"""Languages besides English."""

EXTRA_SPECIALTIES = {
    "Family Medicine": ("Sports Medicine", "207QS0010X"),
    "Internal Medicine": ("Geriatric Medicine", "207QG0300X"),
}
"""Second specialties some providers hold."""


def write_provider_profiles(db: Database, now: datetime) -> int:
    """Locations, languages and extra specialties for every provider; then the pending change
    requests. Returns how many requests were filed."""
    rng = random.Random(PROFILES_SEED)
    with db.write() as conn:
        rows = conn.execute(
            select(providers.c.npi, providers.c.specialty, provider_tins.c.tin)
            .join(provider_tins, provider_tins.c.npi == providers.c.npi)
            .order_by(provider_tins.c.tin, provider_tins.c.start_date, providers.c.npi)
        ).all()
        places: list[dict[str, Any]] = []
        spoken: list[dict[str, Any]] = []
        extra: list[dict[str, Any]] = []
        seen: set[str] = set()
        for npi, specialty, tin in rows:
            if npi in seen:
                continue
            seen.add(npi)
            home = TIN_PLACES.get(tin, SATELLITES[0])
            places.append(_place(npi, home, primary=True))
            if rng.random() < 0.3:
                places.append(_place(npi, rng.choice(SATELLITES), primary=False))
            spoken.append({"npi": npi, "language": "English"})
            for language in rng.sample(LANGUAGES, k=rng.choice((0, 0, 1, 1, 2))):
                spoken.append({"npi": npi, "language": language})
            if specialty in EXTRA_SPECIALTIES and rng.random() < 0.4:
                name, taxonomy = EXTRA_SPECIALTIES[specialty]
                extra.append({"npi": npi, "specialty": name, "taxonomy": taxonomy})
        if places:
            conn.execute(insert(provider_locations), places)
            conn.execute(insert(provider_languages), spoken)
        if extra:
            conn.execute(insert(provider_specialties), extra)
    return _write_requests(db, now)


def _place(npi: str, place: tuple[str, str, str, str, str], *, primary: bool) -> dict[str, Any]:
    address, city, state, zip_code, phone = place
    return {
        "npi": npi,
        "address": address,
        "city": city,
        "state": state,
        "zip": zip_code,
        "phone": phone,
        "is_primary": primary,
    }


def _principal(db: Database, username: str, tin: str) -> Principal | None:
    with db.read() as conn:
        user_id = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
        if user_id is None:
            return None
        return Principal(
            user_id=user_id,
            username=username,
            session_key="demo-seed",
            tin_roles=accounts.active_roles(conn, user_id),
            affiliations=accounts.affiliations(conn, user_id),
            active_tin=tin,
        )


def _current_npis(db: Database, tin: str) -> list[str]:
    with db.read() as conn:
        return list(
            conn.execute(
                select(provider_tins.c.npi)
                .where(provider_tins.c.tin == tin, provider_tins.c.end_date.is_(None))
                .order_by(provider_tins.c.start_date, provider_tins.c.npi)
            ).scalars()
        )


def _write_requests(db: Database, now: datetime) -> int:
    """Four pending requests from two organizations, filed over the last days (the first is at
    the main TIN: the permission tests decide it)."""
    main = _current_npis(db, MAIN_TIN)
    urgent = _current_npis(db, "461234568")
    ortho = _current_npis(db, "521234567")
    rivera = _main_provider(db)
    wanted: list[tuple[str, str, int, NewProfileUpdate]] = [
        (
            "admin.lakeside",
            MAIN_TIN,
            6,
            NewProfileUpdate(
                npi=rivera,
                tin=MAIN_TIN,
                changes=[
                    ProfileFieldChange(field="languages", value="English, Spanish, Portuguese")
                ],
                reason="Dr. Rivera completed her Portuguese medical interpreter certificate.",
            ),
        ),
        (
            "admin.lakeside",
            MAIN_TIN,
            4,
            NewProfileUpdate(
                npi=main[1],
                tin=MAIN_TIN,
                changes=[
                    ProfileFieldChange(
                        field="location",
                        location=LocationValue(
                            address="310 Main St, Suite 4",
                            city="Champaign",
                            state="IL",
                            zip="61820",
                            phone="217-555-0177",
                        ),
                    ),
                    ProfileFieldChange(field="phone", value="217-555-0142"),
                ],
                reason="Opening a Thursday clinic in Champaign; new direct line.",
                files=[
                    UploadFile(
                        file_name="champaign-lease.txt",
                        content=b"Lease for 310 Main St, Suite 4, Champaign IL, from Dec 1.\n",
                    )
                ],
            ),
        ),
        (
            "admin.lakeside",
            "461234568",
            2,
            NewProfileUpdate(
                npi=urgent[0],
                tin="461234568",
                changes=[ProfileFieldChange(field="panel_status", value="open")],
                reason="A second provider joined; we can take new patients again.",
            ),
        ),
        (
            "admin.riverbend",
            "521234567",
            1,
            NewProfileUpdate(
                npi=ortho[0],
                tin="521234567",
                changes=[ProfileFieldChange(field="specialty", value="Sports Medicine")],
                reason="Board certified in sports medicine this fall.",
            ),
        ),
    ]
    filed = 0
    for username, tin, days, request in wanted:
        principal = _principal(db, username, tin)
        if principal is None:
            continue
        service = ProviderService(db, SettableClock(now - timedelta(days=days)))
        request = _adjust(db, request)
        service.request_profile_update(principal, request)
        filed += 1
    return filed


def _main_provider(db: Database) -> str:
    with db.read() as conn:
        return str(
            conn.execute(
                select(providers.c.npi).where(providers.c.name == "Dr. Elena Rivera")
            ).scalar_one()
        )


def _adjust(db: Database, request: NewProfileUpdate) -> NewProfileUpdate:
    """Make a panel-status request ask for the status the provider does not have now."""
    change = request.changes[0]
    if change.field != "panel_status":
        return request
    with db.read() as conn:
        current = conn.execute(
            select(providers.c.panel_status).where(providers.c.npi == request.npi)
        ).scalar_one()
    flipped = "closed" if current == "open" else "open"
    return request.model_copy(update={"changes": [change.model_copy(update={"value": flipped})]})
