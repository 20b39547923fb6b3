"""Reference numbers: short, easy to read aloud over the phone, not guessable, self-checking.
Derived from the session's random seed, so the engine itself needs no randomness."""

from __future__ import annotations

import hashlib
import hmac

# Letters and digits whose Indonesian names do not rhyme with each other (no B/D/P/T/C/G/E,
# only M of M/N, only R of L/R, only X of F/S/X) and that do not look like one another (no 0/O,
# 1/I/L, 5/S, 8/B).
ALPHABET = "234679AHKMRWXY"
RANDOM_CHARS = 8


def _check_char(body: str) -> str:
    """Luhn mod N: catches every single mistyped character and most swapped neighbours."""
    n, total, factor = len(ALPHABET), 0, 2
    for c in reversed(body):
        addend = factor * ALPHABET.index(c)
        total += addend // n + addend % n
        factor = 3 - factor
    return ALPHABET[(n - total % n) % n]


def make_reference(prefix: str, seed_hex: str, counter: int) -> str:
    """E.g. MKS-K7H-W3X-9AR: the prefix, eight characters from HMAC(seed, counter), a check char."""
    digest = hmac.new(bytes.fromhex(seed_hex), f"ref:{counter}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:16], "big")
    body = ""
    for _ in range(RANDOM_CHARS):
        number, idx = divmod(number, len(ALPHABET))
        body += ALPHABET[idx]
    body += _check_char(body)
    return f"{prefix}-{body[0:3]}-{body[3:6]}-{body[6:9]}"


def is_valid_reference(ref: str) -> bool:
    """True when a typed reference has the right shape and check character (typos are caught)."""
    parts = ref.strip().upper().replace(" ", "-").split("-")
    if len(parts) != 4 or not parts[0].isalpha():
        return False
    body = "".join(parts[1:])
    if len(body) != RANDOM_CHARS + 1 or any(c not in ALPHABET for c in body):
        return False
    return _check_char(body[:-1]) == body[-1]
