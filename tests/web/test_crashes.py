"""A message accepted is a message answered, even when a process dies: `wargabot serve` SIGKILLed
during a slow photo download and between saving a turn and sending its reply, Redis unreachable
for two seconds under WhatsApp, and order per chat with two web processes. Real processes, a real
redis-server, the fake Bot API and Twilio."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.kit import photo_factory as pf
from tests.kit.citizens import Citizen
from tests.kit.fake_telegram import FakeTelegram, photo_update, text_update
from tests.kit.fake_twilio import FakeTwilio
from tests.kit.ports import free_port
from tests.kit.redis_server import RedisServer
from tests.kit.serve import Server, post_update
from tests.kit.webapp import running, telegram_env, whatsapp_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TO_KTP_PHOTO = ["halo", "ya", "1", "mulai", "Nurhayati", "7306015203850002"]  # Gowa


async def _until(check: Any, timeout: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        await asyncio.sleep(0.02)


async def _converse(port: int, tg: FakeTelegram, chat: int, texts: list[str], first: int) -> int:
    """Say each text and wait for its reply; the next update id."""
    for n, text in enumerate(texts, first):
        before = len(tg.texts_to(chat))
        assert await post_update(port, text_update(n, chat, text)) == 200
        await tg.wait_for_messages(chat, before + 1, timeout=20)
    return first + len(texts)


async def test_a_process_killed_during_a_slow_photo_download_answers_the_photo_after_restart(
    tmp_path: Path, redis_url: str
) -> None:
    async with FakeTelegram() as tg:
        env = telegram_env(tmp_path, redis_url, tg, JOURNAL_CLAIM_IDLE_SECONDS="1")
        server, chat = Server(env, free_port(), tmp_path / "serve.log"), 7781001
        server.start()
        try:
            update_id = await _converse(server.port, tg, chat, TO_KTP_PHOTO, 1)
            before = len(tg.texts_to(chat))
            tg.download_delay = 30  # the photo downloads slowly...
            photo = photo_update(update_id, chat, tg.add_file(pf.jpeg(pf.document(seed=3))))
            posting = asyncio.create_task(post_update(server.port, photo))
            await _until(lambda: tg.downloads > 0, what="the download to begin")
            server.kill()  # ...and the process dies in the middle of it
            tg.download_delay = 0
            await asyncio.gather(posting, return_exceptions=True)
            server.start()
            # Telegram delivers the update again (it may not have had its 200): answered once
            assert await post_update(server.port, photo) == 200
            replies = await tg.wait_for_messages(chat, before + 1, timeout=30)
            await asyncio.sleep(1.5)
        finally:
            server.stop()
    assert len(tg.texts_to(chat)) == before + 1, tg.texts_to(chat)[before:]
    assert replies[-1]["text"].startswith("Ketik nomor Kartu Keluarga")  # the photo was taken


async def test_a_process_killed_between_saving_and_sending_sends_the_reply_after_restart(
    tmp_path: Path, redis_url: str
) -> None:
    async with FakeTelegram() as tg:
        env = telegram_env(tmp_path, redis_url, tg)
        server, chat = Server(env, free_port(), tmp_path / "serve.log"), 7781002
        server.start()
        try:
            update_id = await _converse(server.port, tg, chat, TO_KTP_PHOTO[:4], 1)
            before = len(tg.texts_to(chat))
            calls = len(tg.calls)
            tg.delay = 30  # the Bot API takes the reply, and takes its time answering
            assert await post_update(server.port, text_update(update_id, chat, "Nurhayati")) == 200
            await _until(lambda: any(m == "sendMessage" for m, _ in tg.calls[calls:]), what="send")
            server.kill()  # the turn is saved; its reply is in flight
            tg.delay = 0
            server.start()
            replies = await tg.wait_for_messages(chat, before + 1, timeout=30)
            await asyncio.sleep(1)
        finally:
            server.stop()
    assert replies[-1]["text"].startswith("Ketik NIK")
    assert len(tg.texts_to(chat)) == before + 1  # the reply in flight was sent again, once


async def test_redis_unreachable_for_two_seconds_under_whatsapp_is_answered_or_refused(
    tmp_path: Path, tw: FakeTwilio
) -> None:
    (tmp_path / "redis").mkdir()
    redis = RedisServer("redis-server", free_port(), tmp_path / "redis")
    redis.start(appendonly=True)
    try:
        env = whatsapp_env(tmp_path, redis.url, tw) | {"JOURNAL_CLAIM_IDLE_SECONDS": "1"}
        async with running(env) as app:
            citizen = Citizen(app, tw, "+6281234569001")
            assert (await citizen.send("halo"))[0].startswith("Halo! Saya wargabot")
            # Redis down: the message cannot be written, and Twilio is told so (its fallback)
            redis.stop()
            params = tw.form_for("SM" + "1" * 32, citizen.phone, "iya")
            refused = await citizen.post(params)
            await asyncio.sleep(2)
            redis.start(appendonly=True)
            assert refused.status_code == 503
            # Redis frozen for two seconds with a message half-way: answered once it is back
            assert redis.proc is not None
            redis.proc.send_signal(signal.SIGSTOP)
            params = tw.form_for("SM" + "2" * 32, citizen.phone, "iya")
            posting = asyncio.create_task(citizen.post(params))
            await asyncio.sleep(2)
            redis.proc.send_signal(signal.SIGCONT)
            answered = await posting
            await app.settle(timeout=30)
            replies = tw.bodies_to(citizen.to)
    finally:
        redis.stop()
    assert answered.status_code == 200
    assert len(replies) == 2 and replies[1].startswith("Pilih kantor Dinas Sosial")


async def test_two_web_processes_answer_bursts_in_order_per_chat(
    tmp_path: Path, redis_url: str
) -> None:
    texts = ["halo", "ya", "2", "mulai", "1", "Siti Aminah"]
    names = ["Ani Lestari", "Budi Santoso", "Citra Dewi", "Dedi Kurnia", "Eka Putri", "Gita Sari"]
    texts += [w for name in names * 2 for w in (name, "kembali")]
    chats = [7782000 + i for i in range(12)]
    async with FakeTelegram() as tg:
        env = telegram_env(tmp_path, redis_url, tg, WEB_WORKERS="2")
        server = Server(env, free_port(), tmp_path / "serve.log")
        server.start()
        try:
            reference = await _converse(server.port, tg, 7781999, texts, 1)
            ids = iter(range(reference, 10**9))

            async def burst(chat: int) -> None:
                for text in texts:  # one after another, never waiting for a reply
                    assert await post_update(server.port, text_update(next(ids), chat, text)) == 200

            await asyncio.gather(*(burst(c) for c in chats))
            for chat in chats:
                await tg.wait_for_messages(chat, len(texts), timeout=60)
            pids = _children(server.proc.pid if server.proc else 0)
        finally:
            server.stop()
    expected = tg.texts_to(7781999)
    for chat in chats:
        assert tg.texts_to(chat) == expected, chat
    assert len(pids) >= 2  # the supervisor's two web processes both served


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and int(stat.parent.name) != os.getpid():
            found.append(int(stat.parent.name))
    return found
