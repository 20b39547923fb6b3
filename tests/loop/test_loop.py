"""The loop back to the citizen through the real runtime and journal (redis-server) and a real
case store (SQLite): a refused document reaches the chat once however often it is handed over,
the photo sent back becomes revision 2 of the same case, a status the flow tells is told,
"status" is answered from the case store, each notice ends as `sent` at the desk, a reminder is
said once, and a chat that blocked the bot is no longer written to."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import ChatKey, Inbound, MediaSource
from bot.channels.sender import Blocked
from bot.delivery.sinks.casestore import CaseStoreSink
from bot.delivery.worker import Policy, Worker
from bot.desk import intake
from bot.desk.cases import CaseRepository
from bot.desk.lookup import chat_cases
from bot.desk.models import Case, Notice
from bot.engine.flowset import FlowSet
from bot.engine.model import TextReceived
from bot.loop.dispatch import Dispatcher
from bot.loop.receipts import Receipts
from bot.loop.reminders import DraftReminders
from bot.loop.worker import JournalChats, LoopWorker
from bot.observe import metrics
from tests.desk import dossiers
from tests.desk.test_cases import add_user
from tests.kit import photo_factory as pf
from tests.kit.database import migrated_sqlite
from tests.kit.runtime import Parts, RecordingChannel, parts, started

Sessions = async_sessionmaker[AsyncSession]
CHAT = "5551001"


@dataclass
class Loop:
    p: Parts
    channel: RecordingChannel
    store: CaseStoreSink
    worker: LoopWorker
    outbox: Worker
    n: int = 0

    @property
    def db(self) -> Sessions:
        return self.store.sessions

    async def settle(self) -> None:
        """Every notice into its chat, every turn done, every receipt on its notice."""
        for _ in range(3):
            await self.worker.dispatcher.tick()
            await self.p.settle()
            while await self.worker.report():
                pass

    async def say(self, text: str) -> list[str]:
        return await self.send(Inbound(ChatKey("test", CHAT), self._id(), TextReceived(text)))

    async def photo(self, data: bytes) -> list[str]:
        handle = f"file-{self.n}"
        self.channel.files[handle] = data
        return await self.send(
            Inbound(ChatKey("test", CHAT), self._id(), None, (MediaSource(handle),))
        )

    async def send(self, inbound: Inbound) -> list[str]:
        before = len(self.channel.texts_to(CHAT))
        assert await self.p.runtime.accept(inbound)
        await self.p.settle()
        return self.channel.texts_to(CHAT)[before:]

    def _id(self) -> str:
        self.n += 1
        return f"m{self.n}"

    async def states(self) -> list[tuple[str, str]]:
        async with self.db() as s:
            rows = await s.scalars(select(Notice).order_by(Notice.id))
            return [(n.kind, n.state) for n in rows]


@pytest.fixture
async def loop(tmp_path: Path, redis_url: str, flows: FlowSet) -> AsyncIterator[Loop]:
    channel = RecordingChannel()
    p = parts(redis_url, flows, tmp_path, {"test": channel})
    store = CaseStoreSink(migrated_sqlite(tmp_path / "db"), flows)
    receipts = Receipts(p.redis)
    reminders = DraftReminders(p.redis, timedelta(hours=20))
    p.runtime.sending.observe = receipts.observe
    p.runtime.cases = functools.partial(chat_cases, store.sessions)
    p.runtime.reminders, p.runtime.receipts = reminders, receipts
    chats = JournalChats(p.store, receipts)
    dispatcher = Dispatcher(store.sessions, chats, {"test"}, [timedelta(days=1)])
    worker = LoopWorker(store.sessions, dispatcher, chats, receipts, reminders, "w")
    await receipts.ensure_group()
    outbox = Worker(p.runtime.outbox, [store], "w", Policy())
    await p.runtime.outbox.ensure_group()
    async with started(p):
        yield Loop(p, channel, store, worker, outbox)
    await store.close()


async def test_a_refused_photo_comes_back_as_revision_two_and_the_status_is_told(
    loop: Loop, flows: FlowSet
) -> None:
    sent = metrics.child(metrics.NOTICES, "sent")
    before = sent._value.get()
    d = replace(dossiers.gowa(loop.p.runtime.media, chat_id=CHAT), channel="test")
    await intake.store_dossier(loop.db, flows, d)
    clerk = await add_user(loop.db, "rahmat", "dinsos_gowa")
    async with loop.db() as s:
        repo = CaseRepository(s, clerk, flows)
        kk = (await repo.get(d.reference)).documents[1]
        await repo.decide(d.reference, kk.id, "refused", 1, "blurred")
    await loop.settle()
    await loop.settle()  # handing it over again sends nothing more
    (told,) = loop.channel.texts_to(CHAT)
    assert f"Pesan dari Dinas Sosial Kabupaten Gowa tentang pengajuan {d.reference}" in told
    assert "fotonya buram" in told and "Kirim foto Kartu Keluarga" in told
    assert await loop.states() == [("document_request", "sent"), ("document_reminder", "pending")]

    said = await loop.photo(pf.jpeg(pf.document(seed=42)))
    assert "sudah kami terima dan diteruskan ke petugas" in said[-1]
    await loop.outbox.tick()
    async with loop.db() as s:
        repo = CaseRepository(s, clerk, flows)
        case = await repo.get(d.reference)
        kk = case.documents[1]
        assert (kk.revision, kk.decision, case.status) == (2, "pending", "in_review")
        await repo.decide(d.reference, kk.id, "accepted", 2)
        await repo.set_status(d.reference, "recommendation_sent")
    assert await loop.states() == [
        ("document_request", "sent"),
        ("document_reminder", "cancelled"),
        ("status", "pending"),
    ]
    await loop.settle()
    assert "Status: Rekomendasi dikirim ke BPJS." in loop.channel.texts_to(CHAT)[-1]
    said = await loop.say("status")
    assert f"Pengajuan {d.reference} (Rekomendasi Pengaktifan Kembali KIS): Rekomendasi" in said[0]
    assert "Pesan terakhir dari petugas: Surat rekomendasi" in said[0]
    said = await loop.say(d.reference)  # the reference alone asks too
    assert "Rekomendasi dikirim ke BPJS" in said[0]
    assert (await loop.states())[-1] == ("status", "sent")
    assert sent._value.get() - before == 2  # wargabot_notices_total{state="sent"}
    async with loop.db() as s:
        assert len(list(await s.scalars(select(Case)))) == 1  # never a second application


async def test_a_chat_that_blocked_the_bot_is_no_longer_written_to(
    loop: Loop, flows: FlowSet
) -> None:
    d = replace(dossiers.gowa(loop.p.runtime.media, chat_id=CHAT), channel="test")
    await intake.store_dossier(loop.db, flows, d)
    clerk = await add_user(loop.db, "rahmat", "dinsos_gowa")
    loop.channel.deliver_error = lambda message: Blocked("Forbidden: bot was blocked by the user")
    async with loop.db() as s:
        repo = CaseRepository(s, clerk, flows)
        kk = (await repo.get(d.reference)).documents[1]
        await repo.decide(d.reference, kk.id, "refused", 1, "cut_off")
        await repo.set_status(d.reference, "recommendation_sent")
    await loop.worker.dispatcher.tick()  # the request goes and is refused: the chat is marked
    await loop.p.settle()
    while await loop.worker.report():
        pass
    await loop.settle()
    async with loop.db() as s:
        rows = list(await s.scalars(select(Notice).order_by(Notice.id)))
    assert [(n.kind, n.state, n.detail) for n in rows[:1]] == [
        ("document_request", "failed", "blocked")
    ]
    assert loop.channel.sent == []
    loop.channel.deliver_error = lambda message: None
    await loop.say("halo")  # they unblocked the bot and wrote: the chat takes messages again
    assert loop.channel.texts_to(CHAT)


async def test_an_unfinished_application_is_reminded_of_once(loop: Loop) -> None:
    for text in ("halo", "ya", "1", "mulai", "Nurhayati Daeng Caya"):
        await loop.say(text)
    assert await loop.worker.remind() == 0  # not due yet
    later = datetime.now(UTC) + timedelta(hours=21)
    loop.worker.clock = lambda: later
    assert await loop.worker.remind() == 1
    await loop.p.settle()
    reminded = loop.channel.texts_to(CHAT)[-1]
    assert "belum selesai" in reminded and "NIK" in reminded and "stop pengingat" in reminded
    count = len(loop.channel.texts_to(CHAT))
    assert await loop.worker.remind() == 0  # said once: not planned again for this silence
    await loop.p.settle()
    assert len(loop.channel.texts_to(CHAT)) == count
    said = await loop.say("7306015203850002")  # the citizen goes on where they were
    assert "KTP" in said[-1]


async def test_a_message_that_must_wait_for_the_citizen_is_shown_waiting_then_sent(
    loop: Loop, flows: FlowSet
) -> None:
    """WhatsApp outside its window, no template: the desk says "menunggu warga menulis" until
    the citizen writes; then the message goes first, before the answer to what they wrote."""
    from bot.channels.sender import Hold

    d = replace(dossiers.gowa(loop.p.runtime.media, chat_id=CHAT), channel="test")
    await intake.store_dossier(loop.db, flows, d)
    clerk = await add_user(loop.db, "rahmat", "dinsos_gowa")
    window = {"open": False}
    loop.channel.deliver_error = lambda m: None if window["open"] else Hold("24-hour window")
    async with loop.db() as s:
        await CaseRepository(s, clerk, flows).set_status(d.reference, "recommendation_sent")
    await loop.settle()
    assert await loop.states() == [("status", "waiting")]
    assert loop.channel.sent == []
    window["open"] = True  # the citizen writes: the window is open again
    said = await loop.say("halo pak")
    assert "Status: Rekomendasi dikirim ke BPJS." in said[0]
    while await loop.worker.report():
        pass
    assert await loop.states() == [("status", "sent")]
