"""Throttles for every guessable secret: sign-in passwords and TOTP codes, registration and
additional-TIN proofs, reset codes, reset requests and username reminders (NIST SP 800-63B 5.2.2).

Every attempt at a code is counted before its secret is checked (`store/throttles.py`, atomically
in the database, so parallel guesses and several server workers count the same), and taken back
when it succeeds. A sign-in attempt is held in flight while its password is checked and counted as
a failure only when it fails: right passwords checked at the same moment never count against each
other (an office of fifty behind one address, a script signing in in parallel), while once a
failure is on record the attempts in flight count too, one at a time per name and address (a
clean sign-in only reads its counters). A counter is kept per account, per client address and per
target (TIN, username, email address), each by keyed digest, so an unknown username is counted and
answered exactly like a real one and no address or typed name is stored in clear.

Sign-in (`sign_in_gate`, `hold_sign_in`, then `sign_in_failed` or `signed_in`):

- per username and client address: from the 3rd failure in a row each attempt waits 2^(n-3)
  seconds; the 10th locks that username *from that address* for 24 hours;
- per username from every address: from the 10th failure the wait is at most a minute, and the
  100th locks the account (`users.locked`) - but neither applies to an address the owner has signed
  in from before, so a stranger elsewhere cannot keep the owner out;
- per client address: 30 failures in 15 minutes, whatever the usernames, refuse the address.

The owner's password reset (or an administrator's unlock) lifts every count and lock of the account
(`lift_account`). The client address is the caller's (`calling_from`; the API sets it per request,
the local client is `local`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from portal_core.errors import TooManyAttempts
from portal_core.keys import keyed_digest
from portal_core.models.identity import Role
from portal_core.rules.identifiers import format_tin
from portal_core.store import accounts
from portal_core.store import throttles as counters
from portal_core.store.schema import tins, users
from portal_core.store.throttles import Counter, CounterKey

ADDRESS_LIMIT = 30
"""Failed sign-ins one client address may make within `ADDRESS_WINDOW`."""

ADDRESS_WINDOW = timedelta(minutes=15)
"""The window of the per-address sign-in count."""

PAIR_WAIT_AFTER = 3
"""Failures in a row (one username, one address) after which each attempt waits."""

PAIR_LOCK_AFTER = 10
"""Failures in a row (one username, one address) that lock the username from that address."""

PAIR_WINDOW = timedelta(hours=24)
"""How long the per username-and-address count (and its lock) lasts without a success."""

ACCOUNT_WAIT_AFTER = 10
"""Failures in a row from every address after which strangers' attempts wait."""

ACCOUNT_MAX_WAIT = timedelta(minutes=1)
"""The longest account-wide wait (the cap that keeps a stranger from shutting the owner out)."""

ACCOUNT_LOCK_AFTER = 100
"""Failures in a row from every address that lock the account for unproven addresses."""

ACCOUNT_WINDOW = timedelta(hours=24)
"""How long the account-wide count lasts without a success."""

PROVEN_FOR = timedelta(days=90)
"""How long an address the owner signed in from stays exempt from the account-wide limits."""

LOCKED = (
    "This account is locked after too many failed sign-ins. Reset your password with "
    "'Forgot password', or ask your organization's administrator to unlock it."
)
"""What a locked username is told (the same for an account and for a name that is none)."""

NAME_PURPOSE = "audit.unknown_username"
"""The subkey purpose of the digests the audit keeps of unknown names."""

PAIR = "sign_in.pair"
ACCOUNT = "sign_in.account"
ADDRESS = "sign_in.address"


@dataclass(frozen=True)
class Caller:
    """Where the current call comes from, and the per-address sign-in limit that applies."""

    address: str
    """The client address (`local` for the local client)."""
    address_limit: int = ADDRESS_LIMIT
    """Failed sign-ins allowed per `address_window`."""
    address_window: timedelta = ADDRESS_WINDOW
    """The per-address window."""


LOCAL = Caller("local")
"""The caller of the in-process client."""

_caller: ContextVar[Caller] = ContextVar("portal_caller", default=LOCAL)


def caller() -> Caller:
    """The current call's caller."""
    return _caller.get()


@contextmanager
def calling_from(who: Caller) -> Iterator[None]:
    """Run the calls inside on behalf of `who` (the API wraps each request's service call)."""
    token = _caller.set(who)
    try:
        yield
    finally:
        _caller.reset(token)


@dataclass(frozen=True)
class Limit:
    """A throttle of one kind: at most `failures` within `window`, then refused until it ends."""

    kind: str
    """The counter kind."""
    failures: int
    """Attempts allowed within the window."""
    window: timedelta
    """The window's length."""
    message: str
    """What the refused are told; `{wait}` becomes the time left."""


