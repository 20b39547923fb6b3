"""Staff web sessions, kept on the server (OWASP ASVS V7): a random token in the cookie, its
SHA-256 in the database, an idle and an absolute timeout, and revocation (logout, a disabled
account, a password change). No cookie handling here; web/ sets and reads the cookie."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk.models import User, WebSession

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute


@dataclass(frozen=True)
class SessionPolicy:
    idle_minutes: float = 30
    absolute_hours: float = 12


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession,
    user: User,
    stage: str,
    now: datetime,
    policy: SessionPolicy,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, WebSession]:
    """A new session (never a reused one: no fixation); returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    ws = WebSession(
        id=token_id(token),
        user_id=user.id,
        stage=stage,
        csrf=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=policy.absolute_hours),
        ip=ip,
        user_agent=(user_agent or "")[:200] or None,
    )
    session.add(ws)
    await session.flush()
    ws.user = user
    return token, ws


async def load(
    session: AsyncSession, token: str, now: datetime, policy: SessionPolicy
) -> WebSession | None:
    """The live session for a cookie's token, or None (unknown, revoked, timed out, or its
    account disabled). An idle session is revoked on the way."""
    if not token or len(token) > 100:
        return None
    ws = await session.get(WebSession, token_id(token))
    if ws is None or ws.revoked_at is not None or now >= ws.expires_at:
        return None
    if ws.user.disabled_at is not None:
        return None
    if now - ws.last_seen_at > timedelta(minutes=policy.idle_minutes):
        ws.revoked_at, ws.revoked_why = now, "idle"
        await session.commit()
        return None
    if now - ws.last_seen_at >= TOUCH_EVERY:
        ws.last_seen_at = now
        await session.commit()
    return ws


async def revoke(session: AsyncSession, ws: WebSession, why: str, now: datetime) -> None:
    ws.revoked_at, ws.revoked_why = now, why[:40]
    await session.commit()


async def revoke_user(
    session: AsyncSession, user_id: int, why: str, now: datetime, keep: str | None = None
) -> None:
    """End every session of a user (but `keep`, the one making the change)."""
    query = (
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_why=why[:40])
    )
    if keep is not None:
        query = query.where(WebSession.id != keep)
    await session.execute(query)
