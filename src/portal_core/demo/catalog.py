"""The fixed cast of the demo: organizations, Tax IDs and their registration codes, demo sign-ins.

The README prints these tables; `portal demo seed` writes them. Everything here is made up.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal_core.models.identity import Role

DEMO_PASSWORD = "demo-password-2026"
"""The one password of every demo sign-in (it passes the password rules)."""

LEGACY_PASSWORD = "oldportal-2019"
"""The old-portal password of the legacy accounts (only the migration accepts it)."""

PAYER_NAME = "Northwind Health Plan"
"""The payer running the portal."""


@dataclass(frozen=True)
class DemoTin:
    """A Tax ID of a demo organization."""

    tin: str
    """Nine digits."""
    name: str
    """The name the TIN does business as."""
    organization: str
    """The organization owning it."""
    kind: str
    """The organization's kind: practice, hospital or billing."""
    registration_code: str
    """The code a registrant types as proof of the relationship."""
    providers: int
    """How many providers the demo affiliates with it."""
    providers_left: int
    """How many of those have left the TIN."""


MAIN_TIN = "461234567"
"""Lakeside Family Practice: the TIN with ~60 users and an open review campaign."""

LARGE_TIN = "991234567"
"""Metro Health Network: the 10,000-user TIN of the large scale."""

SMALL_TINS = (
    DemoTin(MAIN_TIN, "Lakeside Family Practice", "Lakeside Medical Group", "practice",
            "LAKESIDE-MAIN-0FCK-DS2Z-B5BT-1CJY", 16, 3),
    DemoTin("461234568", "Lakeside Urgent Care", "Lakeside Medical Group", "practice",
            "LAKESIDE-URGENT-KA7C-RGDM-0AVS-9Y4Q", 6, 1),
    DemoTin("521234567", "Riverbend Orthopedics", "Riverbend Orthopedic Partners", "practice",
            "RIVERBEND-ORTHO-12M0-37JB-8DJ6-M0NW", 12, 1),
    DemoTin("521234568", "Riverbend Surgery Center", "Riverbend Orthopedic Partners", "practice",
            "RIVERBEND-SURGERY-BG3S-E37G-BSAE-F64F", 6, 0),
    DemoTin("871234567", "Acme Medical Billing", "Acme Medical Billing", "billing",
            "ACME-BILLING-24NN-7H7M-3HDJ-E83M", 0, 0),
)  # fmt: skip
"""The five TINs of the small scale. Riverbend Surgery Center has no users yet: the first registrant
with its code becomes its administrator."""

LARGE_TINS = (
    DemoTin(LARGE_TIN, "Metro Health Network", "Metro Health Network", "hospital",
            "METRO-HEALTH-R3WD-9QXC-TA6J-5HNV", 60, 8),
)  # fmt: skip
"""The extra TIN of the large scale."""

LARGE_USERS = 10_000
"""Users at the large TIN."""

MAIN_TIN_EXTRA_USERS = 60
"""Generated users at the main TIN, besides the named ones."""


@dataclass(frozen=True)
class DemoSignIn:
    """A named demo account."""

    username: str
    full_name: str
    role: Role
    tins: tuple[str, ...] = ()
    """Provider-side TINs holding `role`; empty for payer staff."""
    note: str = ""
    """What the account shows off (printed in the README)."""


DEMO_SIGN_INS = (
    DemoSignIn("admin.lakeside", "Alicia Moreno", Role.ADMINISTRATOR, (MAIN_TIN, "461234568"),
               "office manager; runs the open user review"),
    DemoSignIn("maint.lakeside", "Brian Okafor", Role.PRACTICE_MAINTENANCE, (MAIN_TIN,),
               "user management without administrator rights"),
    DemoSignIn("dr.rivera", "Dr. Elena Rivera", Role.PROVIDER, (MAIN_TIN,),
               "a clinician affiliated with her own NPI"),
    DemoSignIn("staff.lakeside", "Carmen Diaz", Role.STAFF, (MAIN_TIN,),
               "front desk for four providers"),
    DemoSignIn("billing.acme", "Dev Patel", Role.BILLING, (MAIN_TIN, "521234567"),
               "billing company user working for two practices"),
    DemoSignIn("admin.riverbend", "Grace Lindqvist", Role.ADMINISTRATOR, ("521234567",),
               "administrator of another organization"),
    DemoSignIn("admin.acme", "Henry Walsh", Role.ADMINISTRATOR, ("871234567",),
               "administrator of the billing company"),
    DemoSignIn("csr.jones", "Janet Jones", Role.CSR, (), "payer call center"),
    DemoSignIn("reviewer.kim", "Dr. Soo-ah Kim", Role.REVIEWER, (), "utilization review"),
    DemoSignIn("payer.admin", "Paula Nguyen", Role.PAYER_ADMIN, (), "portal administration"),
    DemoSignIn("breakglass.ops", "Omar Haddad", Role.BREAK_GLASS, (), "emergency access"),
)  # fmt: skip
"""One demo sign-in per role; all use `DEMO_PASSWORD`."""

