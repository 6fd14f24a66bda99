"""The demo generator: the same rows every time for the same scale and anchor date.

Randomness comes from `random.Random(SEED)` only and dates are offsets from the clock's "today", so
two runs with the same clock write identical rows (password hashes aside: Argon2id salts them).
Rows go straight in through the schema's inserts, in bulk, for speed; each distinct password is
hashed once. The review campaigns are opened through the review service, as an administrator would.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, exists, func, insert, select, update

from portal_core.clock import Clock
from portal_core.demo.admissions_data import write_admissions_and_referrals
from portal_core.demo.announcements_data import write_announcements
from portal_core.demo.catalog import (
    DEMO_PASSWORD,
    DEMO_SIGN_INS,
    FIRST_NAMES,
    LARGE_SIGN_IN,
    LARGE_TIN,
    LARGE_TINS,
    LARGE_USERS,
    LAST_NAMES,
    LEGACY_PASSWORD,
    LEGACY_USERNAMES,
    LOCKED_USERNAME,
    MAIN_TIN,
    MAIN_TIN_EXTRA_USERS,
    PAYER_NAME,
    PENDING_USERNAME,
    SMALL_TINS,
    SPECIALTIES,
    TWIN_EMAIL,
    TWIN_USERNAMES,
    DemoSignIn,
    DemoTin,
)
from portal_core.demo.claims_data import (
    SEED as CLAIMS_SEED,
)
from portal_core.demo.claims_data import (
    ClaimGenerator,
    rebuild_indexes,
    without_claim_indexes,
    write_claim_cases,
    write_members_and_claims,
    write_reference,
)
from portal_core.demo.messages_data import (
    LARGE_THREADS,
    SMALL_THREADS,
    write_message_threads,
)
from portal_core.demo.preauth_data import write_preauths
from portal_core.demo.providers_data import write_provider_profiles
from portal_core.errors import Conflict
from portal_core.models.identity import Principal, Role
from portal_core.rules.identifiers import npi_check_digit, username_key
from portal_core.rules.passwords import hash_password
from portal_core.services import Services
from portal_core.services.audit import record
from portal_core.store import accounts
from portal_core.store.engine import Database, sync_sequences
from portal_core.store.schema import (
    claims,
    documents,
    notifications,
    organizations,
    payments,
    provider_tins,
    providers,
    tins,
    user_affiliations,
    user_roles,
    users,
)

SEED = 20261123
"""The random seed: the demo is the same on every machine."""


class Scale(StrEnum):
    """How much demo data to write."""

    SMALL = "small"
    """Five TINs, about 90 users, one open review."""
    LARGE = "large"
    """Small, plus a TIN with 10,000 users under an open review (the benchmark database)."""


@dataclass
class SeedReport:
    """What the generator wrote."""

    users: int = 0
    providers: int = 0
    tins: int = 0
    campaign_ids: dict[str, int] = field(default_factory=dict)
    """The open review campaign per TIN."""
    members: int = 0
    claims: int = 0
    payments: int = 0


class _Writer:
    """Collects rows, then writes each table in one bulk insert."""

    def __init__(self, conn: Connection, today: datetime, rng: random.Random) -> None:
        self.conn = conn
        self.now = today
        self.rng = rng
        self.hashes: dict[str, str] = {}
        self.next_user_id = int(conn.execute(select(func.max(users.c.id))).scalar() or 0) + 1
        self.next_npi = 1
        self.user_rows: list[dict[str, Any]] = []
        self.role_rows: list[dict[str, Any]] = []
        self.affiliation_rows: list[dict[str, Any]] = []
        self.ids: dict[str, int] = {}
        self.used_usernames: set[str] = set()

    def password_hash(self, password: str) -> str:
        if password not in self.hashes:
            self.hashes[password] = hash_password(password)
        return self.hashes[password]

    def days_ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def npi(self) -> str:
        # A stride coprime with 10**8 walks distinct serials: unique by construction, valid NPIs
        # by their check digit.
        first_nine = f"1{(self.next_npi * 7919 + 3_000_000) % 100_000_000:08d}"
        self.next_npi += 1
        return first_nine + str(npi_check_digit(first_nine))

    def unique_username(self, base: str) -> str:
        candidate = base[:30]
        serial = 1
        while candidate.casefold() in self.used_usernames:
            serial += 1
            suffix = str(serial)
            candidate = base[: 30 - len(suffix)] + suffix
        self.used_usernames.add(candidate.casefold())
        return candidate

    def add_user(
        self,
        username: str,
        full_name: str,
        *,
        email: str | None = None,
        password: str | None = DEMO_PASSWORD,
        status: str = "active",
        payer_role: Role | None = None,
        default_tin: str | None = None,
        created_days_ago: float = 400,
        last_sign_in_days_ago: float | None = 2,
        locked: bool = False,
    ) -> int:
        user_id = self.next_user_id
        self.next_user_id += 1
        self.used_usernames.add(username.casefold())
        created = self.days_ago(created_days_ago)
        self.user_rows.append(
            {
                "id": user_id,
                "username": username,
                "username_key": username_key(username),
                "full_name": full_name,
                "email": email or f"{username}@example.org",
                # Demo addresses count as proven, but an old-portal account's: it proves one
                # while moving over.
                "email_verified_at": None if status == "legacy" else created,
                "phone": f"555-01{user_id % 100:02d}",
                "password_hash": self.password_hash(password) if password else None,
                "status": status,
                "failed_sign_ins": 10 if locked else 0,
                "throttled_until": None,
                "locked": locked,
                "totp_secret": None,
                "totp_enabled": False,
                "totp_last_step": None,
                "payer_role": payer_role.value if payer_role else None,
                "default_tin": default_tin,
                "theme": None,
                "notification_prefs": {},
                "merged_into": None,
                "created_at": created,
                "last_sign_in_at": None
                if last_sign_in_days_ago is None
                else self.days_ago(last_sign_in_days_ago),
                "password_changed_at": created,
            }
        )
        self.ids[username] = user_id
        return user_id

    def grant(
        self,
        user_id: int,
        tin: str,
        role: Role,
        npis: Iterable[str] = (),
        *,
        status: str = "active",
    ) -> None:
        at = self.days_ago(300)
        self.role_rows.append(
            {
                "user_id": user_id,
                "tin": tin,
                "role": role.value,
                "status": status,
                "created_at": at,
                "updated_at": at,
            }
        )
        for npi in sorted(set(npis)):
            self.affiliation_rows.append({"user_id": user_id, "tin": tin, "npi": npi})

    def flush_users(self) -> None:
        for table, rows in (
            (users, self.user_rows),
            (user_roles, self.role_rows),
            (user_affiliations, self.affiliation_rows),
        ):
            if rows:
                self.conn.execute(insert(table), rows)
            rows.clear()


@dataclass
class _Roster:
    """The providers of one TIN: who is still there and who left."""

    current: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


def seed(db: Database, scale: Scale | str = Scale.SMALL, clock: Clock | None = None) -> SeedReport:
    """Write the demo data into an empty, migrated database; returns what was written.

    Raises `Conflict` when the database already holds users.
    """
    scale = Scale(scale)
    clock = clock or Clock()
    now = clock.now()
    rng = random.Random(SEED)
    report = SeedReport()
    with db.write() as conn:
        if conn.execute(select(func.count()).select_from(users)).scalar_one():
            raise Conflict("The database already holds users; the demo seeds only an empty one.")
        writer = _Writer(conn, now, rng)
        payer_org = _insert_org(conn, PAYER_NAME, "payer")
        del payer_org  # the payer has no TIN; its staff hold payer roles
        demo_tins = SMALL_TINS + (LARGE_TINS if scale is Scale.LARGE else ())
        rosters = _write_tins_and_providers(conn, writer, demo_tins, now.date())
        _write_small_users(writer, rosters)
        if scale is Scale.LARGE:
            _write_large_users(writer, rosters[LARGE_TIN])
        writer.flush_users()
        _write_documents_and_notices(conn, writer, now)
        write_announcements(conn, writer.ids["payer.admin"], now)
        record(conn, at=now, action="demo.seed", detail={"scale": scale.value})
        sync_sequences(conn)
        report.users = writer.next_user_id - 1
        report.providers = sum(len(r.current) + len(r.left) for r in rosters.values())
        report.tins = len(demo_tins)
        ids = dict(writer.ids)
    _write_members_and_claims(db, scale, rosters, now, report)
    _link_the_eop(db, rosters[MAIN_TIN].current[0])
    write_claim_cases(
        db, now, rosters[MAIN_TIN].current[0], ids["staff.lakeside"], ids["csr.jones"]
    )
    write_message_threads(
        db,
        now,
        ids["csr.jones"],
        ids["billing.acme"],
        count=LARGE_THREADS if scale is Scale.LARGE else SMALL_THREADS,
        large_tin=LARGE_TIN if scale is Scale.LARGE else None,
    )
    write_provider_profiles(db, now)
    write_admissions_and_referrals(db, now, ids, rosters[MAIN_TIN].current[0])
    write_preauths(db, now, ids, rosters[MAIN_TIN].current[0])
    services = Services(db, clock)
    for tin, admin in _campaign_openers(scale):
        principal = _principal(db, ids[admin], admin, tin)
        campaign = services.reviews.open_campaign(principal, tin)
        report.campaign_ids[tin] = campaign.id
        with db.write() as conn:
            accounts.notify(
                conn,
                ids[admin],
                "review_due",
                f"Time to review your portal users: due {campaign.due_date:%b %d, %Y}.",
                now,
                link_kind="review_campaign",
                link_id=campaign.id,
            )
    return report


SMALL_MEMBERS = 2_000
"""Members of the small demo."""
SMALL_CLAIMS = 20_000
"""Claims of the small demo."""
LARGE_MEMBERS = 100_000
"""Members the large scale adds (at the large TIN)."""
LARGE_CLAIMS = 1_000_000
"""Claims the large scale adds (at the large TIN)."""


def _write_members_and_claims(
    db: Database, scale: Scale, rosters: dict[str, _Roster], now: datetime, report: SeedReport
) -> None:
    rng = random.Random(CLAIMS_SEED)
    today = now.date()
    with db.write() as conn:
        every_npi = [npi for r in rosters.values() for npi in r.current + r.left]
        write_reference(conn, every_npi, today, rng)
    small_tins = [t.tin for t in SMALL_TINS]
    tin_of = {npi: tin for tin in small_tins for npi in rosters[tin].current}
    # The surgery center's surgeons are nobody's PCP; the main TIN's first provider (Dr. Rivera)
    # comes first, so she gets a large panel.
    pcps = [npi for npi, tin in tin_of.items() if tin != "521234568"]
    generator = ClaimGenerator(today, tin_of, rng)
    dropped = without_claim_indexes(db) if scale is Scale.LARGE else []
    parts = [
        write_members_and_claims(
            db,
            generator,
            now=now,
            pcps=pcps,
            member_count=SMALL_MEMBERS,
            claim_count=SMALL_CLAIMS,
            first_member_serial=100_000_001,
        )
    ]
    if scale is Scale.LARGE:
        generator.tin_of = {npi: LARGE_TIN for npi in rosters[LARGE_TIN].current}
        parts.append(
            write_members_and_claims(
                db,
                generator,
                now=now,
                pcps=list(generator.tin_of),
                member_count=LARGE_MEMBERS,
                claim_count=LARGE_CLAIMS,
                first_member_serial=200_000_001,
            )
        )
        rebuild_indexes(db, dropped)
    report.members = sum(p.members for p in parts)
    report.claims = sum(p.claims for p in parts)
    report.payments = sum(p.payments for p in parts)


def is_empty(db: Database) -> bool:
    """True when the database holds no users (what `demo seed --if-empty` checks)."""
    with db.read() as conn:
        return not conn.execute(select(func.count()).select_from(users)).scalar_one()


def _campaign_openers(scale: Scale) -> list[tuple[str, str]]:
    openers = [(MAIN_TIN, "admin.lakeside")]
    if scale is Scale.LARGE:
        openers.append((LARGE_TIN, LARGE_SIGN_IN.username))
    return openers


def _principal(db: Database, user_id: int, username: str, tin: str) -> Principal:
    """The administrator as a session would resolve them (the demo signs in no one)."""
    with db.read() as conn:
        return Principal(
            user_id=user_id,
            username=username,
            session_key="demo-seed",
            tin_roles=accounts.active_roles(conn, user_id),
            affiliations=accounts.affiliations(conn, user_id),
            active_tin=tin,
        )


def _insert_org(conn: Connection, name: str, kind: str) -> int:
    query = insert(organizations).values(name=name, kind=kind).returning(organizations.c.id)
    return int(conn.execute(query).scalar_one())


def _write_tins_and_providers(
    conn: Connection, writer: _Writer, demo_tins: Iterable[DemoTin], today: date
) -> dict[str, _Roster]:
    org_ids: dict[str, int] = {}
    rosters: dict[str, _Roster] = {}
    provider_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    rng = writer.rng
    for demo in demo_tins:
        if demo.organization not in org_ids:
            org_ids[demo.organization] = _insert_org(conn, demo.organization, demo.kind)
        conn.execute(
            insert(tins).values(
                tin=demo.tin,
                organization_id=org_ids[demo.organization],
                name=demo.name,
                registration_code_hash=writer.password_hash(demo.registration_code),
                idle_timeout_minutes=15,
            )
        )
        roster = _Roster()
        for index in range(demo.providers):
            npi = writer.npi()
            if demo.tin == MAIN_TIN and index == 0:
                name = "Dr. Elena Rivera"
                specialty = SPECIALTIES[0]
            else:
                name = f"Dr. {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                specialty = rng.choice(SPECIALTIES)
            provider_rows.append(
                {
                    "npi": npi,
                    "name": name,
                    "kind": "individual",
                    "specialty": specialty[0],
                    "taxonomy": specialty[1],
                    "phone": f"555-02{index:02d}",
                    "panel_status": "open" if rng.random() < 0.8 else "closed",
                }
            )
            left = index >= demo.providers - demo.providers_left
            start = today - timedelta(days=rng.randrange(400, 3000))
            link_rows.append(
                {
                    "npi": npi,
                    "tin": demo.tin,
                    "start_date": start,
                    "end_date": today - timedelta(days=rng.randrange(10, 200)) if left else None,
                }
            )
            (roster.left if left else roster.current).append(npi)
        rosters[demo.tin] = roster
    conn.execute(insert(providers), provider_rows)
    conn.execute(insert(provider_tins), link_rows)
    return rosters


def _named(writer: _Writer, sign_in: DemoSignIn, rosters: dict[str, _Roster]) -> int:
    user_id = writer.add_user(
        sign_in.username,
        sign_in.full_name,
        payer_role=sign_in.role if sign_in.role.is_payer else None,
        default_tin=sign_in.tins[0] if sign_in.tins else None,
        last_sign_in_days_ago=1,
    )
    for tin in sign_in.tins:
        roster = rosters[tin]
        npis: list[str] = []
        if sign_in.role is Role.PROVIDER:
            npis = roster.current[:1]  # Dr. Rivera's own NPI
        elif sign_in.role in (Role.STAFF, Role.BILLING):
            npis = roster.current[:4]
        writer.grant(user_id, tin, sign_in.role, npis)
    return user_id


def _write_small_users(writer: _Writer, rosters: dict[str, _Roster]) -> None:
    for sign_in in DEMO_SIGN_INS:
        _named(writer, sign_in, rosters)
    main = rosters[MAIN_TIN]
    locked = writer.add_user(
        LOCKED_USERNAME, "Lee Fontaine", default_tin=MAIN_TIN, locked=True, last_sign_in_days_ago=6
    )
    writer.grant(locked, MAIN_TIN, Role.STAFF, main.current[1:3])
    pending = writer.add_user(
        PENDING_USERNAME,
        "Noor Haddad",
        status="pending",
        default_tin=MAIN_TIN,
        created_days_ago=1,
        last_sign_in_days_ago=None,
    )
    writer.grant(pending, MAIN_TIN, Role.STAFF, status="pending")
    for username, full_name, tin in (
        (LEGACY_USERNAMES[0], "John Smith", MAIN_TIN),
        (LEGACY_USERNAMES[1], "Rita Brown", "521234567"),
    ):
        legacy = writer.add_user(
            username,
            full_name,
            password=LEGACY_PASSWORD,
            status="legacy",
            default_tin=tin,
            created_days_ago=2000,
            last_sign_in_days_ago=None,
        )
        writer.grant(legacy, tin, Role.STAFF, rosters[tin].current[:2])
    twin_a = writer.add_user(TWIN_USERNAMES[0], "Mei Chen", email=TWIN_EMAIL, default_tin=MAIN_TIN)
    writer.grant(twin_a, MAIN_TIN, Role.STAFF, main.current[2:5])
    twin_b = writer.add_user(
        TWIN_USERNAMES[1], "Mei Chen", email=TWIN_EMAIL, default_tin="521234567"
    )
    writer.grant(twin_b, "521234567", Role.BILLING, rosters["521234567"].current[:3])
    _write_crowd(writer, MAIN_TIN, main, MAIN_TIN_EXTRA_USERS, extra_admins=2)


def _write_large_users(writer: _Writer, roster: _Roster) -> None:
    _named(writer, LARGE_SIGN_IN, {LARGE_TIN: roster})
    _write_crowd(writer, LARGE_TIN, roster, LARGE_USERS - 1, extra_admins=3)


def _write_crowd(
    writer: _Writer, tin: str, roster: _Roster, count: int, *, extra_admins: int
) -> None:
    """`count` generated users at `tin`: mixed roles, sign-ins from today to never."""
    rng = writer.rng
    everyone = roster.current + roster.left
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = writer.unique_username(f"{first}.{last}".lower())
        draw = rng.random()
        if draw < 0.12:
            last_sign_in: float | None = None  # never signed in
        elif draw < 0.32:
            last_sign_in = rng.uniform(91, 400)  # inactive more than 90 days
        else:
            last_sign_in = rng.uniform(0, 89)
        created = max(last_sign_in or 0, 30) + rng.uniform(1, 700)
        user_id = writer.add_user(
            username,
            f"{first} {last}",
            default_tin=tin,
            created_days_ago=created,
            last_sign_in_days_ago=last_sign_in,
        )
        if index < extra_admins:
            role = Role.ADMINISTRATOR
        else:
            role = rng.choices(
                (Role.PRACTICE_MAINTENANCE, Role.PROVIDER, Role.STAFF, Role.BILLING),
                weights=(1, 3, 6, 2),
            )[0]
        npis: list[str] = []
        if role in (Role.PROVIDER, Role.STAFF, Role.BILLING) and everyone:
            npis = rng.sample(everyone, k=min(len(everyone), rng.randint(1, 3)))
        writer.grant(user_id, tin, role, npis)


_LETTER = """Northwind Health Plan - Determination letter

