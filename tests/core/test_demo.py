"""The demo data: deterministic, every demo sign-in works, identifiers valid, the review is open."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from portal_core.clock import SettableClock
from portal_core.demo import DEMO_PASSWORD, DEMO_SIGN_INS, Scale, is_empty, seed
from portal_core.demo.catalog import (
    LARGE_SIGN_IN,
    LARGE_TIN,
    LARGE_USERS,
    LEGACY_PASSWORD,
    LEGACY_USERNAMES,
    LOCKED_USERNAME,
    MAIN_TIN,
    PENDING_USERNAME,
    SMALL_TINS,
    TWIN_EMAIL,
    TWIN_USERNAMES,
)
from portal_core.errors import AuthenticationFailed, Conflict, MigrationRequired
from portal_core.rules.identifiers import is_valid_npi
from portal_core.rules.passwords import verify_password
from portal_core.services import Services
from portal_core.store.engine import Database
from portal_core.store.schema import (
    metadata,
    provider_tins,
    providers,
    review_campaigns,
    review_items,
    tins,
    user_roles,
    users,
)

SALTED = {"password_hash", "registration_code_hash"}
"""Columns that differ run to run by design: Argon2id salts every hash."""


def _dump(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order, salted hashes left out."""
    dump: dict[str, list[dict[str, Any]]] = {}
    with db.read() as conn:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*order)).mappings()
            dump[table.name] = [{k: v for k, v in row.items() if k not in SALTED} for row in rows]
    return dump


@pytest.fixture
def seeded(db: Database, clock: SettableClock) -> Database:
    seed(db, Scale.SMALL, clock)
    return db


def test_two_seeds_write_identical_rows(
    seeded: Database, clock: SettableClock, migrated_template: Path, tmp_path: Path
) -> None:
    other_path = tmp_path / "other.sqlite3"
    shutil.copyfile(migrated_template, other_path)
    other = Database(f"sqlite:///{other_path}")
    try:
        seed(other, Scale.SMALL, SettableClock(clock.now()))
        first, second = _dump(seeded), _dump(other)
    finally:
        other.dispose()
    assert first["users"], "the demo wrote no users"
    for name in first:
        assert first[name] == second[name], f"table {name} differs between two seeds"


def test_every_demo_sign_in_works(seeded: Database, services: Services) -> None:
    for sign_in in DEMO_SIGN_INS:
        result = services.identity.sign_in(sign_in.username, DEMO_PASSWORD)
        assert result.account.username == sign_in.username
        if sign_in.role.is_payer:
            assert result.account.payer_role == sign_in.role
        else:
            assert {r.tin for r in result.account.roles} >= set(sign_in.tins)


def test_special_accounts_behave_as_described(seeded: Database, services: Services) -> None:
    with pytest.raises(AuthenticationFailed):
        services.identity.sign_in(LOCKED_USERNAME, DEMO_PASSWORD)
    for username in LEGACY_USERNAMES:
        with pytest.raises(MigrationRequired):
            services.identity.sign_in(username, LEGACY_PASSWORD)
    for username in TWIN_USERNAMES:
        assert services.identity.sign_in(username, DEMO_PASSWORD).account.email == TWIN_EMAIL
    with seeded.read() as conn:
        pending = conn.execute(
            select(user_roles.c.status)
            .join(users, users.c.id == user_roles.c.user_id)
            .where(users.c.username == PENDING_USERNAME)
        ).scalar_one()
    assert pending == "pending"


def test_npis_are_valid_and_some_providers_left(seeded: Database) -> None:
    with seeded.read() as conn:
        npis = list(conn.execute(select(providers.c.npi)).scalars())
        left = conn.execute(
            select(func.count()).where(provider_tins.c.end_date.is_not(None))
        ).scalar_one()
    assert len(npis) >= 40
    assert all(is_valid_npi(npi) for npi in npis), [n for n in npis if not is_valid_npi(n)]
    assert left >= 3


def test_registration_codes_match_their_tins(seeded: Database) -> None:
    with seeded.read() as conn:
        hashes = dict(conn.execute(select(tins.c.tin, tins.c.registration_code_hash)).all())
    assert set(hashes) == {demo.tin for demo in SMALL_TINS}
    for demo in SMALL_TINS:
        assert verify_password(hashes[demo.tin], demo.registration_code)
        assert not verify_password(hashes[demo.tin], demo.registration_code.lower())


def test_main_tin_has_an_open_review_with_flagged_users(seeded: Database) -> None:
    with seeded.read() as conn:
        campaign = conn.execute(
            select(review_campaigns).where(review_campaigns.c.tin == MAIN_TIN)
        ).one()
        flags = [
            flag
            for item_flags in conn.execute(
                select(review_items.c.flags).where(review_items.c.campaign_id == campaign.id)
            ).scalars()
            for flag in item_flags
        ]
        active_users = conn.execute(
            select(func.count()).where(
                user_roles.c.tin == MAIN_TIN, user_roles.c.status == "active"
            )
        ).scalar_one()
    assert campaign.status == "open"
    assert active_users >= 60
    for flag in ("never_signed_in", "inactive_90d", "affiliated_provider_left"):
        assert flag in flags, f"no item flagged {flag}"


def test_seed_refuses_a_database_with_users(seeded: Database, clock: SettableClock) -> None:
    assert not is_empty(seeded)
    with pytest.raises(Conflict):
        seed(seeded, Scale.SMALL, clock)


@pytest.mark.slow
def test_large_scale_adds_the_ten_thousand_user_review(
    db: Database, clock: SettableClock, services: Services
) -> None:
    assert is_empty(db)
    report = seed(db, Scale.LARGE, clock)
    with db.read() as conn:
        items = conn.execute(
            select(func.count()).where(review_items.c.campaign_id == report.campaign_ids[LARGE_TIN])
        ).scalar_one()
    assert items == LARGE_USERS
    assert services.identity.sign_in(LARGE_SIGN_IN.username, DEMO_PASSWORD).token
