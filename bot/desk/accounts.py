"""Staff accounts: created with a one-time password (there is no default account), signed in
with a lock-out after repeated failures, a second factor when on, password changes and an
admin's disable and reset. Every change is in the audit log."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk import audit, passwords, totp, websessions
from bot.desk.actor import Actor
from bot.desk.i18n import N_
from bot.desk.models import User

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
ROLES = ("staff", "admin")


class AccountError(Exception):
    """A refused account change; `message` is a msgid of the desk's catalog (or plain text for
    the command line)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LoginPolicy:
    lock_after: int = 5  # the 5th failure in a row locks the account...
    lock_minutes: float = 15  # ...for this long


@dataclass(frozen=True)
class LoginResult:
    outcome: str  # ok | bad | locked
    user: User | None = None
    locked_until: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def normalize_username(name: str) -> str:
    return name.strip().lower()


async def by_name(session: AsyncSession, username: str) -> User | None:
    name = normalize_username(username)
    return await session.scalar(select(User).where(User.username == name))


async def create_user(
    session: AsyncSession,
    username: str,
    office_id: str,
    role: str,
    offices: Collection[str],
    actor: Actor | None = None,
    now: datetime | None = None,
) -> tuple[User, str]:
    """A new account and its one-time password (shown once, changed at first sign-in)."""
    name = normalize_username(username)
    if not USERNAME.match(name):
        raise AccountError(
            N_("Nama pengguna: 2-64 huruf kecil, angka, titik, _ atau -, diawali huruf.")
        )
    if role not in ROLES:
        raise AccountError(N_("Peran harus staff atau admin."))
    if office_id not in offices:
        raise AccountError(N_("Kantor tidak dikenal."))
    if actor is not None and (not actor.is_admin or actor.office_id != office_id):
        raise AccountError(N_("Hanya admin kantor ini yang dapat membuat akun."))
    if await by_name(session, name) is not None:
        raise AccountError(N_("Nama pengguna itu sudah dipakai."))
    now = now or _now()
    secret = passwords.one_time_password()
    user = User(
        username=name,
        office_id=office_id,
        role=role,
        password_hash=await asyncio.to_thread(passwords.hash_password, secret),
        must_change_password=True,
        lang="id",
        failed_logins=0,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    audit.record(
        session,
        audit.USER_CREATED,
        actor,
        office_id=office_id,
        username=None if actor else "(command line)",
        detail=f"{name} ({role})",
        at=now,
    )
    await session.commit()
    return user, secret


async def authenticate(
    session: AsyncSession,
    username: str,
    password: str,
    ip: str | None,
    policy: LoginPolicy,
    now: datetime | None = None,
) -> LoginResult:
    """Check a password. An unknown or disabled user costs the same time and gets the same
    answer as a wrong password; the `lock_after`-th failure in a row locks the account."""
    now = now or _now()
    user = await by_name(session, username)
    given = normalize_username(username)[:64]
    if user is None or user.disabled_at is not None:
        await asyncio.to_thread(passwords.verify, passwords.dummy_hash(), password)
        audit.record(
            session,
            audit.LOGIN_FAILED,
            office_id=user.office_id if user else None,
            username=given,
            detail="disabled account" if user else "unknown user",
            ip=ip,
            at=now,
        )
        await session.commit()
        return LoginResult("bad")
    if user.locked_until is not None and user.locked_until > now:
        audit.record(
            session, audit.LOGIN_LOCKED, office_id=user.office_id, username=given, ip=ip, at=now
        )
        await session.commit()
        return LoginResult("locked", user, user.locked_until)
    if not await asyncio.to_thread(passwords.verify, user.password_hash, password):
        return await _failed(session, user, policy, ip, now, audit.LOGIN_FAILED)
    user.failed_logins, user.locked_until = 0, None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(passwords.hash_password, password)
    await session.commit()
    return LoginResult("ok", user)


async def _failed(
    session: AsyncSession,
    user: User,
    policy: LoginPolicy,
    ip: str | None,
    now: datetime,
    action: str,
) -> LoginResult:
    user.failed_logins += 1
    audit.record(
        session,
        action,
        office_id=user.office_id,
        username=user.username,
        detail=f"failure {user.failed_logins} in a row",
        ip=ip,
        at=now,
    )
    if user.failed_logins >= policy.lock_after:
        user.failed_logins = 0
        user.locked_until = now + timedelta(minutes=policy.lock_minutes)
        await session.commit()
        return LoginResult("locked", user, user.locked_until)
    await session.commit()
    return LoginResult("bad", user)


async def check_second_factor(
    session: AsyncSession,
    user: User,
    code: str,
    ip: str | None,
    policy: LoginPolicy,
    now: datetime | None = None,
) -> LoginResult:
    now = now or _now()
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult("locked", user, user.locked_until)
    step = (
        totp.matching_step(user.totp_secret, code, now, user.totp_last_step)
        if user.totp_secret
        else None
    )
    if step is None:
        return await _failed(session, user, policy, ip, now, audit.TOTP_FAILED)
    user.totp_last_step, user.failed_logins = step, 0
    await session.commit()
    return LoginResult("ok", user)


def signed_in(session: AsyncSession, user: User, ip: str | None, now: datetime) -> None:
    user.last_login_at = now
    audit.record(
        session, audit.LOGIN, office_id=user.office_id, username=user.username, ip=ip, at=now
    )


async def change_password(
    session: AsyncSession,
    user: User,
    actor: Actor,
    current: str,
    new: str,
    keep_session: str | None,
    now: datetime | None = None,
) -> None:
    """The user's own change: the current password is asked again; their other sessions end."""
    now = now or _now()
    if not await asyncio.to_thread(passwords.verify, user.password_hash, current):
        raise AccountError(N_("Kata sandi sekarang salah."))
    if (why := passwords.problem(new, user.username)) is not None:
        raise AccountError(why)
    if new == current:
        raise AccountError(N_("Kata sandi baru harus berbeda dari yang sekarang."))
    user.password_hash = await asyncio.to_thread(passwords.hash_password, new)
    user.must_change_password, user.password_changed_at = False, now
    await websessions.revoke_user(session, user.id, "password changed", now, keep=keep_session)
    audit.record(session, audit.PASSWORD_CHANGED, actor, at=now)
    await session.commit()


async def enable_totp(
    session: AsyncSession, user: User, actor: Actor, secret: str, code: str, now: datetime
) -> None:
    step = totp.matching_step(secret, code, now, None)
    if step is None:
        raise AccountError(N_("Kode salah. Periksa jam di ponsel, lalu coba kode yang baru."))
    user.totp_secret, user.totp_last_step = secret, step
    audit.record(session, audit.TOTP_ENABLED, actor, at=now)
    await session.commit()


async def disable_totp(
    session: AsyncSession, user: User, actor: Actor, code: str, now: datetime
) -> None:
    if not user.totp_secret or totp.matching_step(user.totp_secret, code, now, None) is None:
        raise AccountError(N_("Kode salah."))
    user.totp_secret, user.totp_last_step = None, None
    audit.record(session, audit.TOTP_DISABLED, actor, at=now)
    await session.commit()


# --- an admin's work on their office's accounts -----------------------------------------------


async def office_users(session: AsyncSession, office_id: str) -> list[User]:
    query = select(User).where(User.office_id == office_id).order_by(User.username)
    return list(await session.scalars(query))


async def _colleague(session: AsyncSession, actor: Actor, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None or user.office_id != actor.office_id or not actor.is_admin:
        raise AccountError(N_("Akun tidak ditemukan."))
    return user


async def set_disabled(
    session: AsyncSession, actor: Actor, user_id: int, disabled: bool, now: datetime
) -> User:
    """Disable (every session of the user ends at once) or enable an account."""
    user = await _colleague(session, actor, user_id)
    if user.id == actor.user_id:
        raise AccountError(N_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    if disabled and user.disabled_at is None:
        user.disabled_at = now
        await websessions.revoke_user(session, user.id, "disabled", now)
        audit.record(session, audit.USER_DISABLED, actor, detail=user.username, at=now)
    elif not disabled and user.disabled_at is not None:
        user.disabled_at, user.failed_logins, user.locked_until = None, 0, None
        audit.record(session, audit.USER_ENABLED, actor, detail=user.username, at=now)
    await session.commit()
    return user


async def reset(session: AsyncSession, actor: Actor, user_id: int, now: datetime) -> str:
    """A new one-time password for a colleague who forgot theirs or lost their phone: the
    second factor is cleared too, and their sessions end."""
    user = await _colleague(session, actor, user_id)
    secret = passwords.one_time_password()
    user.password_hash = await asyncio.to_thread(passwords.hash_password, secret)
    user.must_change_password, user.failed_logins, user.locked_until = True, 0, None
    user.totp_secret, user.totp_last_step = None, None
    await websessions.revoke_user(session, user.id, "password reset", now)
    audit.record(session, audit.PASSWORD_RESET, actor, detail=user.username, at=now)
    await session.commit()
    return secret
