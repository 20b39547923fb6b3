"""The case-store sink: every delivered dossier becomes a case in the desk's database
(DATABASE_URL), idempotent by reference like the other sinks: a repeated delivery, or one
another worker made a moment ago, stores nothing twice. A document sent again becomes the next
revision of its case's document (bot/desk/revisions.py), idempotent by its key."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.desk import privacy
from bot.desk.db import make_engine, make_sessions
from bot.desk.intake import store_dossier
from bot.desk.lookup import chat_cases
from bot.desk.revisions import NotTheirs, store_revision
from bot.engine.flowset import FlowSet
from bot.engine.model import CaseData, CaseStatus, Dossier, Revision

log = logging.getLogger("wargabot.casestore")


class CaseStoreSink:
    name = "casestore"

    def __init__(self, database_url: str, flows: FlowSet) -> None:
        self.engine = make_engine(database_url)
        self.sessions = make_sessions(self.engine)
        self.flows = flows

    async def deliver(self, dossier: Dossier, progress: object = None) -> None:
        if await store_dossier(self.sessions, self.flows, dossier):
            log.info("case %s stored", dossier.reference, extra={"dossier": dossier.reference})

    async def deliver_revision(self, revision: Revision, progress: object = None) -> None:
        try:
            await store_revision(self.sessions, self.flows, revision)
        except NotTheirs as exc:  # never retried: no later attempt can make it theirs
            log.warning("a revision was not stored: %s", exc, extra={"dossier": revision.reference})

    async def cases(self, channel: str, chat_id: str, reference: str) -> tuple[CaseStatus, ...]:
        """A chat's cases as the office has them now (bot/desk/lookup.py)."""
        return await chat_cases(self.sessions, channel, chat_id, reference)

    async def data(self, channel: str, chat_id: str, now: datetime) -> tuple[CaseData, ...]:
        """What the office keeps about a chat ("data saya", bot/desk/privacy.py)."""
        return await privacy.chat_data(self.sessions, channel, chat_id, now)

    async def erase(
        self, channel: str, chat_id: str, now: datetime
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """A chat's deletion request filed with every office that keeps a case of it."""
        return await privacy.file_request(self.sessions, channel, chat_id, now)

    async def close(self) -> None:
        await self.engine.dispose()
