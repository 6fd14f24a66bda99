"""Identity and access: sign-in, sessions, registration, recovery and the user's own account.

Rules (DOMAIN.md "Identity and access"):

- Sign-in answers an unknown user and a wrong password with the same words, and throttles both
  the same way (`services/throttles.py`): waits that grow per username and client address, a lock
  of that username from that address after 10 failures in a row, a capped account-wide slowdown
  that spares addresses the owner signed in from, and a per-address limit. The owner's password
  reset or an administrator's unlock lifts them. A TOTP code is checked when the user has one (a
  wrong one counts as a failed sign-in), and a code already used is refused. One of the user's
  ten single-use recovery codes (handed out when the factor is turned on, made anew in Settings)
  may stand in for it: a wrong one counts the same way, a used one is audited and mailed about.
- Registration, additional-TIN proofs, reset codes, reset requests, username reminders and TOTP
  enrollment codes are throttled per account, client address and target the same way.
- A session is a random token of which only the SHA-256 is stored. It ends after the active TIN's
  idle timeout (15 minutes unless the organization set another, at most 30), 12 hours after
  sign-in, at sign-out, or when revoked (password reset or change, lock, consolidation).
- Every write is audited in the transaction that makes it; sign-ins, failures and locks too.
  Passwords, codes and tokens are never written anywhere but as hashes.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from portal_core.errors import (
    AuthenticationFailed,
    Conflict,
    MigrationRequired,
    SecondFactorRequired,
    SessionExpired,
    ValidationFailed,
)
from portal_core.keys import keyed_digest
from portal_core.models.identity import (
    Account,
    AccountSettings,
    ConsolidationResult,
    LegacyMigration,
    Principal,
    RecoveryCodes,
    Registration,
    RegistrationOutcome,
    RegistrationProof,
    Role,
    SignInResult,
    TinRole,
    TotpEnrollment,
    UserStatus,
)
from portal_core.rules import totp
from portal_core.rules.deadlines import PAYER_TIME_ZONE
from portal_core.rules.identifiers import (
    format_tin,
    parse_email,
    parse_tin,
    parse_username,
    username_key,
)
from portal_core.rules.passwords import (
    MIN_LENGTH,
    check_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from portal_core.rules.permissions import Action
from portal_core.services import audit, email_proof, throttles
from portal_core.services.consolidation import move_roles
from portal_core.services.identity_area import IdentityArea, new_id, user_row
from portal_core.services.tin_proof import NOT_PROVEN, proof_kind, proves_tin
from portal_core.store import accounts
from portal_core.store.engine import Database
from portal_core.store.schema import (
    organizations,
    password_resets,
    sessions,
    tins,
    totp_recovery_codes,
    user_roles,
    users,
)

BAD_CREDENTIALS = "The username or password is not right."
"""The one answer for an unknown username and a wrong password."""

LOCKED = throttles.LOCKED
"""What a locked account is told."""

SESSION_LIFETIME = timedelta(hours=12)
"""The absolute limit of a session."""

DEFAULT_IDLE_MINUTES = 15
"""The idle timeout when the organization set none."""

MAX_IDLE_MINUTES = 30
"""The longest idle timeout an organization may set."""

BREAK_GLASS_MINUTES = (1, 240)
"""The shortest and longest break-glass window."""

BREAK_GLASS_MIN_REASON = 10
"""The fewest characters a break-glass reason may have."""

PENDING_ROLE = Role.STAFF
"""The role a pending registrant's row holds until an approver picks the real one."""

_THEME = re.compile(r"[a-z0-9-]{1,40}")
_PREF_KEY = re.compile(r"[a-z0-9_]{1,40}")
_SIGN_IN_ACTION = "identity.sign_in"

RECOVERY_PURPOSE = "totp.recovery_code"
"""The key purpose of the recovery codes' digests."""


def _recovery_digest(user_id: int, key: str) -> str:
    """What is stored of a recovery code: a keyed digest of the owner and the code."""
    return keyed_digest(RECOVERY_PURPOSE, f"{user_id}:{key}")


def _issue_recovery_codes(conn: Connection, user_id: int, now: datetime) -> list[str]:
    """A new set of recovery codes for the user; the old set stops working."""
    conn.execute(delete(totp_recovery_codes).where(totp_recovery_codes.c.user_id == user_id))
    codes = totp.new_recovery_codes()
    conn.execute(
        insert(totp_recovery_codes),
        [
            {
                "code_hash": _recovery_digest(user_id, str(totp.recovery_key(code))),
                "user_id": user_id,
                "created_at": now,
            }
            for code in codes
        ],
    )
    return codes


