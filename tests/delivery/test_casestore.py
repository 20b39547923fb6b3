"""The case-store sink, like every sink: a delivery stores one case, a repeated one (a worker
killed after writing, before recording it) stores nothing more, and a dossier whose flow is gone
fails loudly so the outbox retries it and the operator sees why."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.delivery.sinks.casestore import CaseStoreSink
from bot.desk.intake import UnknownFlow
from bot.desk.models import Case, Document, DocumentFile
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore
from tests.kit.database import migrated_sqlite
from tests.kit.outbox import make_dossier


async def test_a_dossier_is_stored_once_however_often_it_is_delivered(
    tmp_path: Path, flows: FlowSet
) -> None:
    media = MediaStore(tmp_path / "media")
    sink = CaseStoreSink(migrated_sqlite(tmp_path), flows)
    dossier = make_dossier(media, 7, photos=2)
    try:
        for _ in range(3):
            await sink.deliver(dossier)
        async with sink.sessions() as db:
            assert await db.scalar(select(func.count(Case.id))) == 1
            case = await db.scalar(select(Case))
            assert case is not None and case.reference == dossier.reference
            documents = await db.scalar(select(func.count(Document.id)))
            assert documents is not None and documents >= 1
            files = await db.scalar(select(func.count(DocumentFile.id)))
            assert files == len(dossier.photos) == 2
        gone = dataclasses.replace(dossier, reference="XXX-222-222-222", flow_id="no-such-flow")
        with pytest.raises(UnknownFlow, match="no-such-flow"):
            await sink.deliver(gone)
    finally:
        await sink.close()
