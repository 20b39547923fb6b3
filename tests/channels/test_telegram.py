"""Telegram end to end: signed webhook posts into the real app, python-telegram-bot's real HTTP
code against a local fake Bot API, a real redis-server, photos fetched with getFile."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from pathlib import Path
from typing import Any, cast

import pytest

from tests.kit import photo_factory as pf
from tests.kit.citizens import GOWA, Chat
from tests.kit.fake_telegram import (
    FakeTelegram,
    callback_update,
    contact_update,
    document_update,
    group_text_update,
    location_update,
    photo_update,
    sticker_update,
    text_update,
    voice_update,
)
from tests.kit.webapp import SECRET, env_for, running, telegram_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


async def test_a_whole_gowa_application_over_telegram(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5551001)
        for step in GOWA:
            if isinstance(step, tuple):
                await chat.photo(pf.jpeg(pf.document(seed=step[1])))
            else:
                await chat.say(step)
        # the phone step offers a share-contact button; the citizen uses it
        last = tg.sent[-1]
        assert last["reply_markup"]["keyboard"][0][0]["request_contact"] is True
        before = len(tg.texts_to(chat.chat_id))
        update = contact_update(Chat.next_id(), chat.chat_id, "+6285299998888")
        assert await chat.post(update) == 200
        await app.settle()
        summary = tg.texts_to(chat.chat_id)[before:]
        assert "Nomor HP: 085299998888" in summary[-1]
        done = await chat.say("Kirim pengajuan")  # the keyboard button's label as text
        assert "Nomor pengajuan: GWA-" in done[-1]
        reference = done[-1].split("Nomor pengajuan: ")[1].split()[0]
        await app.delivered()  # the worker inside `serve` hands it to the office inbox
        told = tg.texts_to(chat.chat_id)[-1]
        assert f"Pengajuan {reference} sudah masuk ke kotak masuk" in told
    files = list((tmp_path / "inbox" / "new").iterdir())
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names[1:] == [
        "foto_ktp-1.jpg",
        "foto_kk-1.jpg",
        "foto_rumah-1.jpg",
        "foto_keluarga-1.jpg",
    ]
    record = json.loads(cast(bytes, next(msg.iter_attachments()).get_payload(decode=True)))
    assert record["channel"] == "telegram" and record["answers"]["nama"]["value"] == "Nurhayati"
    getfile = [params for method, params in tg.calls if method.lower() == "getfile"]
    assert len(getfile) == 4  # every photo was downloaded with getFile


async def test_choices_are_keyboard_buttons(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        await Chat(app, tg, 5551002).say("halo")
    keyboard = tg.sent[-1]["reply_markup"]["keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Ya, setuju", "Tidak setuju"]


async def test_forged_secret_is_refused_and_changes_nothing(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5551003)
        update = text_update(Chat.next_id(), chat.chat_id, "halo")
        assert await chat.post(update, secret="wrong-secret-000000") == 403
        res = await app.client.post("/telegram/webhook", json=update)  # no header at all
        assert res.status_code == 403
        await app.settle()
        assert tg.sent == []
        assert await app.services.store.redis.keys("wb:{telegram:*") == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"no_update_id": 1}', b'{"update_id": "x"}'],
)
async def test_malformed_bodies_get_400(
    tmp_path: Path, redis_url: str, tg: FakeTelegram, body: bytes
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        res = await app.client.post("/telegram/webhook", content=body, headers=HEADERS)
        assert res.status_code == 400


async def test_the_same_update_twice_gets_one_reply(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5551004)
        update = text_update(Chat.next_id(), chat.chat_id, "halo")
        assert await chat.post(update) == 200
        assert await chat.post(update) == 200
        await app.settle()
    assert len(tg.texts_to(chat.chat_id)) == 1  # greeting and consent question, once


async def test_twenty_citizens_at_once_never_see_each_others_answers(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chats = [Chat(app, tg, 5552000 + i) for i in range(20)]

        async def converse(chat: Chat) -> None:
            for text in ("halo", "ya", "2", "mulai", "1", _name_of(chat.chat_id)):
                await chat.post(text_update(Chat.next_id(), chat.chat_id, text))

        await asyncio.gather(*(converse(c) for c in chats))
        await app.settle()
        for chat in chats:
            texts = tg.texts_to(chat.chat_id)
            assert texts[-1].startswith("Ketik NIK Anda"), texts[-3:]
            session = await chat.session()
            assert session is not None
            assert session.answers["nama"] == _name_of(chat.chat_id)


def _name_of(chat_id: int) -> str:
    """A name of its own for each chat (names have no digits: "Warga Fcfca")."""
    return "Warga " + str(chat_id).translate(str.maketrans("0123456789", "abcdefghij")).title()


async def _to_house_photos(chat: Chat) -> None:
    for step in GOWA[:11]:
        if isinstance(step, tuple):
            await chat.photo(pf.jpeg(pf.document(seed=step[1])))
        else:
            await chat.say(step)


async def test_an_album_of_ten_photos_gets_one_reply(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    env = telegram_env(tmp_path, redis_url, tg)
    async with running(env) as app:
        app.services.runtime.album_quiet = 0.3
        chat = Chat(app, tg, 5551005)
        await _to_house_photos(chat)
        before = len(tg.texts_to(chat.chat_id))
        updates = []
        for i in range(10):
            file_id = tg.add_file(pf.jpeg(pf.house(seed=i)))
            updates.append(photo_update(Chat.next_id(), chat.chat_id, file_id, media_group_id="A1"))
        codes = await asyncio.gather(*(chat.post(u) for u in updates))
        assert codes == [200] * 10
        await app.settle()
        replies = tg.texts_to(chat.chat_id)[before:]
        assert len(replies) == 1, replies
        assert replies[0].startswith("Sudah 10 foto, batas untuk langkah ini.")
        session = await chat.session()
        assert session is not None and len(session.answers["foto_rumah"]) == 10


async def test_bad_media_and_unsupported_messages_get_clear_answers(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5551006)
        await _to_house_photos(chat)
        cases: list[tuple[dict[str, Any], str]] = [
            (
                photo_update(Chat.next_id(), chat.chat_id, tg.add_file(pf.png_bomb())),
                "terlalu besar",
            ),
            (photo_update(Chat.next_id(), chat.chat_id, tg.add_file(b"\x00" * 64)), "bukan foto"),
            (
                photo_update(
                    Chat.next_id(), chat.chat_id, tg.add_file(b"x"), file_size=25 * 1024 * 1024
                ),
                "File ini terlalu besar",
            ),
            (
                document_update(
                    Chat.next_id(),
                    chat.chat_id,
                    tg.add_file(b"\x89random"),
                    "image/jpeg",
                    "a.jpg",
                    9,
                ),
                "bukan foto",
            ),
            (
                photo_update(
                    Chat.next_id(), chat.chat_id, tg.add_file(pf.jpeg(pf.blurred(pf.house(), 12)))
                ),
                "buram",
            ),
            (sticker_update(Chat.next_id(), chat.chat_id), "stiker"),
            (voice_update(Chat.next_id(), chat.chat_id), "pesan suara"),
            (location_update(Chat.next_id(), chat.chat_id), "lokasi tidak diperlukan"),
        ]
        for update, expected in cases:
            before = len(tg.texts_to(chat.chat_id))
            assert await chat.post(update) == 200
            await app.settle()
            replies = tg.texts_to(chat.chat_id)[before:]
            assert len(replies) == 1 and expected in replies[0], (expected, replies)
        session = await chat.session()
        assert session is not None and session.step == "foto_rumah" and not session.pending
        assert (await app.client.get("/healthz")).status_code == 200  # still running


async def test_group_messages_and_foreign_buttons_are_ignored(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5551007)
        assert await chat.post(group_text_update(Chat.next_id(), chat.chat_id, "halo")) == 200
        await app.settle()
        assert tg.sent == []
        assert await chat.post(callback_update(Chat.next_id(), chat.chat_id, "ya")) == 200
        await app.settle()
        assert len(tg.texts_to(chat.chat_id)) == 1  # a new chat is greeted, nothing crashes


async def test_photos_are_only_downloaded_when_a_photo_is_asked(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5551008)
        await chat.say("halo")
        replies = await chat.photo(pf.jpeg(pf.document()))
        assert replies[0].startswith("Mohon pilih 1 bila setuju")  # still the consent question
    assert not [m for m, _ in tg.calls if m.lower() == "getfile"]
    assert not (tmp_path / "media").exists() or not list((tmp_path / "media").rglob("*.jpg"))


async def test_a_429_from_telegram_is_retried_after_its_delay(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        tg.fail_next("sendMessage", status=429, retry_after=1)
        chat = Chat(app, tg, 5551009)
        await chat.say("halo")
    attempts = [p for m, p in tg.calls if m.lower() == "sendmessage"]
    assert len(attempts) == 2  # the refused one, then the greeting again
    assert len(tg.texts_to(chat.chat_id)) == 1


async def test_health_readiness_and_metrics(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        await Chat(app, tg, 5551010).say("halo")
        assert (await app.client.get("/healthz")).text == "ok"
        assert (await app.client.get("/readyz")).status_code == 200
        body = (await app.client.get("/metrics")).text
        assert 'wargabot_messages_in_total{channel="telegram"}' in body
    down = env_for(tmp_path, "redis://127.0.0.1:1/0")
    async with running(down) as app:
        assert (await app.client.get("/readyz")).status_code == 503


async def test_a_citizen_returning_after_expiry_is_told_and_starts_over(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    env = telegram_env(tmp_path, redis_url, tg)
    env["SESSION_TTL_DAYS"] = str(1.0 / 86400)  # one second
    async with running(env) as app:
        chat = Chat(app, tg, 5551011)
        await chat.say("halo")
        await chat.say("ya")
        await asyncio.sleep(1.5)
        replies = await chat.say("2")
        assert replies[0].startswith("Percakapan Anda sebelumnya sudah lebih dari")
        assert "Apakah Anda setuju" in replies[-1]  # greeted again, from the start


async def test_a_citizen_returning_before_expiry_resumes(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5551012)
        for text in ("halo", "ya", "2", "mulai", "1"):
            await chat.say(text)
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        replies = await Chat(app, tg, 5551012).say("Siti Aminah")
        assert replies[-1].startswith("Ketik NIK Anda")