PROOF_ADDRESS = Limit(
    "proof.address",
    10,
    timedelta(hours=1),
    "Too many failed attempts to prove a tie to a Tax ID from your network address. "
    "Wait {wait} and try again.",
)
PROOF_TIN = Limit(
    "proof.tin",
    10,
    timedelta(hours=24),
    "Registration with this Tax ID is locked after too many failed attempts. Try again in "
    "{wait}, or call the provider service line.",
)
PROOF_ACCOUNT = Limit(
    "proof.account",
    5,
    timedelta(hours=24),
    "You made too many failed attempts to prove a tie to a Tax ID. Wait {wait} and try again.",
)
RESET_CODE_ADDRESS = Limit(
    "reset_code.address",
    10,
    timedelta(hours=1),
    "Too many reset codes that did not work from your network address. Wait {wait} and try again.",
)
RESET_REQUEST_ACCOUNT = Limit(
    "reset_request.account",
    3,
    timedelta(hours=1),
    "A reset was already asked for this username several times. Use the code in the mail, or "
    "wait {wait} and ask again.",
)
RESET_REQUEST_ADDRESS = Limit(
    "reset_request.address",
    10,
    timedelta(hours=1),
    "Too many reset requests from your network address. Wait {wait} and try again.",
)
REMINDER_EMAIL = Limit(
    "username_reminder.email",
    3,
    timedelta(hours=1),
    "A username reminder was already asked for this address several times. Check the mail, or "
    "wait {wait} and ask again.",
)
REMINDER_ADDRESS = Limit(
    "username_reminder.address",
    10,
    timedelta(hours=1),
    "Too many username reminders from your network address. Wait {wait} and try again.",
)
EMAIL_CODE_ADDRESS = Limit(
    "email_code.address",
    10,
    timedelta(hours=1),
    "Too many address codes that did not work from your network address. Wait {wait} and try "
    "again.",
)
TOTP_ACCOUNT = Limit(
    "totp.account",
    5,
    timedelta(minutes=15),
    "Too many codes that were not right. Wait {wait} and try again.",
)


@dataclass(frozen=True)
class Refusal:
    """An attempt refused unchecked: the audit reason and the error to raise."""

    reason: str
    """Why, for the audit row (`throttled`, `locked`, `address_throttled`, `proof.tin`, ...)."""
    error: TooManyAttempts
    """What the caller is told."""


@dataclass(frozen=True)
class Attempt:
    """An attempt counted ahead of its check: what to take back when it succeeds."""

    keys: tuple[CounterKey, ...]
    """The counters it was counted on."""
    failures: dict[str, int] = field(default_factory=dict)
    """The failures in each kind's window, this attempt included."""


def wait_words(seconds: float) -> str:
    """`5 seconds`, `3 minutes`, `24 hours`: the time left, rounded up."""
    whole = max(1, int(seconds + 0.999))
    if whole < 120:
        return f"{whole} second{'' if whole == 1 else 's'}"
    if whole < 2 * 3600:
        return f"{-(-whole // 60)} minutes"
    return f"{-(-whole // 3600)} hours"


def _proven(counter: Counter | None, now: datetime) -> bool:
    """Whether the owner signed in through this counter's key lately."""
    return (
        counter is not None
        and counter.proven_at is not None
        and now - counter.proven_at < PROVEN_FOR
    )


def name_digest(username_key: str) -> str:
    """What the audit keeps of a typed name that is no account (a keyed digest, so repeated
    attempts at one name can be counted and the text is never kept)."""
    return keyed_digest(NAME_PURPOSE, username_key)


def lift_account(conn: Connection, username_key: str) -> int:
    """Lift every count and lock of an account (its reset or an administrator's unlock)."""
    return counters.lift_subject(conn, counters.subject_digest(username_key))


# -- sign-in ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInAttempt:
    """A sign-in attempt held in flight while its password is checked."""

    pair: CounterKey
    """The username-and-address counter."""
    account: CounterKey
    """The username's counter from every address."""
    address: CounterKey
    """The address's counter."""
    pair_failures: int
    """Failures in a row from this address, this attempt included."""
    account_failures: int
    """Failures in a row from every address, this attempt included."""
    proven: bool
    """Whether the owner has signed in from this address before."""
    subject: str = ""
    """The account's digest on its counters."""
    held: tuple[CounterKey, ...] = ()
    """The counters with failures on record, on which the attempt is held in flight (a clean
    counter needs no hold: right passwords at the same moment never count against each other)."""

    @property
    def locks_account(self) -> bool:
        """Whether this attempt, failed, reaches the account-wide lock."""
        return self.account_failures >= ACCOUNT_LOCK_AFTER and not self.proven


