"""Fixtures for Pilot tests: a PortalApp over a LocalClient on the test database, and a TIN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from builders import add_provider, add_tin, add_user
from portal_core.client.local import LocalClient
from portal_core.config import Settings
from portal_core.models.identity import Role
from portal_core.services import Services
from portal_tui.app import PortalApp

TIN = "123456789"
"""The TIN of the practice every TUI test works at."""


@dataclass
class Practice:
    """What the `practice` fixture built."""

    tin: str
    admin_id: int
    staff_ids: list[int] = field(default_factory=list)
    npis: list[str] = field(default_factory=list)
    pending_id: int | None = None
    locked_id: int | None = None


@pytest.fixture
def practice(services: Services) -> Practice:
    """A TIN with an administrator, a few staff, a pending registrant and a locked user."""
    db = services.db
    add_tin(db, TIN, name="Lakeside Family Practice", registration_code="LAKESIDE-2026")
    npis = [
        add_provider(db, TIN, name="Dr. Ada Lovelace"),
        add_provider(db, TIN, name="Dr. Alan Kay"),
    ]
    admin = add_user(db, "ada.admin", Role.ADMINISTRATOR, TIN, full_name="Ada Admin")
    staff = [
        add_user(db, f"staff.{n:02d}", Role.STAFF, TIN, npis=[npis[0]], full_name=f"Staff {n:02d}")
        for n in range(1, 6)
    ]
    pending = add_user(
        db, "pat.pending", Role.STAFF, TIN, role_status="pending", full_name="Pat Pending"
    )
    locked = add_user(db, "lou.locked", Role.BILLING, TIN, locked=True, full_name="Lou Locked")
    return Practice(TIN, admin, staff, npis, pending, locked)


@pytest.fixture
def make_app(services: Services) -> Callable[..., PortalApp]:
    """Build the app over the test database; keyword arguments become settings."""

    def make(**settings: Any) -> PortalApp:
        return PortalApp(lambda: LocalClient(services), Settings(**settings))

    return make


@pytest.fixture
def big_practice(practice: Practice, services: Services) -> Practice:
    """The practice with 600 more staff users, so a review has several pages."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from portal_core.rules.identifiers import username_key
    from portal_core.store.schema import user_roles, users

    when = datetime(2026, 11, 1, tzinfo=UTC)
    with services.db.write() as conn:
        for n in range(600):
            name = f"bulk.{n:04d}"
            user_id = conn.execute(
                insert(users).values(
                    username=name,
                    username_key=username_key(name),
                    full_name=f"Bulk User {n:04d}",
                    email=f"{name}@example.org",
                    phone="",
                    password_hash=None,
                    status="active",
                    failed_sign_ins=0,
                    locked=False,
                    totp_enabled=False,
                    payer_role=None,
                    default_tin=practice.tin,
                    notification_prefs={},
                    created_at=when,
                    last_sign_in_at=None,
                    password_changed_at=when,
                )
            ).inserted_primary_key[0]
            conn.execute(
                insert(user_roles).values(
                    user_id=user_id,
                    tin=practice.tin,
                    role="staff",
                    status="active",
                    created_at=when,
                    updated_at=when,
                )
            )
    return practice


@dataclass
class Demo:
    """The small demo over a fresh copy of its database, with the records tests refer to."""

    services: Services
    world: Any
    """`members_claims_world.World`: a member, claims and a denied claim of dr.rivera."""
    make_app: Callable[..., PortalApp]


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory, migrated_template: Any) -> Any:
    """The small demo, seeded once per session."""
    import shutil

    from conftest import START
    from portal_core.clock import SettableClock
    from portal_core.demo import Scale, seed
    from portal_core.store.engine import Database

    path = tmp_path_factory.mktemp("tui-demo") / "demo.sqlite3"
    shutil.copyfile(migrated_template, path)
    db = Database(f"sqlite:///{path}")
    seed(db, Scale.SMALL, SettableClock(START))
    db.dispose()
    return path


@pytest.fixture
def demo(demo_file: Any, tmp_path: Any) -> Any:
    """A copy of the seeded demo for one test, and an app factory over it."""
    import shutil
    from datetime import timedelta

    from conftest import START
    from core.members_claims_world import world
    from portal_core.clock import SettableClock
    from portal_core.store.engine import Database

    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_file, path)
    db = Database(f"sqlite:///{path}")
    services = Services(db, SettableClock(START + timedelta(minutes=5)))

    def make(**settings: Any) -> PortalApp:
        return PortalApp(lambda: LocalClient(services), Settings(**settings))

    yield Demo(services, world(db), make)
    db.dispose()
