"""What can happen to a case, as timeline facts (case_events.kind) with the data each carries.
Issue 13 turns some of these into messages to the citizen, keyed by the event's id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.desk.models import CaseEvent

RECEIVED = "received"  # {channel, status, documents: [step]}
DOCUMENT_ACCEPTED = "document_accepted"  # {document, step, label, revision}
DOCUMENT_REFUSED = "document_refused"  # {document, step, label, revision, reason, text}
STATUS_CHANGED = "status_changed"  # {from, to, reason, final}
NOTE_ADDED = "note_added"  # {text}
ASSIGNED = "assigned"  # {user_id, username} (None: unassigned)
REVISION_RECEIVED = "revision_received"  # {document, step, revision, files} (issue 13)

KINDS = (
    RECEIVED,
    DOCUMENT_ACCEPTED,
    DOCUMENT_REFUSED,
    STATUS_CHANGED,
    NOTE_ADDED,
    ASSIGNED,
    REVISION_RECEIVED,
)


def add(
    session: AsyncSession, case_id: int, kind: str, at: datetime, actor_id: int | None, **data: Any
) -> CaseEvent:
    if kind not in KINDS:
        raise ValueError(f"unknown case event {kind!r}")
    event = CaseEvent(case_id=case_id, kind=kind, at=at, actor_id=actor_id, data=data)
    session.add(event)
    return event