def sign_in_gate(
    conn: Connection, username_key: str, now: datetime, *, account_locked: bool = False
) -> SignInAttempt | Refusal:
    """Refuse an attempt a throttle holds back (one indexed read), else the attempt to check.

    `account_locked` is the account's `users.locked` (False for a name that is no account). An
    attempt on counters with failures on record must then be held (`hold_sign_in`).
    """
    who = caller()
    name = username_key or "\x00"
    pair = CounterKey(PAIR, counters.key_digest(PAIR, name, who.address))
    account = CounterKey(ACCOUNT, counters.key_digest(ACCOUNT, name))
    address = CounterKey(ADDRESS, counters.key_digest(ADDRESS, who.address))
    found = counters.read(conn, (pair, account, address))
    held = _sign_in_refusal(found, pair, account, address, who, now, account_locked)
    if held is not None:
        return held
    windows = {pair: PAIR_WINDOW, account: ACCOUNT_WINDOW, address: who.address_window}
    failing = tuple(
        key
        for key, window in windows.items()
        if (counter := found.get(key)) is not None and counter.live_failures(now, window)
    )
    from_here, everywhere = found.get(pair), found.get(account)
    return SignInAttempt(
        pair=pair,
        account=account,
        address=address,
        pair_failures=1 + (from_here.live_failures(now, PAIR_WINDOW) if from_here else 0),
        account_failures=1 + (everywhere.live_failures(now, ACCOUNT_WINDOW) if everywhere else 0),
        proven=_proven(from_here, now),
        subject=counters.subject_digest(name),
        held=failing,
    )


def hold_sign_in(conn: Connection, attempt: SignInAttempt, now: datetime) -> Refusal | None:
    """Hold the attempt in flight on its counters with failures on record; a refusal when another
    attempt for the same name from the same address is being checked (one at a time after a
    failure, so parallel guesses cannot outrun the limit)."""
    who = caller()
    windows = {
        attempt.pair: PAIR_WINDOW,
        attempt.account: ACCOUNT_WINDOW,
        attempt.address: who.address_window,
    }
    # The name-and-address counter first: a second attempt in flight there is refused and let go.
    for key in sorted(attempt.held, key=lambda held: held != attempt.pair):
        subject = None if key == attempt.address else attempt.subject
        in_flight = counters.hold(conn, key, now, windows[key], subject=subject)
        if key == attempt.pair and in_flight > 1:
            counters.release(conn, key)
            return Refusal(
                "throttled",
                TooManyAttempts("Too many failed sign-ins. Wait 1 second and try again."),
            )
    return None


def sign_in_failed(conn: Connection, attempt: SignInAttempt, now: datetime) -> SignInAttempt:
    """The attempt's password (or code) was wrong: count the failure, from the third in a row
    from one address wait 2^(n-3) s, lock that address out at the tenth, slow the account down
    from its tenth; the attempt with its failures as now counted."""
    who = caller()

    def failed(key: CounterKey, window: timedelta, subject: str | None) -> int:
        if key in attempt.held:
            return counters.fail(conn, key)
        return counters.count(conn, key, now, window, subject=subject)

    pair_count = failed(attempt.pair, PAIR_WINDOW, attempt.subject)
    account_count = failed(attempt.account, ACCOUNT_WINDOW, attempt.subject)
    failed(attempt.address, who.address_window, None)
    if pair_count >= PAIR_LOCK_AFTER:
        counters.block(conn, attempt.pair, now + PAIR_WINDOW)
    elif pair_count >= PAIR_WAIT_AFTER:
        counters.block(
            conn, attempt.pair, now + timedelta(seconds=2 ** (pair_count - PAIR_WAIT_AFTER))
        )
    if account_count >= ACCOUNT_WAIT_AFTER:
        doubling = min(account_count - ACCOUNT_WAIT_AFTER, 16)  # 2^16 s is past the cap
        wait = min(timedelta(seconds=2**doubling), ACCOUNT_MAX_WAIT)
        counters.block(conn, attempt.account, now + wait)
    return replace(attempt, pair_failures=pair_count, account_failures=account_count, held=())