def _recovery_codes_left(conn: Connection, user_id: int) -> int:
    """The user's unused recovery codes."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(totp_recovery_codes)
            .where(
                totp_recovery_codes.c.user_id == user_id, totp_recovery_codes.c.used_at.is_(None)
            )
        ).scalar_one()
    )


def _user_by_username(conn: Connection, username: str) -> RowMapping | None:
    key = username_key(username)
    if not key:
        return None
    return conn.execute(select(users).where(users.c.username_key == key)).mappings().first()


def _attempted_by(user: RowMapping | None, principal: Principal | None) -> dict[str, Any]:
    """The audit fields naming whose credentials an attempt tried (nobody for an unknown name)."""
    if user is None:
        return {}
    return {
        "user": None if principal is not None else user,
        "record_kind": "user",
        "record_id": user["id"],
    }


def _name_detail(user: RowMapping | None, name: str) -> dict[str, Any]:
    """For a name that is no account, its keyed digest: enough to count, never the typed text
    (which may be a password typed into the wrong box)."""
    return {} if user is not None else {"name_digest": throttles.name_digest(name)}


def _clamp_idle(minutes: int | None) -> int:
    if not minutes:
        return DEFAULT_IDLE_MINUTES
    return max(1, min(int(minutes), MAX_IDLE_MINUTES))


def _choose_active_tin(default_tin: str | None, roles: dict[str, Role]) -> str | None:
    """The default TIN when the user still has a role there, else the first of their TINs."""
    if default_tin in roles:
        return default_tin
    return min(roles) if roles else None


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any] | None:
    """The audit detail for the fields that changed, or None when none did."""
    changed = [name for name in after if before.get(name) != after[name]]
    if not changed:
        return None
    return {
        "before": {name: before.get(name) for name in changed},
        "after": {name: after[name] for name in changed},
    }


class IdentityService(IdentityArea):
    """Sign-in, sessions, registration, recovery and the signed-in user's own account."""

    # -- credentials ----------------------------------------------------------------------------

    def _begin_attempt(
        self, name: str, user: RowMapping | None, action: str, principal: Principal | None
    ) -> throttles.SignInAttempt:
        """Refuse a credential check unchecked (throttled or locked), else the attempt, held in
        flight where failures are on record (a clean sign-in writes nothing here)."""
        now = self.clock.now()
        locked = bool(user and user["locked"])
        with self.db.read() as conn:
            begun = throttles.sign_in_gate(conn, name, now, account_locked=locked)
        if isinstance(begun, throttles.SignInAttempt) and begun.held:
            with self.db.write() as conn:
                refused = throttles.hold_sign_in(conn, begun, now)
            if refused is not None:
                begun = refused
        if isinstance(begun, throttles.Refusal):
            with self.db.write() as conn:
                self._audit(
                    conn,
                    action,
                    outcome="denied",
                    principal=principal,
                    **_attempted_by(user, principal),
                    detail={"reason": begun.reason} | _name_detail(user, name),
                )
            raise begun.error
        return begun

    def _settle(self, attempt: throttles.SignInAttempt) -> None:
        """The credentials were right but no session opens: release the attempt in flight."""
        if not attempt.held:
            return  # nothing was held, nothing to forget
        with self.db.write() as conn:
            throttles.signed_in(conn, attempt, self.clock.now(), proven=False)

    def _count_failure(
        self,
        user: RowMapping | None,
        attempt: throttles.SignInAttempt,
        action: str,
        message: str,
        reason: str,
        *,
        principal: Principal | None = None,
        name: str = "",
    ) -> AuthenticationFailed:
        """Record a failed credential check: its count, account state, audit, lock."""
        now = self.clock.now()
        with self.db.write() as conn:
            attempt = throttles.sign_in_failed(conn, attempt, now)
            lock = attempt.locks_account and user is not None and not user["locked"]
            if user is not None:
                conn.execute(
                    update(users)
                    .where(users.c.id == user["id"])
                    .values(
                        failed_sign_ins=attempt.account_failures,
                        locked=bool(user["locked"]) or lock,
                        throttled_until=None,
                    )
                )
            self._audit(
                conn,
                action,
                outcome="failed",
                principal=principal,
                **_attempted_by(user, principal),
                detail={"reason": reason, "failures": attempt.pair_failures}
                | _name_detail(user, name),
            )
            if lock and user is not None:
                ended = accounts.end_sessions(conn, user["id"], now)
                self._audit(
                    conn,
                    "identity.lock",
                    outcome="ok",
                    principal=principal,
                    user=None if principal else user,
                    record_kind="user",
                    record_id=user["id"],
                    detail={"failures": attempt.account_failures, "sessions_ended": ended},
                )
        locked = attempt.pair_failures >= throttles.PAIR_LOCK_AFTER or attempt.locks_account
        return AuthenticationFailed(LOCKED if locked else message)

    def _check_credentials(
        self,
        name: str,
        user: RowMapping | None,
        password: str,
        action: str,
        wrong_message: str,
        *,
        principal: Principal | None = None,
    ) -> throttles.SignInAttempt:
        """Refuse a throttled or locked name unchecked, else verify the password (counted).

        An unknown `name` (`user` None) costs the same time and is counted the same way.
        """
        attempt = self._begin_attempt(name, user, action, principal)
        if user is None:
            verify_password(None, password)  # the same time as a real check
            raise self._count_failure(
                None, attempt, action, wrong_message, "unknown_user", principal=principal, name=name
            )
        if not verify_password(user["password_hash"], password):
            raise self._count_failure(
                user, attempt, action, wrong_message, "wrong_password", principal=principal
            )
        return attempt

    def _check_own_password(self, principal: Principal, password: str, action: str) -> RowMapping:
        with self.db.read() as conn:
            user = user_row(conn, principal.user_id)
        attempt = self._check_credentials(
            user["username_key"],
            user,
            password,
            action,
            "The password is not right.",
            principal=principal,
        )
        self._settle(attempt)
        return user

    # -- sessions ---------------------------------------------------------------------------------

    def _open_session(
        self,
        conn: Connection,
        user: RowMapping,
        password: str | None,
        totp_step: int | None,
        attempt: throttles.SignInAttempt | None = None,
        *,
        recovery_code: bool = False,
    ) -> SignInResult:
        """Reset the failure count, start a session and audit the sign-in (caller's transaction)."""
        now = self.clock.now()
        if attempt is not None:
            throttles.signed_in(conn, attempt, now, proven=not attempt.proven)
        values: dict[str, Any] = {
            "failed_sign_ins": 0,
            "throttled_until": None,
            "last_sign_in_at": now,
        }
        if totp_step is not None:
            values["totp_last_step"] = totp_step
        if password is not None and user["password_hash"] and needs_rehash(user["password_hash"]):
            values["password_hash"] = hash_password(password)
        conn.execute(update(users).where(users.c.id == user["id"]).values(**values))
        roles = accounts.active_roles(conn, user["id"])
        active_tin = _choose_active_tin(user["default_tin"], roles)
        idle = _clamp_idle(accounts.tin_idle_minutes(conn, active_tin))
        token = secrets.token_urlsafe(32)
        digest = accounts.token_digest(token)
        expires = now + SESSION_LIFETIME
        conn.execute(
            insert(sessions).values(
                token_hash=digest,
                user_id=user["id"],
                created_at=now,
                last_seen_at=now,
                expires_at=expires,
                idle_minutes=idle,
                active_tin=active_tin,
            )
        )
        self._audit(
            conn,
            _SIGN_IN_ACTION,
            user=user,
            tin=active_tin,
            record_kind="user",
            record_id=user["id"],
            detail=(
                {"second_factor": totp_step is not None or recovery_code}
                | ({"recovery_code": True} if recovery_code else {})
                if user["totp_enabled"]
                else None
            ),
        )
        return SignInResult(
            token=token, account=self._account(conn, user["id"], digest), expires_at=expires
        )

    def _session_row(self, conn: Connection, session_key: str) -> RowMapping | None:
        return (
            conn.execute(select(sessions).where(sessions.c.token_hash == session_key))
            .mappings()
            .first()
        )

    def _account(self, conn: Connection, user_id: int, session_key: str | None) -> Account:
        user = user_row(conn, user_id)
        session = self._session_row(conn, session_key) if session_key else None
        now = self.clock.now()
        break_glass_until = None
        glass_until = session["break_glass_until"] if session is not None else None
        if glass_until is not None and glass_until > now:
            break_glass_until = glass_until
        return Account(
            id=user["id"],
            username=user["username"],
            full_name=user["full_name"],
            email=user["email"],
            phone=user["phone"] or "",
            status=UserStatus(user["status"]),
            totp_enabled=bool(user["totp_enabled"]),
            recovery_codes_left=_recovery_codes_left(conn, user_id) if user["totp_enabled"] else 0,
            email_verified=user["email_verified_at"] is not None,
            pending_email=email_proof.pending_address(conn, user_id, now),
            payer_role=Role(user["payer_role"]) if user["payer_role"] else None,
            default_tin=user["default_tin"],
            active_tin=session["active_tin"] if session is not None else None,
            theme=user["theme"],
            notification_prefs=dict(user["notification_prefs"] or {}),
            roles=self._tin_roles(conn, user_id),
            last_sign_in_at=user["last_sign_in_at"],
            idle_minutes=int(session["idle_minutes"]) if session else DEFAULT_IDLE_MINUTES,
            break_glass_until=break_glass_until,
        )

    def _tin_roles(self, conn: Connection, user_id: int) -> list[TinRole]:
        rows = conn.execute(
            select(user_roles.c.tin, user_roles.c.role, user_roles.c.status, tins.c.name)
            .join(tins, tins.c.tin == user_roles.c.tin)
            .where(user_roles.c.user_id == user_id, user_roles.c.status.in_(("active", "pending")))
            .order_by(user_roles.c.tin)
        )
        affiliated = accounts.affiliations(conn, user_id)
        return [
            TinRole(
                tin=row.tin,
                tin_name=row.name,
                role=Role(row.role),
                status=row.status,
                affiliations=sorted(affiliated.get(row.tin, frozenset())),
            )
            for row in rows
        ]

    def resolve(self, token: str) -> Principal:
        """The principal of a live session; `SessionExpired` once it has ended or timed out.

        Each call counts as activity. The idle clock is written at most every `TOUCH_EVERY`, so
        the many reads a screen makes cost no write (a session may so time out up to that much
        early, never late).
        """
        now = self.clock.now()
        digest = accounts.token_digest(token)
        with self.db.read() as conn:
            session = self._session_row(conn, digest)
            if session is None or session["revoked_at"] is not None:
                raise SessionExpired("Your session has ended. Sign in again.")
            expired = _session_timeout(session, now)
            user = accounts.user_row(conn, session["user_id"])
            principal: Principal | None = None
            if expired is None and user is not None and user["status"] == UserStatus.ACTIVE:
                principal = self._live_principal(conn, user, session, now)
        if expired is not None:
            with self.db.write() as conn:
                conn.execute(
                    update(sessions).where(sessions.c.token_hash == digest).values(revoked_at=now)
                )
            raise expired
        if principal is None:
            raise SessionExpired("Your session has ended. Sign in again.")
        stale = now - session["last_seen_at"] >= TOUCH_EVERY
        if stale or principal.active_tin != session["active_tin"]:
            with self.db.write() as conn:
                conn.execute(
                    update(sessions)
                    .where(sessions.c.token_hash == digest, sessions.c.revoked_at.is_(None))
                    .values(last_seen_at=now, active_tin=principal.active_tin)
                )
        return principal

    def _live_principal(
        self, conn: Connection, user: RowMapping, session: RowMapping, now: datetime
    ) -> Principal:
        """The principal of a live session (the active TIN falls back when its role is gone)."""
        roles = accounts.active_roles(conn, user["id"])
        active_tin = session["active_tin"]
        if active_tin not in roles:
            active_tin = _choose_active_tin(user["default_tin"], roles)
        glass_until = session["break_glass_until"]
        live_glass = glass_until is not None and glass_until > now
        return Principal(
            user_id=user["id"],
            username=user["username"],
            session_key=session["token_hash"],
            payer_role=Role(user["payer_role"]) if user["payer_role"] else None,
            tin_roles=roles,
            affiliations=accounts.affiliations(conn, user["id"]),
            active_tin=active_tin,
            break_glass_reason=session["break_glass_reason"] if live_glass else None,
            break_glass_until=glass_until if live_glass else None,
        )

    # -- identity, no session needed --------------------------------------------------------------

    def sign_in(self, username: str, password: str, totp_code: str | None = None) -> SignInResult:
        """Start a session (see the module docstring for the rules)."""
        with self.db.read() as conn:
            user = _user_by_username(conn, username)
        attempt = self._check_credentials(
            username_key(username), user, password, _SIGN_IN_ACTION, BAD_CREDENTIALS
        )
        assert user is not None
        # The password is right: from here on the account's state may be told.
        status = user["status"]
        if status != UserStatus.ACTIVE:
            self._settle(attempt)
        if status == UserStatus.LEGACY:
            raise self._refuse(
                MigrationRequired(
                    "This account comes from the old portal. Choose a new username and password "
                    "to move it over."
                ),
                _SIGN_IN_ACTION,
                user=user,
                record_kind="user",
                record_id=user["id"],
                detail={"reason": "legacy"},
            )
        if status == UserStatus.PENDING:
            # Safe to tell: the password is right, so this is the registrant.
            with self.db.read() as conn:
                waiting = self._pending_requests(conn, user["id"])
            raise self._refuse(
                AuthenticationFailed(pending_words(waiting)),
                _SIGN_IN_ACTION,
                user=user,
                record_kind="user",
                record_id=user["id"],
                detail={"reason": "pending"},
            )
        if status != UserStatus.ACTIVE:
            raise self._refuse(
                AuthenticationFailed(
                    "This account is deactivated. Ask your organization's administrator."
                ),
                _SIGN_IN_ACTION,
                user=user,
                record_kind="user",
                record_id=user["id"],
                detail={"reason": "deactivated"},
            )
        with self.db.read() as conn:
            has_access = bool(user["payer_role"]) or bool(accounts.active_roles(conn, user["id"]))
        if not has_access:
            self._settle(attempt)
            raise self._refuse(
                AuthenticationFailed(
                    "Your account has no active access at any Tax ID. Ask your organization's "
                    "administrator."
                ),
                _SIGN_IN_ACTION,
                user=user,
                record_kind="user",
                record_id=user["id"],
                detail={"reason": "no_access"},
            )
        if totp_code and user["totp_enabled"] and not totp.is_app_code(totp_code):
            self._use_recovery_code(user, totp_code, attempt)
            with self.db.write() as conn:
                fresh = user_row(conn, user["id"])
                return self._open_session(conn, fresh, password, None, attempt, recovery_code=True)
        step = self._check_second_factor(user, totp_code, attempt)
        with self.db.write() as conn:
            # Re-read: the row may have changed while the password was being checked.
            fresh = user_row(conn, user["id"])
            return self._open_session(conn, fresh, password, step, attempt)

    def _use_recovery_code(
        self, user: RowMapping, code: str, attempt: throttles.SignInAttempt
    ) -> None:
        """Spend one of the user's recovery codes in place of a code from the app; raises when it
        is none of their unused ones (a failed sign-in, counted like a wrong app code)."""
        key = totp.recovery_key(code)
        now = self.clock.now()
        with self.db.write() as conn:
            claimed = (
                key is not None
                and conn.execute(
                    update(totp_recovery_codes)
                    .where(
                        totp_recovery_codes.c.code_hash == _recovery_digest(user["id"], key),
                        totp_recovery_codes.c.user_id == user["id"],
                        totp_recovery_codes.c.used_at.is_(None),
                    )
                    .values(used_at=now)
                ).rowcount
                == 1
            )
            if claimed:
                left = _recovery_codes_left(conn, user["id"])
                self._audit(
                    conn,
                    "identity.recovery_code_used",
                    user=user,
                    record_kind="user",
                    record_id=user["id"],
                    detail={"codes_left": left},
                )
                accounts.mail_user(
                    conn,
                    user,
                    "A recovery code was used to sign in",
                    f"Hello {user['full_name']},\n\nThe portal user {user['username']} signed in "
                    f"with a recovery code in place of the authenticator app. {left} recovery "
                    "codes are left; make a new set in Settings.\nIf this was not you, call the "
                    "provider service line at once.\n",
                    now,
                )
        if not claimed:
            raise self._count_failure(
                user, attempt, _SIGN_IN_ACTION, "The code is not right.", "wrong_recovery_code"
            )

    def _check_second_factor(
        self, user: RowMapping, code: str | None, attempt: throttles.SignInAttempt
    ) -> int | None:
        """The accepted TOTP step, None when the user has no second factor; raises otherwise.

        A wrong code is a failed sign-in (the attempt stays counted), so codes are throttled
        with the password per account and address."""
        if not user["totp_enabled"] or not user["totp_secret"]:
            return None
        if not code or not code.strip():
            self._settle(attempt)
            raise SecondFactorRequired(
                "Enter the 6-digit code from your authenticator app, or one of your recovery codes."
            )
        step = totp.matching_step(user["totp_secret"], code, self.clock.now())
        if step is None:
            raise self._count_failure(
                user, attempt, _SIGN_IN_ACTION, "The code is not right.", "wrong_code"
            )
        last = user["totp_last_step"]
        if last is not None and step <= last:
            raise self._refuse(
                AuthenticationFailed(
                    "That code was already used. Wait for the next one and try again."
                ),
                _SIGN_IN_ACTION,
                user=user,
                record_kind="user",
                record_id=user["id"],
                detail={"reason": "replayed_code"},
            )
        return step

    def _pending_requests(self, conn: Connection, user_id: int) -> list[tuple[str, str, datetime]]:
        """The user's requests waiting for approval: (TIN, its name, when asked), oldest first."""
        rows = conn.execute(
            select(user_roles.c.tin, tins.c.name, user_roles.c.created_at)
            .join(tins, tins.c.tin == user_roles.c.tin)
            .where(user_roles.c.user_id == user_id, user_roles.c.status == "pending")
            .order_by(user_roles.c.created_at, user_roles.c.tin)
        ).all()
        return [(row.tin, row.name, row.created_at) for row in rows]

    def register(self, registration: Registration) -> RegistrationOutcome:
        """Register a new user for a TIN with proof of the relationship."""
        username = parse_username(registration.username)
        email = parse_email(registration.email)
        tin = parse_tin(registration.tin)
        full_name = registration.full_name.strip()
        if not full_name or len(full_name) > 200:
            raise ValidationFailed(
                "Enter your full name (at most 200 characters).", field="full_name"
            )
        phone = registration.phone.strip()
        if len(phone) > 30:
            raise ValidationFailed("A phone number has at most 30 characters.", field="phone")
        check_password(
            registration.password, username, context=_password_context(self.db, email, full_name)
        )
        # The proof first: without it nobody learns whether a username is taken.
        self._prove(registration.proof, tin)
        with self.db.read() as conn:
            taken = _user_by_username(conn, username) is not None
        if taken:
            raise Conflict("That username is taken. Choose another.", field="username")
        now = self.clock.now()
        password_hash = hash_password(registration.password)
        try:
            with self.db.write() as conn:
                becomes_admin = not self._has_active_admin(conn, tin)
                user_id = new_id(
                    conn.execute(
                        insert(users).values(
                            username=username,
                            username_key=username_key(username),
                            full_name=full_name,
                            email=email,
                            phone=phone,
                            password_hash=password_hash,
                            status="active" if becomes_admin else "pending",
                            failed_sign_ins=0,
                            locked=False,
                            totp_enabled=False,
                            default_tin=tin,
                            notification_prefs={},
                            created_at=now,
                            password_changed_at=now,
                        )
                    )
                )
                user = user_row(conn, user_id)
                outcome = self._grant_or_queue(conn, user, tin, becomes_admin, now)
                # The address counts (recovery mail) only once the code mailed to it comes back.
                email_proof.start_proof(conn, user, email, user, now)
                self._audit(
                    conn,
                    "identity.register",
                    user=user,
                    tin=tin,
                    record_kind="user",
                    record_id=user_id,
                    detail={
                        "role": outcome.role.value if outcome.role else None,
                        "pending": outcome.pending,
                        "proof": proof_kind(registration.proof),
                    },
                )
                return outcome
        except IntegrityError:
            raise Conflict("That username is taken. Choose another.", field="username") from None

    def _prove(
        self, proof: RegistrationProof, tin: str, *, principal: Principal | None = None
    ) -> None:
        """Check a proof of a tie to `tin`, throttled per client address, TIN and account."""
        kind = proof_kind(proof)
        action = "identity.prove_tin"
        now = self.clock.now()
        limits = [(throttles.PROOF_ADDRESS, throttles.caller().address), (throttles.PROOF_TIN, tin)]
        if principal is not None:
            limits.append((throttles.PROOF_ACCOUNT, str(principal.user_id)))
        attempt = self._begin_throttled(limits, action, principal=principal, tin=tin)
        with self.db.read() as conn:
            proven = proves_tin(conn, tin, proof, now)
        with self.db.write() as conn:
            if proven:
                throttles.succeeded(conn, attempt)
                return
            self._audit(
                conn, action, outcome="failed", principal=principal, tin=tin, detail={"proof": kind}
            )
            if attempt.failures[throttles.PROOF_TIN.kind] == throttles.PROOF_TIN.failures:
                throttles.tin_locked(conn, tin, now)
                self._audit(conn, "identity.tin_proof_locked", tin=tin, principal=principal)
        field = "registration_code" if kind == "registration_code" else "claim_number"
        raise ValidationFailed(NOT_PROVEN, field=field)

    def _has_active_admin(self, conn: Connection, tin: str) -> bool:
        found = conn.execute(
            select(user_roles.c.user_id)
            .join(users, users.c.id == user_roles.c.user_id)
            .where(
                user_roles.c.tin == tin,
                user_roles.c.role == Role.ADMINISTRATOR.value,
                user_roles.c.status == "active",
                users.c.status == "active",
            )
            .limit(1)
        ).first()
        return found is not None

    def _grant_or_queue(
        self, conn: Connection, user: RowMapping, tin: str, becomes_admin: bool, now: datetime
    ) -> RegistrationOutcome:
        """Make the user the TIN's administrator, or queue them for approval (caller's txn)."""
        conn.execute(
            insert(user_roles).values(
                user_id=user["id"],
                tin=tin,
                role=(Role.ADMINISTRATOR if becomes_admin else PENDING_ROLE).value,
                status="active" if becomes_admin else "pending",
                created_at=now,
                updated_at=now,
            )
        )
        shown = format_tin(tin)
        if becomes_admin:
            accounts.mail_user(
                conn,
                user,
                "You are the administrator of your organization in the provider portal",
                f"Hello {user['full_name']},\n\nYou are now the portal administrator for Tax ID "
                f"{shown}. You approve the people who register for it after you and manage "
                "their access.\n",
                now,
            )
            return RegistrationOutcome(
                user_id=user["id"],
                tin=tin,
                role=Role.ADMINISTRATOR,
                pending=False,
                message=f"You are the administrator of Tax ID {shown}.",
            )
        for manager_id in self._managers(conn, tin):
            accounts.notify(
                conn,
                manager_id,
                "access",
                f"{user['username']} asks for access to Tax ID {shown} and waits for approval.",
                now,
                link_kind="user",
                link_id=user["id"],
            )
        return RegistrationOutcome(
            user_id=user["id"],
            tin=tin,
            role=None,
            pending=True,
            message=(
                f"Your request for Tax ID {shown} waits for approval by its administrator, "
                "who will choose your role."
            ),
        )

    def _managers(self, conn: Connection, tin: str) -> list[int]:
        """Active administrators and practice maintenance users of a TIN."""
        rows = conn.execute(
            select(user_roles.c.user_id)
            .join(users, users.c.id == user_roles.c.user_id)
            .where(
                user_roles.c.tin == tin,
                user_roles.c.status == "active",
                user_roles.c.role.in_((Role.ADMINISTRATOR.value, Role.PRACTICE_MAINTENANCE.value)),
                users.c.status == "active",
            )
        )
        return [int(row.user_id) for row in rows]

    def forgot_username(self, email: str) -> None:
        """Mail the usernames registered to `email`; the same outcome whether or not it is known."""
        address = parse_email(email)
        now = self.clock.now()
        self._begin_throttled(
            [
                (throttles.REMINDER_EMAIL, address.casefold()),
                (throttles.REMINDER_ADDRESS, throttles.caller().address),
            ],
            "identity.forgot_username",
        )
        with self.db.write() as conn:
            rows = list(
                conn.execute(
                    select(users.c.id, users.c.username, users.c.email)
                    .where(
                        func.lower(users.c.email) == address.lower(),
                        users.c.email_verified_at.is_not(None),
                        users.c.status != UserStatus.DEACTIVATED.value,
                    )
                    .order_by(users.c.username_key)
                )
            )
            if rows:
                names = "\n".join(f"    {row.username}" for row in rows)
                accounts.queue_mail(
                    conn,
                    rows[0].email,
                    "Your provider portal username",
                    "Hello,\n\nThe portal usernames registered to this address are:\n\n"
                    f"{names}\n\nIf you did not ask for this, you can ignore this mail.\n",
                    now,
                    user_id=int(rows[0].id),
                )
            self._audit(
                conn,
                "identity.forgot_username",
                outcome="ok" if rows else "failed",
                detail={"usernames_mailed": len(rows)},
            )

    def request_password_reset(self, username: str, email: str) -> None:
        """Mail a reset token when username and email match; the same outcome whatever the input."""
        name = username_key(username)
        self._begin_throttled(
            [
                (throttles.RESET_REQUEST_ACCOUNT, name),
                (throttles.RESET_REQUEST_ADDRESS, throttles.caller().address),
            ],
            "identity.request_password_reset",
            account=name,
        )
        with self.db.write() as conn:
            user = _user_by_username(conn, username)
            matches = (
                user is not None
                and user["email"].strip().casefold() == email.strip().casefold()
                and user["email_verified_at"] is not None
                and user["status"] in (UserStatus.ACTIVE.value, UserStatus.PENDING.value)
            )
            if matches:
                assert user is not None
                accounts.issue_password_reset(conn, user, self.clock.now())
                self._audit(
                    conn,
                    "identity.request_password_reset",
                    user=user,
                    record_kind="user",
                    record_id=user["id"],
                )
            else:
                self._audit(
                    conn,
                    "identity.request_password_reset",
                    outcome="failed",
                    detail={"reason": "no_match", "name_digest": throttles.name_digest(name)},
                )

    def reset_password(self, token: str, new_password: str) -> None:
        """Set a new password with a mailed token (single use, 30 minutes); ends every session."""
        now = self.clock.now()
        digest = accounts.token_digest(token.strip())
        invalid = ValidationFailed(
            "That reset code is not valid or has expired. Ask for a new one.", field="token"
        )
        attempt = self._begin_throttled(
            [(throttles.RESET_CODE_ADDRESS, throttles.caller().address)], "identity.reset_password"
        )
        with self.db.read() as conn:
            reset = (
                conn.execute(select(password_resets).where(password_resets.c.token_hash == digest))
                .mappings()
                .first()
            )
            user = accounts.user_row(conn, reset["user_id"]) if reset is not None else None
        if (
            reset is None
            or user is None
            or reset["used_at"] is not None
            or now >= reset["expires_at"]
            or user["status"] not in (UserStatus.ACTIVE.value, UserStatus.PENDING.value)
        ):
            raise self._refuse(
                invalid,
                "identity.reset_password",
                user=user,
                record_kind="user" if user is not None else None,
                record_id=user["id"] if user is not None else None,
                outcome="failed",
                detail={"reason": "invalid_token"},
            )
        check_password(
            new_password,
            user["username"],
            has_mfa=bool(user["totp_enabled"]),
            context=_password_context(self.db, user["email"], user["full_name"]),
        )
        new_hash = hash_password(new_password)
        with self.db.write() as conn:
            # Claim the token inside the write, so two uses racing cannot both succeed.
            claimed = conn.execute(
                update(password_resets)
                .where(password_resets.c.token_hash == digest, password_resets.c.used_at.is_(None))
                .values(used_at=now)
            ).rowcount
            if not claimed:
                raise invalid
            throttles.succeeded(conn, attempt)
            # The owner's reset lifts every sign-in lock and count of the account, wherever from.
            throttles.lift_account(conn, user["username_key"])
            # Every other outstanding token of the user stops working too.
            conn.execute(
                update(password_resets)
                .where(password_resets.c.user_id == user["id"], password_resets.c.used_at.is_(None))
                .values(used_at=now)
            )
            conn.execute(
                update(users)
                .where(users.c.id == user["id"])
                .values(
                    password_hash=new_hash,
                    password_changed_at=now,
                    failed_sign_ins=0,
                    throttled_until=None,
                    locked=False,
                    # Reset codes go only to the address on file: using one proves it.
                    email_verified_at=user["email_verified_at"] or now,
                )
            )
            ended = accounts.end_sessions(conn, user["id"], now)
            accounts.mail_user(
                conn,
                user,
                "Your provider portal password was reset",
                f"Hello {user['full_name']},\n\nThe password of the portal user "
                f"{user['username']} was reset and every session of it ended.\nIf this was not "
                "you, call the provider service line at once.\n",
                now,
            )
            self._audit(
                conn,
                "identity.reset_password",
                user=user,
                record_kind="user",
                record_id=user["id"],
                detail={"sessions_ended": ended, "was_locked": bool(user["locked"])},
            )

    def migrate_legacy_account(self, migration: LegacyMigration) -> SignInResult:
        """First sign-in of an old-portal account: new username, password and email; signs in."""
        action = "identity.migrate_legacy"
        with self.db.read() as conn:
            user = _user_by_username(conn, migration.legacy_username)
        attempt = self._check_credentials(
            username_key(migration.legacy_username),
            user,
            migration.legacy_password,
            action,
            BAD_CREDENTIALS,
        )
        assert user is not None
        self._settle(attempt)
        if user["status"] != UserStatus.LEGACY:
            raise self._refuse(
                ValidationFailed(
                    "This account has already been moved over. Sign in with its username.",
                    field="legacy_username",
                ),
                action,
                user=user,
                record_kind="user",
                record_id=user["id"],
                detail={"reason": "not_legacy"},
            )
        new_username = parse_username(migration.new_username)
        email = parse_email(migration.email)
        check_password(
            migration.new_password,
            new_username,
            context=_password_context(self.db, email, user["full_name"], user["username"]),
        )
        new_key = username_key(new_username)
        new_hash = hash_password(migration.new_password)
        now = self.clock.now()
        try:
            with self.db.write() as conn:
                holder = _user_by_username(conn, new_username)
                if holder is not None and holder["id"] != user["id"]:
                    raise Conflict("That username is taken. Choose another.", field="new_username")
                conn.execute(
                    update(users)
                    .where(users.c.id == user["id"])
                    .values(
                        username=new_username,
                        username_key=new_key,
                        password_hash=new_hash,
                        password_changed_at=now,
                        status=UserStatus.ACTIVE.value,
                    )
                )
                fresh = user_row(conn, user["id"])
                # The typed address replaces the old portal's only once the code mailed to it
                # is entered (signed in, right after this).
                email_proof.start_proof(conn, fresh, email, fresh, now)
                self._audit(
                    conn,
                    action,
                    user=fresh,
                    record_kind="user",
                    record_id=user["id"],
                    detail={
                        "before": {"username": user["username"], "status": user["status"]},
                        "after": {"username": new_username, "status": UserStatus.ACTIVE.value},
                        "email_changed": user["email"].casefold() != email.casefold(),
                    },
                )
                return self._open_session(conn, fresh, migration.new_password, None)
        except IntegrityError:
            raise Conflict(
                "That username is taken. Choose another.", field="new_username"
            ) from None

    # -- identity, own account --------------------------------------------------------------------

    def sign_out(self, principal: Principal) -> None:
        """End the session (idempotent)."""
        now = self.clock.now()
        with self.db.write() as conn:
            ended = conn.execute(
                update(sessions)
                .where(
                    sessions.c.token_hash == principal.session_key,
                    sessions.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            ).rowcount
            if ended:
                self._audit(conn, "identity.sign_out", principal=principal)

    def account(self, principal: Principal) -> Account:
        """The signed-in user's account."""
        with self.db.read() as conn:
            return self._account(conn, principal.user_id, principal.session_key)

    def verify_password(self, principal: Principal, password: str) -> None:
        """Unlock the idle-locked screen: check the password (failures count as at sign-in)."""
        self._check_own_password(principal, password, "identity.unlock_screen")
        with self.db.write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == principal.user_id)
                .values(failed_sign_ins=0, throttled_until=None)
            )
            conn.execute(
                update(sessions)
                .where(sessions.c.token_hash == principal.session_key)
                .values(last_seen_at=self.clock.now())
            )
            self._audit(conn, "identity.unlock_screen", principal=principal)

    def change_password(
        self, principal: Principal, current_password: str, new_password: str
    ) -> None:
        """Change the password; every other session of the user ends."""
        action = "identity.change_password"
        user = self._check_own_password(principal, current_password, action)
        check_password(
            new_password,
            user["username"],
            has_mfa=bool(user["totp_enabled"]),
            context=_password_context(self.db, user["email"], user["full_name"]),
        )
        if new_password == current_password:
            raise ValidationFailed(
                "The new password is the same as the current one.", field="new_password"
            )
        new_hash = hash_password(new_password)
        now = self.clock.now()
        with self.db.write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == principal.user_id)
                .values(
                    password_hash=new_hash,
                    password_changed_at=now,
                    failed_sign_ins=0,
                    throttled_until=None,
                )
            )
            ended = accounts.end_sessions(conn, principal.user_id, now, keep=principal.session_key)
            accounts.mail_user(
                conn,
                user,
                "Your provider portal password was changed",
                f"Hello {user['full_name']},\n\nThe password of the portal user "
                f"{user['username']} was changed.\nIf this was not you, call the provider service "
                "line at once.\n",
                now,
            )
            self._audit(
                conn,
                action,
                principal=principal,
                record_kind="user",
                record_id=principal.user_id,
                detail={"other_sessions_ended": ended},
            )

    def begin_totp_enrollment(self, principal: Principal) -> TotpEnrollment:
        """A new TOTP secret to add to an authenticator app (not on until confirmed)."""
        with self.db.write() as conn:
            user = user_row(conn, principal.user_id)
            if user["totp_enabled"]:
                raise Conflict(
                    "A second factor is already on. Remove it before enrolling another.",
                    field="code",
                )
            secret = totp.new_secret()
            conn.execute(
                update(users)
                .where(users.c.id == principal.user_id)
                .values(totp_secret=secret, totp_last_step=None)
            )
            self._audit(
                conn,
                "identity.totp_begin",
                principal=principal,
                record_kind="user",
                record_id=principal.user_id,
            )
        return TotpEnrollment(
            secret=secret, provisioning_uri=totp.provisioning_uri(secret, user["username"])
        )

    def confirm_totp_enrollment(self, principal: Principal, code: str) -> RecoveryCodes:
        """Turn TOTP on with a code from the app; hands out its recovery codes (shown once)."""
        action = "identity.totp_confirm"
        with self.db.read() as conn:
            user = user_row(conn, principal.user_id)
        if user["totp_enabled"]:
            raise Conflict("The second factor is already on.", field="code")
        if not user["totp_secret"]:
            raise ValidationFailed("Start the enrollment first.", field="code")
        attempt = self._begin_throttled(
            [(throttles.TOTP_ACCOUNT, str(principal.user_id))], action, principal=principal
        )
        step = totp.matching_step(user["totp_secret"], code, self.clock.now())
        if step is None:
            raise self._refuse(
                ValidationFailed(
                    "The code is not right. Check the time on your device and try again.",
                    field="code",
                ),
                action,
                principal=principal,
                record_kind="user",
                record_id=principal.user_id,
                outcome="failed",
            )
        with self.db.write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == principal.user_id)
                .values(totp_enabled=True, totp_last_step=step)
            )
            codes = _issue_recovery_codes(conn, principal.user_id, self.clock.now())
            throttles.succeeded(conn, attempt)
            self._audit(
                conn,
                action,
                principal=principal,
                record_kind="user",
                record_id=principal.user_id,
                detail=(_changes({"totp_enabled": False}, {"totp_enabled": True}) or {})
                | {"recovery_codes": len(codes)},
            )
        return RecoveryCodes(codes=codes)

    def regenerate_recovery_codes(self, principal: Principal, password: str) -> RecoveryCodes:
        """A new set of recovery codes (needs the password); the old set stops working."""
        action = "identity.recovery_codes"
        user = self._check_own_password(principal, password, action)
        if not user["totp_enabled"]:
            raise ValidationFailed(
                "Two-step sign-in is off: recovery codes come with turning it on.", field="password"
            )
        now = self.clock.now()
        with self.db.write() as conn:
            left = _recovery_codes_left(conn, principal.user_id)
            codes = _issue_recovery_codes(conn, principal.user_id, now)
            accounts.mail_user(
                conn,
                user,
                "New recovery codes for two-step sign-in",
                f"Hello {user['full_name']},\n\nA new set of recovery codes was made for the "
                f"portal user {user['username']}; the old codes no longer work.\nIf this was not "
                "you, call the provider service line at once.\n",
                now,
            )
            self._audit(
                conn,
                action,
                principal=principal,
                record_kind="user",
                record_id=principal.user_id,
                detail={"voided": left, "recovery_codes": len(codes)},
            )
        return RecoveryCodes(codes=codes)

    def remove_totp(self, principal: Principal, password: str) -> None:
        """Turn TOTP off (needs the password; refused while the password is under 15 characters)."""
        action = "identity.totp_remove"
        user = self._check_own_password(principal, password, action)
        if not user["totp_enabled"]:
            raise ValidationFailed("No second factor is on.", field="password")
        if len(password) < MIN_LENGTH:
            raise self._refuse(
                ValidationFailed(
                    f"Your password has fewer than {MIN_LENGTH} characters. Change it to a longer "
                    "one before turning the second factor off.",
                    field="password",
                ),
                action,
                principal=principal,
                record_kind="user",
                record_id=principal.user_id,
                detail={"reason": "short_password"},
            )
        with self.db.write() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == principal.user_id)
                .values(totp_enabled=False, totp_secret=None, totp_last_step=None)
            )
            conn.execute(
                delete(totp_recovery_codes).where(
                    totp_recovery_codes.c.user_id == principal.user_id
                )
            )
            self._audit(
                conn,
                action,
                principal=principal,
                record_kind="user",
                record_id=principal.user_id,
                detail=_changes({"totp_enabled": True}, {"totp_enabled": False}),
            )

    def update_settings(self, principal: Principal, changes: AccountSettings) -> Account:
        """Change own name, phone, default TIN, theme or notification choices."""
        values: dict[str, Any] = {}
        if changes.full_name is not None:
            name = changes.full_name.strip()
            if not name or len(name) > 200:
                raise ValidationFailed(
                    "Enter your full name (at most 200 characters).", field="full_name"
                )
            values["full_name"] = name
        if changes.phone is not None:
            phone = changes.phone.strip()
            if len(phone) > 30:
                raise ValidationFailed("A phone number has at most 30 characters.", field="phone")
            values["phone"] = phone
        if changes.theme is not None:
            theme = changes.theme.strip()
            if not _THEME.fullmatch(theme):
                raise ValidationFailed(
                    "A theme name is 1 to 40 lower-case letters, digits or hyphens.", field="theme"
                )
            values["theme"] = theme
        default_tin = None
        if changes.default_tin is not None:
            default_tin = parse_tin(changes.default_tin)
        if changes.notification_prefs is not None:
            for key, value in changes.notification_prefs.items():
                if not _PREF_KEY.fullmatch(key) or not isinstance(value, bool):
                    raise ValidationFailed(
                        "Notification choices are names of notices, each on or off.",
                        field="notification_prefs",
                    )
        with self.db.write() as conn:
            user = user_row(conn, principal.user_id)
            if default_tin is not None:
                if default_tin not in accounts.active_roles(conn, principal.user_id):
                    raise ValidationFailed(
                        "The default Tax ID must be one where you have active access.",
                        field="default_tin",
                    )
                values["default_tin"] = default_tin
            if changes.notification_prefs is not None:
                values["notification_prefs"] = dict(user["notification_prefs"] or {}) | dict(
                    changes.notification_prefs
                )
            before = {name: user[name] for name in values}
            detail = _changes(before, values)
            if detail is not None:
                conn.execute(update(users).where(users.c.id == principal.user_id).values(**values))
                self._audit(
                    conn,
                    "identity.update_settings",
                    principal=principal,
                    record_kind="user",
                    record_id=principal.user_id,
                    detail=detail,
                )
            return self._account(conn, principal.user_id, principal.session_key)

    def set_active_tin(self, principal: Principal, tin: str) -> Account:
        """Work as the user's role at `tin` for the rest of the session."""
        chosen = parse_tin(tin)
        with self.db.write() as conn:
            if chosen not in accounts.active_roles(conn, principal.user_id):
                raise ValidationFailed("You have no active access at that Tax ID.", field="tin")
            session = self._session_row(conn, principal.session_key)
            idle = _clamp_idle(accounts.tin_idle_minutes(conn, chosen))
            conn.execute(
                update(sessions)
                .where(sessions.c.token_hash == principal.session_key)
                .values(active_tin=chosen, idle_minutes=idle)
            )
            self._audit(
                conn,
                "identity.set_active_tin",
                principal=principal,
                tin=chosen,
                record_kind="session",
                detail=_changes(
                    {"active_tin": session["active_tin"] if session else None},
                    {"active_tin": chosen},
                ),
            )
            return self._account(conn, principal.user_id, principal.session_key)

    def register_additional_tin(
        self, principal: Principal, tin: str, proof: RegistrationProof
    ) -> RegistrationOutcome:
        """Ask for a role at another TIN with the same proof as registration."""
        chosen = parse_tin(tin)
        self._require(principal, Action.REGISTER_ADDITIONAL_TIN, "identity.register_additional_tin")
        with self.db.read() as conn:
            existing = conn.execute(
                select(user_roles.c.status).where(
                    user_roles.c.user_id == principal.user_id, user_roles.c.tin == chosen
                )
            ).scalar_one_or_none()
        if existing in ("active", "pending"):
            raise Conflict(
                "You already have access to that Tax ID, or a request for it waits.", field="tin"
            )
        self._prove(proof, chosen, principal=principal)
        now = self.clock.now()
        with self.db.write() as conn:
            user = user_row(conn, principal.user_id)
            becomes_admin = not self._has_active_admin(conn, chosen)
            # A role removed earlier is replaced by the new request.
            conn.execute(
                delete(user_roles).where(
                    user_roles.c.user_id == principal.user_id, user_roles.c.tin == chosen
                )
            )
            outcome = self._grant_or_queue(conn, user, chosen, becomes_admin, now)
            self._audit(
                conn,
                "identity.register_additional_tin",
                principal=principal,
                tin=chosen,
                record_kind="user",
                record_id=principal.user_id,
                detail={
                    "role": outcome.role.value if outcome.role else None,
                    "pending": outcome.pending,
                    "proof": proof_kind(proof),
                },
            )
            return outcome

    def consolidate_account(
        self, principal: Principal, other_username: str, other_password: str
    ) -> ConsolidationResult:
        """Move another account (same email, proven by its password) into this one."""
        action = "identity.consolidate"
        wrong = "The username or password of the other account is not right."
        with self.db.read() as conn:
            me = user_row(conn, principal.user_id)
            other = _user_by_username(conn, other_username)
        if other is not None and other["id"] == principal.user_id:
            raise ValidationFailed(
                "That is the account you are signed in with.", field="other_username"
            )
        attempt = self._check_credentials(
            username_key(other_username), other, other_password, action, wrong, principal=principal
        )
        assert other is not None
        self._settle(attempt)
        if other["status"] == UserStatus.DEACTIVATED.value:
            raise self._refuse(
                ValidationFailed(
                    "That account is deactivated and cannot be moved.", field="other_username"
                ),
                action,
                principal=principal,
                record_kind="user",
                record_id=other["id"],
                detail={"reason": "deactivated"},
            )
        if other["payer_role"] or me["payer_role"]:
            raise self._refuse(
                ValidationFailed(
                    "Payer staff accounts are not consolidated.", field="other_username"
                ),
                action,
                principal=principal,
                record_kind="user",
                record_id=other["id"],
                detail={"reason": "payer_account"},
            )
        if other["email"].strip().casefold() != me["email"].strip().casefold():
            raise self._refuse(
                ValidationFailed(
                    "The other account must have the same email address as yours.",
                    field="other_username",
                ),
                action,
                principal=principal,
                record_kind="user",
                record_id=other["id"],
                detail={"reason": "email_differs"},
            )
        now = self.clock.now()
        with self.db.write() as conn:
            moved, notes = move_roles(conn, other["id"], principal.user_id, now)
            conn.execute(
                update(users)
                .where(users.c.id == other["id"])
                .values(status=UserStatus.DEACTIVATED.value, merged_into=principal.user_id)
            )
            ended = accounts.end_sessions(conn, other["id"], now)
            self._audit(
                conn,
                action,
                principal=principal,
                record_kind="user",
                record_id=other["id"],
                detail={
                    "merged_user_id": other["id"],
                    "moved_tins": moved,
                    "notes": notes,
                    "sessions_ended": ended,
                    "before": {"status": other["status"], "merged_into": None},
                    "after": {"status": "deactivated", "merged_into": principal.user_id},
                },
            )
        return ConsolidationResult(merged_user_id=other["id"], moved_tins=moved, notes=notes)

    def start_break_glass(self, principal: Principal, reason: str, minutes: int) -> Account:
        """Open a time-boxed emergency read window (break_glass role only; reason required)."""
        action = "identity.break_glass"
        self._require(principal, Action.BREAK_GLASS, action)
        cleaned = " ".join(reason.split())
        if len(cleaned) < BREAK_GLASS_MIN_REASON:
            raise ValidationFailed(
                f"Give a reason of at least {BREAK_GLASS_MIN_REASON} characters.", field="reason"
            )
        if len(cleaned) > 1000:
            raise ValidationFailed("Keep the reason under 1000 characters.", field="reason")
        low, high = BREAK_GLASS_MINUTES
        if not low <= minutes <= high:
            raise ValidationFailed(
                f"Emergency access lasts {low} to {high} minutes.", field="minutes"
            )
        now = self.clock.now()
        until = now + timedelta(minutes=minutes)
        with self.db.write() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.token_hash == principal.session_key)
                .values(break_glass_reason=cleaned, break_glass_until=until)
            )
            audit.record(
                conn,
                at=now,
                action=action,
                principal=principal.model_copy(
                    update={"break_glass_reason": cleaned, "break_glass_until": until}
                ),
                record_kind="session",
                reason=cleaned,
                detail={"minutes": minutes, "until": until.isoformat()},
            )
            return self._account(conn, principal.user_id, principal.session_key)


