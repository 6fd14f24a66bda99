"""Password rules (NIST SP 800-63B 5.1.1.2, memorized secrets) and Argon2id hashing.

A password is NFKC-normalized first (fullwidth `ｐａｓｓ` is `pass`, a composed `é` equals a
decomposed one), and every rule reads the normalized form:

- at least 15 characters, or 8 once the user has a second factor; at most 128 (counted after
  normalization, one character per code point); no composition rules;
- no control or invisible format characters (Unicode Cc, Cf, lone surrogates: a NUL, a tab, a
  zero-width space);
- not a common password: the shipped list is compared after folding case, spaces and the usual
  substitutions (`@`→a, `0`→o, `1`→i/l, `3`→e, `$`→s, `5`→s, `7`→t, …);
- not the username, and not easy to guess: the password is split into the predictable pieces an
  attacker tries first (common passwords, context words such as the portal's and the health plan's
  names, the user's name and email, sequences, keyboard rows, years and repeats of what came
  before) and refused when those pieces leave too little to guess (`GUESS_BITS`).

Stored hashes are of the normalized form; `verify_password` also accepts the form typed as it is,
for hashes made before normalization.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from contextlib import suppress
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from portal_core.errors import ValidationFailed

MIN_LENGTH = 15
MIN_LENGTH_WITH_MFA = 8
MAX_LENGTH = 128

GUESS_BITS = 30.0
"""A password whose easiest reading costs fewer guesses than 2**GUESS_BITS (about a billion: an
hour or so of an offline attack on a fast hash) is refused as too easy to guess."""

SERVICE_WORDS = ("portal", "provider portal", "provider")
"""Words about this service every password is checked against (NIST: context-specific words)."""

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
"""Control characters, invisible format characters and lone surrogates."""

_MAX_VERIFIED = 4 * MAX_LENGTH
"""Longer input is never a stored password: refused without hashing it (no CPU for megabytes)."""

_SUBSTITUTIONS = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "8": "b",
        "(": "c",
        "3": "e",
        "6": "g",
        "9": "g",
        "1": "i",
        "!": "i",
        "|": "i",
        "l": "i",
        "0": "o",
        "$": "s",
        "5": "s",
        "7": "t",
        "+": "t",
    }
)
"""Look-alike characters folded together (`l` and `1` both to `i`) so that `P@ssw0rd` reads as
`password` and `iloveyou` as `1l0v3y0u`: one character for one, positions kept."""

_KEYBOARD_ROWS = ("`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./")
_KEYBOARD_SHIFTED = ("~!@#$%^&*()_+", "QWERTYUIOP{}|", 'ASDFGHJKL:"', "ZXCVBNM<>?")
_YEAR = re.compile(r"(19|20)\d\d")

# Costs in bits of each kind of piece (log2 of the choices an attacker has for it).
_CONTEXT_BITS = 3.0
_YEAR_BITS = 7.0
_SPACE_BITS = 2.0
_SMALL_STEP_BITS = math.log2(3)  # -1, 0 or +1 along the alphabet
_STEP_BITS = math.log2(64)
_KEY_STEP_BITS = 3.0  # to one of the neighbouring keys
_KEY_JUMP_BITS = 6.0
_MIN_WORD = 3
_MAX_PERIOD = 4

# Plain words for each refusal: what is wrong and what to do.
_CONTROL = (
    "The password contains a control or invisible character (such as a tab, a NUL or a zero-width "
    "space). Remove it and type the password again."
)
_COMMON = "That password is on a list of common passwords. Choose another."
_USERNAME = "The password must not contain the username. Choose another."
_GUESSABLE = (
    "That password is too easy to guess: it is made of common passwords, names (yours, the "
    "portal's or the health plan's) or patterns such as repeats, sequences and keyboard rows. "
    "Choose a longer one, for example a few unrelated words."
)


def normalized(password: str) -> str:
    """The form every rule reads and every hash is made of (Unicode NFKC)."""
    return unicodedata.normalize("NFKC", password)


def _plain(text: str) -> str:
    """Case, spaces and accents folded away: what the guessing rules read."""
    bare = unicodedata.normalize("NFKD", "".join(text.casefold().split()))
    return "".join(ch for ch in bare if not unicodedata.combining(ch))


def _skeleton(text: str) -> str:
    """`_plain` with look-alike substitutions folded too (one character for one)."""
    return _plain(text).translate(_SUBSTITUTIONS)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped blocklist, lower-cased."""
    text = resources.files("portal_core.data").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


