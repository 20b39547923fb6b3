"""The durable outbox against a real redis-server, a real SMTP server (aiosmtpd), an office
webhook that checks signatures and the fake Bot API: delivered to every sink once, retried with
backoff while a sink is down, buried and announced after the retry window, never lost."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.channels.base import ChatKey
from bot.channels.telegram import TelegramChannel, make_bot
from bot.commands.main import main
from bot.config import parse_smtp_url
from bot.delivery.notify import Notifier
from bot.delivery.queue import DEAD, OPEN, READY, DossierOutbox, item_key
from bot.delivery.sinks.maildir import MaildirSink
from bot.delivery.sinks.smtp import SmtpSink
from bot.delivery.sinks.telegram_staff import TelegramStaffSink
from bot.delivery.sinks.webhook import WebhookSink
from bot.delivery.worker import Policy, Sink, Worker
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore
from bot.observe import metrics
from tests.kit import photo_factory as pf
from tests.kit.database import migrated_sqlite
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.outbox import OfficeWebhook, SmtpServer, make_dossier, message_ids
from tests.kit.redis_server import RedisServer
from tests.kit.replies import QueuedReplies
from tests.kit.webapp import TOKEN

STAFF = "-1001234567890"
SECRET = "office-webhook-secret-0001"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def smtp() -> Any:
    server = SmtpServer().start()
    yield server
    server.stop()


def smtp_sink(server: SmtpServer, media: MediaStore, **kw: Any) -> SmtpSink:
    return SmtpSink(
        parse_smtp_url(server.url), "kis@dinsos.example", "bot@dinsos.example", media, **kw
    )


def maildir_files(root: Path) -> list[Path]:
    return sorted((root / "new").glob("*")) if (root / "new").exists() else []


async def drain(
    worker: Worker, clock: Clock | None = None, step: float = 0.0, rounds: int = 50
) -> None:
    """Tick until nothing is left undelivered (advancing a simulated clock between ticks)."""
    for _ in range(rounds):
        await worker.tick()
        if (await worker.outbox.status())["undelivered"] == 0:
            return
        if clock is not None:
            clock.now += step
    raise AssertionError(f"still undelivered: {await worker.outbox.status()}")


def counter(metric: Any, *labels: str) -> float:
    return float(metrics.child(metric, *labels)._value.get())


async def test_a_dossier_reaches_every_sink_once_and_the_citizen_is_told(
    redis: Redis, media: MediaStore, tmp_path: Path, smtp: SmtpServer, flows: FlowSet
) -> None:
    office = await OfficeWebhook(SECRET).start()
    async with FakeTelegram() as tg:
        bot = make_bot(TOKEN, tg.url)
        channel = TelegramChannel(bot)
        sinks: list[Sink] = [
            MaildirSink(tmp_path / "inbox", media),
            smtp_sink(smtp, media),
            TelegramStaffSink(bot, STAFF, media),
            WebhookSink(office.url, SECRET, media),
        ]
        outbox = DossierOutbox(redis)
        replies = QueuedReplies(redis)
        notifier = Notifier(flows, {"telegram": channel}, replies.store)
        worker = Worker(outbox, sinks, "w1", Policy(), notifier)
        await outbox.ensure_group()
        before = counter(metrics.DELIVERED, "email")
        d = make_dossier(media, photos=3)
        await outbox.submit(d)
        assert (await outbox.status())["undelivered"] == 1
        await drain(worker)
        await replies.send(ChatKey("telegram", d.chat_id), channel)
        await channel.close()
        await office.close()

        # Maildir: one message with the summary, the JSON record and the three photos
        files = maildir_files(tmp_path / "inbox")
        assert len(files) == 1
        msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
        assert [p.get_filename() for p in msg.iter_attachments()] == [
            "MKS-TST-0001.json", "foto_kk-1.jpg", "foto_rumah-1.jpg", "foto_rumah-2.jpg"
        ]  # fmt: skip
        # email: exactly one, with the stable Message-ID, to the office address
        assert message_ids(smtp.messages) == ["<MKS-TST-0001@wargabot.invalid>"]
        assert b"kis@dinsos.example" in smtp.messages[0]
        assert counter(metrics.DELIVERED, "email") == before + 1
        # webhook: signed (checked by the office's server), keyed by reference, photos inside
        assert office.refused == 0 and [r["key"] for r in office.received] == ["MKS-TST-0001"]
        record = office.received[0]["record"]
        assert record["schema"] == "wargabot.dossier/1" and record["reference"] == "MKS-TST-0001"
        assert len(record["photos"]) == 3 and all(p["content_base64"] for p in record["photos"])
        # staff Telegram chat: the summary, then the photos as one album with captions
        assert len(tg.texts_to(STAFF)) == 1 and "Pengajuan MKS-TST-0001" in tg.texts_to(STAFF)[0]
        albums = [u for u in tg.uploads if str(u["chat_id"]) == STAFF]
        assert [a["method"] for a in albums] == ["sendMediaGroup"]
        assert albums[0]["captions"][0] == "MKS-TST-0001 · foto_kk-1.jpg"
        # the citizen hears the office has it, in their language
        told = tg.texts_to(d.chat_id)
        assert len(told) == 1 and "sudah masuk ke kotak masuk Dinas Sosial Kota Makassar" in told[0]
    # nothing personal is left in Redis once delivered; done markers stay for late duplicates
    item = await outbox.item(d.reference)
    assert "dossier" not in item.fields and item.sinks_done() == [
        "email",
        "maildir",
        "telegram",
        "webhook",
    ]
    assert await redis.xlen(READY) == 0 and await redis.zcard(OPEN) == 0


async def test_smtp_down_at_submission_and_up_ten_minutes_later_is_delivered_once(
    redis: Redis, media: MediaStore, tmp_path: Path
) -> None:
    clock = Clock()
    server = SmtpServer()  # not started: the office mail server is down
    outbox = DossierOutbox(redis, clock)
    worker = Worker(
        outbox, [smtp_sink(server, media, timeout=2)], "w1", Policy(retry_base=10, retry_max=300)
    )
    await outbox.ensure_group()
    await outbox.submit(make_dossier(media, 7))
    start = clock.now
    while clock.now - start < 600:  # ten simulated minutes of a dead server
        await worker.tick()
        clock.now += 5
    item = await outbox.item("MKS-TST-0007")
    assert not item.done("email") and "Connection refused" in item.fields["error"]
    assert 4 <= item.attempts <= 8  # backoff: not hammering, not giving up (10, 20, 40 ... s)
    server.start()
    try:
        await drain(worker, clock, step=30)
    finally:
        server.stop()
    assert message_ids(server.messages) == ["<MKS-TST-0007@wargabot.invalid>"]
    for _ in range(3):  # later rounds deliver nothing more
        clock.now += 3600
        await worker.tick()
    assert len(server.messages) == 1


async def test_a_sink_that_accepted_is_not_repeated_while_another_is_retried(
    redis: Redis, media: MediaStore, smtp: SmtpServer
) -> None:
    clock = Clock()
    office = await OfficeWebhook(SECRET, status=503).start()
    outbox = DossierOutbox(redis, clock)
    sinks: list[Sink] = [smtp_sink(smtp, media), WebhookSink(office.url, SECRET, media)]
    worker = Worker(outbox, sinks, "w1", Policy(retry_base=1))
    await outbox.ensure_group()
    await outbox.submit(make_dossier(media, 3))
    for _ in range(3):
        await worker.tick()
        clock.now += 60
    item = await outbox.item("MKS-TST-0003")
    assert item.attempts == 3 and "webhook: WebhookError" in item.fields["error"]
    assert "HTTP 503" in item.fields["error"]
    office.status = 200
    await drain(worker, clock, step=60)
    await office.close()
    assert len(smtp.messages) == 1 and len(office.received) == 1


async def test_a_wrong_webhook_secret_is_refused_by_the_office_and_retried(
    redis: Redis, media: MediaStore
) -> None:
    office = await OfficeWebhook(SECRET).start()
    outbox = DossierOutbox(redis)
    worker = Worker(outbox, [WebhookSink(office.url, "not-the-office-secret", media)], "w1")
    await outbox.ensure_group()
    await outbox.submit(make_dossier(media, 4))
    await worker.tick()
    await office.close()
    assert office.refused == 1 and office.received == []
    item = await outbox.item("MKS-TST-0004")
    assert "HTTP 401" in item.fields["error"] and await redis.zcard(OPEN) == 1


async def test_after_the_retry_window_it_is_buried_announced_and_can_be_retried(
    redis: Redis,
    redis_url: str,
    media: MediaStore,
    tmp_path: Path,
    flows: FlowSet,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    server = SmtpServer()  # down for good
    async with FakeTelegram() as tg:
        channel = TelegramChannel(make_bot(TOKEN, tg.url))
        outbox = DossierOutbox(redis, clock)
        policy = Policy(retry_base=60, retry_max=3600, give_up_after=6 * 3600)
        replies = QueuedReplies(redis)
        worker = Worker(
            outbox, [smtp_sink(server, media, timeout=2)], "w1", policy,
            Notifier(flows, {"telegram": channel}, replies.store),
        )  # fmt: skip
        await outbox.ensure_group()
        d = make_dossier(media, 5, lang="en")
        await outbox.submit(d)
        dead_before = float(metrics.DEAD_LETTERS._value.get())
        with caplog.at_level(logging.WARNING, "wargabot.worker"):
            for _ in range(40):
                await worker.tick()
                clock.now += 900
        assert await redis.xlen(DEAD) == 1
        assert float(metrics.DEAD_LETTERS._value.get()) == dead_before + 1
        alerts = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(alerts) == 1 and "MKS-TST-0005 NOT delivered" in alerts[0].getMessage()
        chat = ChatKey("telegram", d.chat_id)
        await replies.send(chat, channel)
        told = tg.texts_to(d.chat_id)
        assert len(told) == 1 and "could not yet be passed on" in told[0]  # English, honest

        # the operator sees it and retries it once the mail server is back
        monkeypatch.setenv("REDIS_URL", redis_url)
        monkeypatch.setenv("INBOX_MAILDIR_ENABLED", "true")
        assert await asyncio.to_thread(main, ["outbox", "status"]) == 1
        out = capsys.readouterr().out
        assert "dead letters     1" in out
        assert await asyncio.to_thread(main, ["outbox", "list"]) == 0
        out = capsys.readouterr().out
        assert "MKS-TST-0005" in out and "Connection refused" in out
        assert await asyncio.to_thread(main, ["outbox", "retry", "MKS-NOPE"]) == 1
        assert await asyncio.to_thread(main, ["outbox", "retry", "MKS-TST-0005"]) == 0
        server.start()
        try:
            await drain(worker, clock, step=1)
        finally:
            server.stop()
        await replies.send(chat, channel)
        await channel.close()
        assert message_ids(server.messages) == ["<MKS-TST-0005@wargabot.invalid>"]
        assert "has reached the inbox of" in tg.texts_to(d.chat_id)[-1]
    assert await redis.xlen(DEAD) == 0


async def test_the_same_dossier_submitted_twice_is_delivered_once(
    redis: Redis, media: MediaStore, smtp: SmtpServer
) -> None:
    outbox = DossierOutbox(redis)
    worker = Worker(outbox, [smtp_sink(smtp, media)], "w1")
    await outbox.ensure_group()
    d = make_dossier(media, 6)
    await outbox.submit(d)
    await outbox.submit(d)  # a turn redone after a crash between submit and session save
    await drain(worker)
    await worker.tick()
    assert len(smtp.messages) == 1 and await redis.xlen(READY) == 0


async def test_two_workers_at_once_deliver_each_dossier_exactly_once(
    redis: Redis, media: MediaStore, smtp: SmtpServer, tmp_path: Path
) -> None:
    outbox = DossierOutbox(redis)
    sinks: list[Sink] = [smtp_sink(smtp, media), MaildirSink(tmp_path / "inbox", media)]
    workers = [Worker(outbox, sinks, f"w{i}", Policy(concurrency=3)) for i in range(2)]
    await outbox.ensure_group()
    for n in range(20):
        await outbox.submit(make_dossier(media, 100 + n, photos=1))
    for _ in range(20):
        await asyncio.gather(*(w.tick() for w in workers))
        if (await outbox.status())["undelivered"] == 0:
            break
    ids = message_ids(smtp.messages)
    assert len(ids) == 20 and len(set(ids)) == 20
    assert len(maildir_files(tmp_path / "inbox")) == 20


async def test_telegram_staff_retry_sends_only_the_missing_parts(
    redis: Redis, media: MediaStore
) -> None:
    clock = Clock()
    async with FakeTelegram() as tg:
        bot = make_bot(TOKEN, tg.url)
        outbox = DossierOutbox(redis, clock)
        worker = Worker(outbox, [TelegramStaffSink(bot, STAFF, media)], "w1", Policy(retry_base=1))
        await outbox.ensure_group()
        await outbox.submit(make_dossier(media, 8, photos=12))  # two albums: 10 + 2
        tg.fail_next("sendMediaGroup", status=500)
        tg.fail_next("sendMediaGroup", status=500)
        await drain(worker, clock, step=120, rounds=10)
        await bot.close_requests()
    assert len(tg.texts_to(STAFF)) == 1
    sizes = [len(u["files"]) for u in tg.uploads if u["method"] == "sendMediaGroup"]
    assert sizes == [10, 2]


async def test_outbox_entries_survive_a_redis_restart_with_append_only_persistence(
    redis_server: RedisServer, redis_url: str, media: MediaStore, smtp: SmtpServer
) -> None:
    redis_server.restart(appendonly=True)
    try:
        client = Redis.from_url(redis_url)
        outbox = DossierOutbox(client)
        await outbox.ensure_group()
        for n in range(5):
            await outbox.submit(make_dossier(media, 200 + n, photos=1))
        await client.aclose()
        redis_server.restart(appendonly=True)  # SIGTERM, then start again from the AOF
        client = Redis.from_url(redis_url)
        outbox = DossierOutbox(client)
        assert (await outbox.status())["undelivered"] == 5
        await drain(Worker(outbox, [smtp_sink(smtp, media)], "w1"))
        await client.aclose()
        assert sorted(message_ids(smtp.messages)) == [
            f"<MKS-TST-{200 + n:04d}@wargabot.invalid>" for n in range(5)
        ]
    finally:
        redis_server.restart(appendonly=False)


def _worker_process(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


async def test_a_worker_killed_mid_delivery_delivers_once_after_restart(
    redis_url: str, redis: Redis, media: MediaStore, tmp_path: Path, smtp: SmtpServer
) -> None:
    env = {
        "REDIS_URL": redis_url,
        "MEDIA_DIR": str(tmp_path / "media"),
        "INBOX_MAILDIR": str(tmp_path / "inbox"),
        "DATABASE_URL": migrated_sqlite(tmp_path),
        "SMTP_URL": smtp.url,
        "INBOX_EMAIL_TO": "kis@dinsos.example",
        "OUTBOX_CLAIM_IDLE_SECONDS": "1",
        "OUTBOX_RETRY_BASE_SECONDS": "0.5",
        "LOG_LEVEL": "info",
    }
    outbox = DossierOutbox(redis)
    await outbox.ensure_group()
    await outbox.submit(make_dossier(media, 9))
    log = tmp_path / "worker.log"
    smtp.gate = gate = __import__("threading").Event()  # the mail server stalls in mid-delivery
    first = _worker_process(env, log)
    try:
        assert await asyncio.to_thread(smtp.waiting.wait, 30), log.read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    gate.set()
    second = _worker_process(env, log)
    try:
        deadline = time.monotonic() + 30
        while (await outbox.status())["undelivered"] and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert (await outbox.status())["undelivered"] == 0, log.read_text()
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    assert second.returncode == 0
    assert message_ids(smtp.messages) == ["<MKS-TST-0009@wargabot.invalid>"]
    assert len(maildir_files(tmp_path / "inbox")) == 1
    assert "dossier" not in (await outbox.item("MKS-TST-0009")).fields
    assert await redis.exists(item_key("MKS-TST-0009"))


def test_the_fault_test_loses_and_duplicates_nothing() -> None:
    """A short run of `make fault-test`: 30 dossiers, the worker SIGKILLed 3 times, the mail
    server restarted once."""
    run = subprocess.run(
        [sys.executable, "-m", "tests.delivery.fault_outbox", "--dossiers", "30", "--kills", "3",
         "--bounces", "1"],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "delivered 30 / lost 0 / duplicated 0" in run.stdout


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # TLS from the start
@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "smtps"])
async def test_email_goes_over_tls_with_a_login(
    implicit: bool, redis: Redis, media: MediaStore, tmp_path: Path
) -> None:
    import ssl

    from tests.kit.outbox import self_signed

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpServer(users={"dinsos": "rahasia-123"}, tls=context, implicit_tls=implicit)
    server.start()
    scheme = "smtps" if implicit else "smtp"
    target = parse_smtp_url(f"{scheme}://dinsos:rahasia-123@127.0.0.1:{server.port}")
    sink = SmtpSink(target, "kis@dinsos.example", "bot@dinsos.example", media, ca_file=cert)
    outbox = DossierOutbox(redis)
    try:
        await outbox.ensure_group()
        await outbox.submit(make_dossier(media, 11))
        await drain(Worker(outbox, [sink], "w1"))
    finally:
        server.stop()
    assert message_ids(server.messages) == ["<MKS-TST-0011@wargabot.invalid>"]
    assert server.logins == ["dinsos"]


async def test_a_document_sent_again_reaches_the_case_and_the_staff_chat_once(
    redis: Redis, media: MediaStore, tmp_path: Path, flows: FlowSet
) -> None:
    from sqlalchemy import select

    from bot.delivery.sinks.casestore import CaseStoreSink
    from bot.desk.models import Case
    from bot.engine.model import Revision

    async with FakeTelegram() as tg:
        bot = make_bot(TOKEN, tg.url)
        store = CaseStoreSink(migrated_sqlite(tmp_path / "db"), flows)
        maildir = MaildirSink(tmp_path / "inbox", media)
        sinks: list[Sink] = [store, maildir, TelegramStaffSink(bot, STAFF, media, flows)]
        outbox = DossierOutbox(redis)
        worker = Worker(outbox, sinks, "w1", Policy())
        await outbox.ensure_group()
        d = make_dossier(media, photos=1)
        await outbox.submit(d)
        await drain(worker)
        new_kk = media.put(pf.jpeg(pf.document(seed=77)), "image/jpeg")
        revision = Revision(
            f"{d.reference}/foto_kk/1", d.reference, "foto_kk", "id", d.channel, d.chat_id,
            d.submitted_at, (new_kk,),
        )  # fmt: skip
        await outbox.submit_revision(revision)
        await outbox.submit_revision(revision)  # a turn done again: nothing more
        await drain(worker)
        async with store.sessions() as s:
            case = await s.scalar(select(Case).where(Case.reference == d.reference))
            assert case is not None
            await s.refresh(case, ["documents"])
            assert [doc.revision for doc in case.documents] == [2]
        await store.close()
        texts = tg.texts_to(STAFF)
        assert texts[-1] == (
            f"{d.reference}: Foto Kartu Keluarga dikirim ulang oleh warga (periksa di meja kantor)"
        )
        assert sum(1 for t in texts if "dikirim ulang" in t) == 1
        uploads = [u for u in tg.uploads if str(u["chat_id"]) == STAFF]
        assert uploads[-1]["method"] == "sendPhoto"  # and the new page itself
        assert uploads[-1]["files"][0][1] == media.read(new_kk)
    assert len(maildir_files(tmp_path / "inbox")) == 1  # the Maildir takes dossiers only
