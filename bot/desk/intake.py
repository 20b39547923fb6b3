"""A delivered dossier becomes a case: its answers, one document per photo step with its
files, the first status of its flow and a `received` event. Idempotent by reference (a
second delivery of the same dossier changes nothing), so the delivery sink can retry."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.desk import statuses, timeline
from bot.desk.models import Case, CaseEvent, Document, DocumentFile
from bot.engine.flow import Flow
from bot.engine.flowset import FlowSet
from bot.engine.model import Dossier

# The applicant's name: the first step of kind `name` (docs/flows.md), or, in a flow written
# before that kind, a text step with one of these ids.
NAME_STEPS = ("nama", "nama_lengkap", "name")


class UnknownFlow(Exception):
    """The dossier names a flow this wargabot does not have: its office cannot be known."""


def normalize_name(name: str) -> str:
    """Lower case, accents and punctuation dropped, single spaces: what a search compares."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[^\w ]+", " ", text)
    return " ".join(text.split())[:200]


def normalize_phone(text: str) -> str | None:
    """+62... from 0812..., 62812..., +62 812-... or 812...; None when it is no phone number."""
    digits = "".join(c for c in text if c.isdigit())
    if digits.startswith("62"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    if not digits.startswith("8") or not 8 <= len(digits) <= 13:
        return None
    return "+62" + digits


def _kind(flow: Flow, step: str) -> str | None:
    return flow.index[step].kind if flow.has_step(step) else None


def answers_of(flow: Flow, dossier: Dossier) -> list[dict[str, Any]]:
    out = []
    for a in dossier.answers:
        kind = _kind(flow, a.step)
        value = None if isinstance(a.value, list) else a.value  # photos: the documents hold them
        out.append(
            {"step": a.step, "kind": kind, "label": a.label, "value": value, "display": a.display}
        )
    return out


def search_fields(flow: Flow, dossier: Dossier) -> dict[str, str | None]:
    """The indexed columns, from the first answer of each kind."""
    found: dict[str, str | None] = {"name": None, "nik": None, "kk": None, "phone": None}
    for a in dossier.answers:
        if not isinstance(a.value, str):
            continue
        kind = _kind(flow, a.step)
        if kind == "nik" and found["nik"] is None:
            found["nik"] = a.value[:16]
        elif kind == "kk" and found["kk"] is None:
            found["kk"] = a.value[:16]
        elif kind == "phone" and found["phone"] is None:
            found["phone"] = normalize_phone(a.value) or a.value[:20]
        elif found["name"] is None and (
            kind == "name" or (kind == "text" and a.step in NAME_STEPS)
        ):
            found["name"] = a.value[:200]
    return found


def build_case(flows: FlowSet, dossier: Dossier, now: datetime) -> Case:
    flow = flows.flows.get(dossier.flow_id)
    if flow is None:
        raise UnknownFlow(
            f"dossier {dossier.reference} is for flow {dossier.flow_id!r}, which is not in "
            f"FLOWS_DIR: its office is unknown"
        )
    fields = search_fields(flow, dossier)
    first = statuses.initial(flows, flow.id)
    case = Case(
        reference=dossier.reference,
        office_id=flow.office.id,
        flow_id=flow.id,
        flow_version=dossier.flow_version,
        service=dossier.service[:200],
        channel=dossier.channel,
        chat_id=dossier.chat_id,
        language=dossier.language,
        started_at=dossier.started_at.astimezone(UTC),
        submitted_at=dossier.submitted_at.astimezone(UTC),
        received_at=now,
        updated_at=now,
        status=first.id,
        status_changed_at=now,
        answers=answers_of(flow, dossier),
        name_norm=normalize_name(fields["name"]) if fields["name"] else None,
        **fields,
    )
    labels = {a.step: a.label for a in dossier.answers}
    pages: dict[str, int] = {}
    documents: dict[str, Document] = {}
    for step, ref in dossier.photos:
        doc = documents.get(step)
        if doc is None:
            doc = Document(
                step=step,
                label=labels.get(step, step)[:200],
                position=len(documents),
                revision=1,
                decision="pending",
            )
            documents[step] = doc
        pages[step] = pages.get(step, 0) + 1
        doc.files.append(
            DocumentFile(
                revision=1,
                page=pages[step],
                media_key=ref.key,
                mime=ref.mime,
                sha256=ref.sha256,
                size=ref.size,
                received_at=dossier.submitted_at.astimezone(UTC),
            )
        )
    case.documents = list(documents.values())
    return case


async def store_dossier(
    sessions: async_sessionmaker[AsyncSession],
    flows: FlowSet,
    dossier: Dossier,
    now: datetime | None = None,
) -> bool:
    """Store the dossier as a case; False when a case with its reference exists already."""
    now = now or datetime.now(UTC)
    async with sessions() as session:
        found = await session.scalar(select(Case.id).where(Case.reference == dossier.reference))
        if found is not None:
            return False
        case = build_case(flows, dossier, now)
        session.add(case)
        await session.flush()
        session.add(
            CaseEvent(
                case_id=case.id,
                at=now,
                kind=timeline.RECEIVED,
                data={
                    "channel": dossier.channel,
                    "status": case.status,
                    "documents": [d.step for d in case.documents],
                },
            )
        )
        try:
            await session.commit()
        except IntegrityError:  # another worker stored it a moment ago
            await session.rollback()
            return False
    return True