@cache
def _common_skeletons() -> tuple[frozenset[str], int]:
    """The blocklist folded like a password is, and its longest entry."""
    folded = frozenset(_skeleton(entry) for entry in common_passwords())
    return folded, max(map(len, folded))


def check_password(
    password: str, username: str, *, has_mfa: bool = False, context: Iterable[str | None] = ()
) -> None:
    """Raise `ValidationFailed` with the reason when `password` breaks a rule.

    `context` holds what else an attacker could guess it from: the user's name and email, the
    health plan's name (the portal's own words are always added).
    """
    text = normalized(password)
    if _has_refused_character(password) or _has_refused_character(text):
        raise ValidationFailed(_CONTROL, field="password")
    minimum = MIN_LENGTH_WITH_MFA if has_mfa else MIN_LENGTH
    if len(text) < minimum:
        extra = "" if has_mfa else " (8 once you turn on a second factor)"
        raise ValidationFailed(f"Use at least {minimum} characters{extra}.", field="password")
    if len(text) > MAX_LENGTH:
        raise ValidationFailed(f"Use at most {MAX_LENGTH} characters.", field="password")
    skeleton = _skeleton(text)
    if skeleton in _common_skeletons()[0]:
        raise ValidationFailed(_COMMON, field="password")
    name = _skeleton(normalized(username))
    if name and name in skeleton:
        raise ValidationFailed(_USERNAME, field="password")
    words = _context_words((*SERVICE_WORDS, username, *context))
    if guess_bits(text, words) < GUESS_BITS:
        raise ValidationFailed(_GUESSABLE, field="password")


def guess_bits(password: str, context: Iterable[str] = ()) -> float:
    """About log2 of the guesses the easiest reading of `password` costs an attacker.

    The (normalized) password is read as a row of pieces, each costing the bits of the choices it
    stands for: a common password, a context word, a year, a run of characters or keys that step
    in a repeating way (`abcd`, `13579`, `qwerty`, `1qaz2wsx`, `aaaa`), a repeat of an earlier part,
    or else one character at a time. The cheapest row of pieces wins (as in zxcvbn).
    """
    plain = _plain(normalized(password))
    skeleton = plain.translate(_SUBSTITUTIONS)
    words = tuple(word for word in context if len(word) >= _MIN_WORD)
    text_runs = _periodic_runs([(ord(ch),) for ch in plain], keyboard=False)
    key_runs = _periodic_runs(_key_positions(plain), keyboard=True)
    best = [0.0] + [math.inf] * len(plain)
    for start in range(len(plain)):
        pieces = _pieces(plain, skeleton, start, words)
        for runs, first_bits in ((text_runs, _character_bits(plain[start])), (key_runs, 5.6)):
            for period, end, step_bits in runs[start]:
                for stop in range(start + 2 * period + 1, end + 1):
                    pieces.append((stop, first_bits + step_bits + math.log2(stop - start)))
        for end, bits in pieces:
            best[end] = min(best[end], best[start] + bits)
    return best[-1]


def _pieces(
    plain: str, skeleton: str, start: int, words: tuple[str, ...]
) -> list[tuple[int, float]]:
    """The pieces that may start at `start` other than runs: (end, bits)."""
    common, longest = _common_skeletons()
    pieces = [(start + 1, _character_bits(plain[start]))]
    for end in range(start + _MIN_WORD, min(len(plain), start + longest) + 1):
        if skeleton[start:end] in common:
            pieces.append((end, math.log2(len(common))))
    pieces.extend(
        (start + len(word), _CONTEXT_BITS) for word in words if skeleton.startswith(word, start)
    )
    if _YEAR.fullmatch(plain, start, start + 4):
        pieces.append((start + 4, _YEAR_BITS))
    for length in range(_MIN_WORD, len(plain) - start + 1):
        if skeleton.find(skeleton[start : start + length], 0, start) < 0:
            break
        pieces.append((start + length, math.log2(start) + math.log2(length)))
    return pieces