TOUCH_EVERY = timedelta(seconds=30)
"""How often a session's idle clock is written (see `IdentityService.resolve`)."""


def pending_words(waiting: list[tuple[str, str, datetime]]) -> str:
    """What a pending registrant is told at sign-in: which TINs wait, since when (the payer's
    calendar day)."""
    if not waiting:
        return "Your registration is waiting for approval by your organization's administrator."
    asked = "; ".join(
        f"TIN {format_tin(tin)} ({name}), asked on {when.astimezone(PAYER_TIME_ZONE):%m/%d/%Y}"
        for tin, name, when in waiting
    )
    return (
        f"Your registration is waiting for approval by the TIN's administrator: {asked}. "
        "You can sign in once it is approved."
    )


def _session_timeout(session: RowMapping, now: datetime) -> SessionExpired | None:
    """Why a session has timed out (absolute or idle limit), or None while it is live."""
    if now >= session["expires_at"]:
        return SessionExpired(
            "Your session reached its 12-hour limit. Sign in again.", reason="session_lifetime"
        )
    if now > session["last_seen_at"] + timedelta(minutes=session["idle_minutes"]):
        return SessionExpired(
            f"You were signed out after {session['idle_minutes']} minutes without activity. "
            "Sign in again.",
            reason="idle_timeout",
        )
    return None


def _password_context(db: Database, *words: str | None) -> tuple[str, ...]:
    """What a password must not be built from besides the username: `words` (the user's name and
    email) and the health plan's name (NIST SP 800-63B: context-specific words)."""
    with db.read() as conn:
        payers = conn.execute(
            select(organizations.c.name).where(organizations.c.kind == "payer")
        ).scalars()
        return (*payers, *(word for word in words if word))
