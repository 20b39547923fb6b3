"""Staff passwords (OWASP ASVS V6): Argon2id hashes (argon2-cffi), at least 8 characters, none
from the common-password list, and one-time passwords for new accounts. No I/O but reading the
shipped list once."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.desk.i18n import N_

MIN_LENGTH = 8
MAX_LENGTH = 128  # long passphrases are welcome; beyond this is an attack on the hasher
COMMON_LIST = Path(__file__).with_name("common-passwords.txt")
# Argon2id with the RFC 9106 low-memory profile (64 MiB, 3 passes, 4 lanes): ~0.2 s here.
hasher = PasswordHasher()
# One-time passwords: letters and digits that are not confused when read off a screen.
_OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@cache
def common() -> frozenset[str]:
    lines = COMMON_LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def problem(password: str, username: str = "") -> str | None:
    """Why a new password is not good enough (a msgid), or None."""
    if len(password) < MIN_LENGTH:
        return N_("Kata sandi minimal 8 karakter.")
    if len(password) > MAX_LENGTH:
        return N_("Kata sandi maksimal 128 karakter.")
    lowered = password.lower()
    if lowered in common() or lowered.strip() in common():
        return N_("Kata sandi ini terlalu umum dan mudah ditebak. Pilih yang lain.")
    if username and username.lower() in lowered:
        return N_("Kata sandi tidak boleh memuat nama pengguna.")
    if len(set(password)) < 3:
        return N_("Kata sandi ini terlalu mudah ditebak. Pilih yang lain.")
    return None


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify(stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    try:
        return hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@cache
def dummy_hash() -> str:
    """Verified against for an unknown user, so a login takes as long whoever it names."""
    return hasher.hash(secrets.token_urlsafe(16))


def one_time_password() -> str:
    """E.g. `k7hm-w3x9-ar2p-q4tz`: 80 bits, readable aloud, changed at first login."""
    chars = [secrets.choice(_OTP_ALPHABET) for _ in range(16)]
    return "-".join("".join(chars[i : i + 4]) for i in range(0, 16, 4))