LARGE_SIGN_IN = DemoSignIn(
    "admin.metro", "Maya Thompson", Role.ADMINISTRATOR, (LARGE_TIN,), "runs the 10,000-user review"
)
"""The administrator of the large TIN (large scale only)."""

LOCKED_USERNAME = "locked.lakeside"
"""A staff user locked after ten failed sign-ins (an administrator can unlock them)."""

PENDING_USERNAME = "new.registrant"
"""A registrant at the main TIN waiting for approval."""

LEGACY_USERNAMES = ("jsmith_lakeside", "rbrown_riverbend")
"""Accounts imported from the old portal; their first sign-in migrates them."""

TWIN_USERNAMES = ("mei.chen", "chen.riverbend")
"""Two accounts of one person (same email) at two TINs, to consolidate."""

TWIN_EMAIL = "mei.chen@example.org"
"""The email the two accounts share."""

FIRST_NAMES = (
    "Aaron", "Abigail", "Adrian", "Aisha", "Alan", "Alma", "Amir", "Ana", "Andre", "Anita",
    "Ben", "Bianca", "Caleb", "Camila", "Chloe", "Chris", "Dana", "Daniel", "Diego", "Dina",
    "Eli", "Emma", "Eric", "Esther", "Farah", "Felix", "Fiona", "Gabriel", "Gina", "Hana",
    "Hugo", "Ibrahim", "Irene", "Isaac", "Jade", "James", "Jin", "Joy", "Julia", "Kai",
    "Kara", "Kevin", "Lara", "Leo", "Lina", "Luis", "Mara", "Marco", "Mina", "Nadia",
    "Nate", "Nina", "Olga", "Oscar", "Pablo", "Priya", "Quinn", "Rafael", "Rosa", "Ruth",
    "Sam", "Sara", "Sean", "Sofia", "Tariq", "Tess", "Theo", "Uma", "Victor", "Wen",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Adams", "Ali", "Alvarez", "Baker", "Banda", "Becker", "Bell", "Brooks", "Castro",
    "Chang", "Clarke", "Cohen", "Cruz", "Dubois", "Edwards", "Evans", "Fischer", "Flores", "Ford",
    "Garcia", "Gupta", "Hall", "Hansen", "Hill", "Hughes", "Ito", "Jensen", "Khan", "Kowalski",
    "Lam", "Larsen", "Lopez", "Mendes", "Meyer", "Mills", "Murphy", "Nakamura", "Novak", "Olsen",
    "Ortiz", "Park", "Perez", "Quinn", "Ramos", "Reed", "Rossi", "Sato", "Schmidt", "Shah",
    "Silva", "Singh", "Stone", "Tanaka", "Torres", "Varga", "Wagner", "Ward", "Weber", "Young",
)  # fmt: skip
SPECIALTIES = (
    ("Family Medicine", "207Q00000X"),
    ("Internal Medicine", "207R00000X"),
    ("Pediatrics", "208000000X"),
    ("Orthopaedic Surgery", "207X00000X"),
    ("Physical Therapy", "225100000X"),
    ("Nurse Practitioner", "363L00000X"),
    ("Physician Assistant", "363A00000X"),
    ("Emergency Medicine", "207P00000X"),
    ("Cardiology", "207RC0000X"),
    ("Radiology", "2085R0202X"),
)
"""Specialty and taxonomy code pairs."""