def _context_words(texts: Iterable[str | None]) -> tuple[str, ...]:
    """Each text folded whole and word by word (an email by its local part)."""
    words: set[str] = set()
    for text in texts:
        if not text:
            continue
        folded = normalized(text).casefold()
        if "@" in folded:
            folded = folded.split("@", 1)[0]
        words.add(_skeleton(folded))
        words.update(_skeleton(part) for part in re.split(r"[\W_]+", folded) if part)
    return tuple(sorted(word for word in words if len(word) >= _MIN_WORD))


def _character_bits(ch: str) -> float:
    """A character guessed on its own: from the digits, the letters, ASCII punctuation or
    everything else."""
    if ch.isdigit() and ch.isascii():
        return math.log2(10)
    if "a" <= ch <= "z":
        return math.log2(26)
    if ch.isascii():
        return math.log2(33)
    return 7.0


def _key_positions(text: str) -> list[tuple[int, ...] | None]:
    """Where each character sits on a US keyboard (row, column), None when it is not on one."""
    where: dict[str, tuple[int, ...]] = {}
    for rows in (_KEYBOARD_ROWS, _KEYBOARD_SHIFTED):
        for row, keys in enumerate(rows):
            for column, key in enumerate(keys):
                where.setdefault(key, (row, column))
    return [where.get(ch) for ch in text]


def _periodic_runs(
    points: Sequence[tuple[int, ...] | None], *, keyboard: bool
) -> list[list[tuple[int, int, float]]]:
    """For each start, the runs whose steps repeat with a period of 1 to 4: (period, end, bits of
    one period's steps). Points are code points or key positions (None breaks a run)."""
    steps: list[tuple[int, ...] | None] = [
        None if a is None or b is None else tuple(y - x for x, y in zip(a, b, strict=True))
        for a, b in itertools.pairwise(points)
    ]
    runs: list[list[tuple[int, int, float]]] = [[] for _ in points]
    for start in range(len(points)):
        for period in range(1, _MAX_PERIOD + 1):
            pattern = steps[start : start + period]
            if len(pattern) < period or None in pattern:
                break
            end = start + period
            while end < len(steps) and steps[end] is not None and steps[end] == steps[end - period]:
                end += 1
            length = end - start + 1  # characters covered
            if length >= 2 * period + 1:
                bits = sum(_step_bits(step, keyboard) for step in pattern if step is not None)
                runs[start].append((period, start + length, bits))
    return runs


def _step_bits(step: tuple[int, ...], keyboard: bool) -> float:
    if keyboard:
        return _KEY_STEP_BITS if max(map(abs, step)) <= 1 else _KEY_JUMP_BITS
    return _SMALL_STEP_BITS if abs(step[0]) <= 1 else _STEP_BITS


def _has_refused_character(text: str) -> bool:
    return any(unicodedata.category(ch) in _REFUSED_CATEGORIES for ch in text)


def hash_password(password: str) -> str:
    """The Argon2id hash to store (of the normalized form)."""
    return _HASHER.hash(normalized(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash` (False for no hash or a malformed one).

    The normalized form is tried first; a hash made before normalization (of the form as typed)
    still matches the form as typed, which differs only for non-ASCII input.
    """
    if not stored_hash or len(password) > _MAX_VERIFIED or not _encodable(password):
        # Spend the same time as a real check so an unknown user is not told apart by timing.
        _dummy_verify()
        return False
    text = normalized(password)
    for candidate in (text, password) if text != password else (text,):
        try:
            if _HASHER.verify(stored_hash, candidate):
                return True
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            continue
    return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with older parameters."""
    return _HASHER.check_needs_rehash(stored_hash)


# OWASP's Argon2id minimum (19 MiB, 2 passes): about 20 ms a hash on a small machine.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)


def _encodable(text: str) -> bool:
    """False for text holding lone surrogates (JSON lets a client send them; UTF-8 cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("portal-dummy-password")


def _dummy_verify() -> None:
    with suppress(VerifyMismatchError):
        _HASHER.verify(_dummy_hash(), "not-the-password")