def _sign_in_refusal(
    found: dict[CounterKey, Counter],
    pair: CounterKey,
    account: CounterKey,
    address: CounterKey,
    who: Caller,
    now: datetime,
    account_locked: bool,
) -> Refusal | None:
    at_address = found.get(address)
    failed_here = 0 if at_address is None else at_address.live_failures(now, who.address_window)
    # Once failures are on record, the attempts in flight count too: parallel guesses cannot
    # outrun the limit (right passwords at the same moment, with no failure, are never held back).
    checking = 0 if at_address is None or not failed_here else at_address.live_in_flight(now)
    if at_address is not None and failed_here + checking >= who.address_limit:
        ends = at_address.window_started_at + who.address_window
        return Refusal(
            "address_throttled",
            TooManyAttempts(
                "Too many failed sign-ins from your network address. Wait "
                f"{wait_words((ends - now).total_seconds())} and try again."
            ),
        )
    from_here = found.get(pair)
    if from_here is not None and from_here.live_failures(now, PAIR_WINDOW) >= PAIR_LOCK_AFTER:
        return Refusal("locked", TooManyAttempts(LOCKED))

    proven = _proven(from_here, now)
    everywhere = found.get(account)
    over = everywhere is not None and (
        everywhere.live_failures(now, ACCOUNT_WINDOW) >= ACCOUNT_LOCK_AFTER
    )
    if not proven and (account_locked or over):
        return Refusal("locked", TooManyAttempts(LOCKED))
    waits = [from_here] if proven else [from_here, everywhere]
    until = max(
        (c.blocked_until for c in waits if c is not None and c.blocked_until is not None),
        default=None,
    )
    if until is not None and until <= now:
        until = None
    if until is not None:
        return Refusal(
            "throttled",
            TooManyAttempts(
                "Too many failed sign-ins. Wait "
                f"{wait_words((until - now).total_seconds())} and try again."
            ),
        )
    return None


def signed_in(conn: Connection, attempt: SignInAttempt, now: datetime, *, proven: bool) -> None:
    """The attempt's password (and code) was right: release it, forget the failures it found and,
    when `proven`, note the address as one the owner uses (written only then: a sign-in from a
    known address with no failure on record writes nothing here)."""
    for key in attempt.held:
        counters.release(conn, key)
    failing = tuple(key for key in (attempt.pair, attempt.account) if key in attempt.held)
    if failing:
        counters.clear(conn, failing, now, proven=False)
    if proven:
        counters.mark_proven(conn, attempt.pair, now, subject=attempt.subject)


# -- other guessable secrets ----------------------------------------------------------------------


def begin(
    conn: Connection,
    limits: Sequence[tuple[Limit, str]],
    now: datetime,
    *,
    account: str | None = None,
) -> Attempt | Refusal:
    """Refuse an attempt one of `limits` (each with what it counts for) holds back, else count it.

    Returns the attempt (to `succeeded` when its secret was right), or the refusal. `account`
    (a lower-cased username) ties the counters to an account, so its reset lifts them.
    """
    subject = None if account is None else counters.subject_digest(account)
    keys = [
        (limit, CounterKey(limit.kind, counters.key_digest(limit.kind, part)))
        for limit, part in limits
    ]
    found = counters.read(conn, [key for _, key in keys])
    for limit, key in keys:
        counter = found.get(key)
        if counter is not None and counter.live_failures(now, limit.window) >= limit.failures:
            ends = counter.window_started_at + limit.window
            words = wait_words((ends - now).total_seconds())
            return Refusal(limit.kind, TooManyAttempts(limit.message.format(wait=words)))
    failures = {
        limit.kind: counters.count(conn, key, now, limit.window, subject=subject)
        for limit, key in keys
    }
    return Attempt(keys=tuple(key for _, key in keys), failures=failures)


def succeeded(conn: Connection, attempt: Attempt) -> None:
    """The secret was right: take the attempt back from every counter (no more than that, so a
    success does not buy more guesses)."""
    for key in attempt.keys:
        counters.uncount(conn, key)


def tin_locked(conn: Connection, tin: str, now: datetime) -> None:
    """Tell the payer administrators that registration with `tin` locked (when it is a TIN)."""
    if conn.execute(select(tins.c.tin).where(tins.c.tin == tin)).first() is None:
        return
    admins = conn.execute(
        select(users.c.id).where(
            users.c.payer_role == Role.PAYER_ADMIN.value, users.c.status == "active"
        )
    ).scalars()
    text = (
        f"Registration with Tax ID {format_tin(tin)} is locked for "
        f"{wait_words(PROOF_TIN.window.total_seconds())} after {PROOF_TIN.failures} failed "
        "attempts to prove a tie to it. If its registration code may be known, give the "
        "organization a new one."
    )
    for admin_id in admins:
        accounts.notify(conn, int(admin_id), "access", text, now)
