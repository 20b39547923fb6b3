"""The audit log: who did or looked at what, and when (OWASP ASVS V16). Rows are only ever
added (the database refuses changes); admins read and export their own office's rows. It never
stores personal data itself: a search for a NIK is written masked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk.actor import Actor
from bot.desk.models import AuditEvent
from bot.observe.logs import mask

# What happened (the `action` column). Stable names: exports and alerts rely on them.
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGIN_LOCKED = "login_locked"
LOGOUT = "logout"
TOTP_FAILED = "totp_failed"
TOTP_ENABLED = "totp_enabled"
TOTP_DISABLED = "totp_disabled"
PASSWORD_CHANGED = "password_changed"
CASE_LIST = "case_list"
CASE_SEARCH = "case_search"
CASE_VIEW = "case_view"
PHOTO_VIEW = "photo_view"
DOCUMENT_DECISION = "document_decision"
STATUS_CHANGE = "status_change"
NOTE = "note"
ASSIGN = "assign"
EXPORT = "export"
COVER_SHEET = "cover_sheet"
USER_CREATED = "user_created"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
PASSWORD_RESET = "password_reset"
AUDIT_VIEW = "audit_view"
AUDIT_EXPORT = "audit_export"
DTSEN_IMPORT = "dtsen_import"  # an office's DTSEN list replaced (counts, never rows)
DTSEN_LOOKUP = "dtsen_lookup"  # a case's NIK and KK number looked up in it
RETENTION_PURGE = "retention_purge"  # a closed case's personal data deleted (retention.py)
DATA_READ = "citizen_data_read"  # a chat read what the office keeps about it ("data saya")
ERASURE_REQUESTED = "erasure_requested"  # a chat asked for its data to be deleted
ERASURE_APPROVED = "erasure_approved"  # an admin approved it: the chat's cases purged
ERASURE_REFUSED = "erasure_refused"  # an admin refused it, with a reason

ACTIONS = (
    LOGIN, LOGIN_FAILED, LOGIN_LOCKED, LOGOUT, TOTP_FAILED, TOTP_ENABLED, TOTP_DISABLED,
    PASSWORD_CHANGED, CASE_LIST, CASE_SEARCH, CASE_VIEW, PHOTO_VIEW, DOCUMENT_DECISION,
    STATUS_CHANGE, NOTE, ASSIGN, EXPORT, COVER_SHEET, USER_CREATED, USER_DISABLED, USER_ENABLED,
    PASSWORD_RESET, AUDIT_VIEW, AUDIT_EXPORT, DTSEN_IMPORT, DTSEN_LOOKUP, RETENTION_PURGE,
    DATA_READ, ERASURE_REQUESTED, ERASURE_APPROVED, ERASURE_REFUSED,
)  # fmt: skip


def now_utc() -> datetime:
    return datetime.now(UTC)


def record(
    session: AsyncSession,
    action: str,
    actor: Actor | None = None,
    *,
    office_id: str | None = None,
    username: str | None = None,
    case_reference: str | None = None,
    detail: str | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one row to the session (committed with the change it records)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    row = AuditEvent(
        at=at or now_utc(),
        user_id=actor.user_id if actor else None,
        username=actor.username if actor else (username[:64] if username else None),
        office_id=actor.office_id if actor else office_id,
        action=action,
        case_reference=case_reference,
        detail=mask(detail)[:2000] if detail else None,  # never a NIK or phone in full
        ip=(actor.ip if actor else ip),
    )
    session.add(row)
    return row


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    username: str | None = None
    reference: str | None = None
    before_id: int | None = None  # paging: rows older than this one
    limit: int = 100


async def rows(session: AsyncSession, office_id: str, f: AuditFilter) -> list[AuditEvent]:
    """The office's rows, newest first (an admin reads only their own office's)."""
    q = select(AuditEvent).where(AuditEvent.office_id == office_id)
    if f.action:
        q = q.where(AuditEvent.action == f.action)
    if f.username:
        q = q.where(AuditEvent.username == f.username.strip().lower())
    if f.reference:
        q = q.where(AuditEvent.case_reference == f.reference.strip().upper())
    if f.before_id:
        q = q.where(AuditEvent.id < f.before_id)
    result = await session.scalars(q.order_by(AuditEvent.id.desc()).limit(f.limit))
    return list(result)


CSV_HEADER = ("id", "time_utc", "user", "office", "action", "case", "detail", "ip")


def to_csv(events: Iterable[AuditEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for e in events:
        writer.writerow(
            (
                e.id,
                e.at.isoformat(timespec="seconds"),
                e.username or "",
                e.office_id or "",
                e.action,
                e.case_reference or "",
                _cell(e.detail or ""),
                e.ip or "",
            )
        )
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet never runs a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