Preauthorization {number}
Decision: approved
Decided: {day:%B %d, %Y}

The requested service was reviewed against the plan's criteria and approved as asked.
"""
_EOP = """Northwind Health Plan - Explanation of payment

Payment {number} to TIN 46-1234567
Paid: {day:%B %d, %Y}
Total paid: {total:,.2f}
"""
_WELCOME = """Welcome to the Northwind Health Plan provider portal.

Your office manager gives each staff member their own sign-in. Never share a password.
"""


def _link_the_eop(db: Database, npi: str) -> None:
    """The demo's EOP document: the newest payment to the main TIN for `npi`'s claims (so the
    provider, its staff and its billing company read it, as they read that payment)."""
    with db.write() as conn:
        payment = (
            conn.execute(
                select(payments.c.payment_number, payments.c.payment_date, payments.c.total_cents)
                .where(
                    payments.c.payee_tin == MAIN_TIN,
                    exists().where(
                        claims.c.payment_id == payments.c.id, claims.c.rendering_npi == npi
                    ),
                )
                .order_by(payments.c.payment_date.desc(), payments.c.id.desc())
                .limit(1)
            )
            .mappings()
            .one()
        )
        number = payment["payment_number"]
        content = _EOP.format(
            number=number, day=payment["payment_date"], total=payment["total_cents"] / 100
        ).encode()
        conn.execute(
            update(documents)
            .where(documents.c.kind == "eop", documents.c.tin == MAIN_TIN)
            .values(
                linked_id=number,
                file_name=f"eop-{number}.txt",
                content=content,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
        )


def _write_documents_and_notices(conn: Connection, writer: _Writer, now: datetime) -> None:
    docs = (
        ("upload", "welcome-to-the-portal.txt", _WELCOME, None, None, 60),
        ("letter", "determination-PA-2026-000123.txt", _LETTER, "preauth", "PA-2026-000123", 3),
        # Linked to a payment of the main provider once the claims are written (`_link_the_eop`).
        ("eop", "eop.txt", _EOP, "payment", "", 9),
    )
    letter_id = 0
    for kind, file_name, template, linked_kind, linked_id, age in docs:
        created = now - timedelta(days=age)
        content = template.format(number=linked_id, day=created, total=0).encode()
        document_id = conn.execute(
            insert(documents)
            .values(
                kind=kind,
                tin=MAIN_TIN,
                linked_kind=linked_kind,
                linked_id=linked_id,
                file_name=file_name,
                media_type="text/plain",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                created_at=created,
                created_by=None,
                retain_until=date(created.year + 6, created.month, min(created.day, 28)),
                content=content,
            )
            .returning(documents.c.id)
        ).scalar_one()
        if kind == "letter":
            letter_id = int(document_id)
    ids = writer.ids
    notices = (
        ("dr.rivera", "letter", "A determination letter was filed.", "document", letter_id, 3),
        ("staff.lakeside", "reply", "Customer service replied to your message.", None, None, 1),
        ("staff.lakeside", "letter", "A determination letter was filed.", "document", letter_id, 3),
        (
            "billing.acme",
            "access",
            "You were given access to Riverbend Orthopedics.",
            None,
            None,
            20,
        ),
    )
    rows = [
        {
            "user_id": ids[username],
            "kind": kind,
            "text": text,
            "link_kind": link_kind,
            "link_id": None if link_id is None else str(link_id),
            "created_at": now - timedelta(days=age),
            "read_at": None,
        }
        for username, kind, text, link_kind, link_id, age in notices
    ]
    conn.execute(insert(notifications), rows)
