"""The fakes speak the real protocols: python-telegram-bot and twilio-python, unmocked."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.kit import fake_telegram as ft
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.fake_twilio import FakeTwilio, form_for, new_sid, signature

TOKEN = "123456789:AAFakeTokenOnlyForTests-wargabot01"
WARGA = 62812000101  # a synthetic Telegram user id (private chat id == user id)
WA_WARGA = "whatsapp:+6281200000101"
WA_BOT = "whatsapp:+14155238886"

# twilio-python 9.13 still hands aiohttp 3.14 a BasicAuth object via `auth=`, which now warns.
pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
]


# --- Telegram ------------------------------------------------------------------------------------
@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, base_url=f"{tg.url}/bot", base_file_url=f"{tg.url}/file/bot")
    await bot.initialize()
    yield bot
    await bot.shutdown()


async def test_get_me_and_send_message_with_reply_keyboard(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456789, True, "wargauji_bot")

    keyboard = ReplyKeyboardMarkup([["Ya", "Tidak"]], one_time_keyboard=True)
    first = await bot.send_message(WARGA, "Apakah data sudah benar?", reply_markup=keyboard)
    second = await bot.send_message(WARGA, "123")  # digits stay a string

    assert first.from_user is not None
    assert (first.chat.id, first.text, first.from_user.id) == (
        WARGA,
        "Apakah data sudah benar?",
        me.id,
    )
    assert second.message_id == first.message_id + 1
    assert tg.sent[0]["chat_id"] == WARGA
    assert tg.sent[0]["reply_markup"]["keyboard"] == [[{"text": "Ya"}, {"text": "Tidak"}]]
    assert tg.sent[0]["reply_markup"]["one_time_keyboard"] is True
    assert tg.sent[1] == {"chat_id": WARGA, "text": "123", "reply_markup": None}
    assert tg.texts_to(WARGA) == ["Apakah data sudah benar?", "123"]
    assert [m for m, _ in tg.calls] == ["getMe", "getMe", "sendMessage", "sendMessage"]


async def test_inline_keyboard_is_echoed_and_empty_text_is_rejected(bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Lanjut", callback_data="next")]])
    message = await bot.send_message(WARGA, "Pilih:", reply_markup=markup)
    assert message.reply_markup == markup
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(WARGA, " ")


async def test_get_file_and_download(tg: FakeTelegram, bot: Bot) -> None:
    data = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    file_id = tg.add_file(data)

    file = await bot.get_file(file_id)
    assert file.file_id == file_id and file.file_size == len(data)
    assert file.file_path == f"{tg.url}/file/bot{TOKEN}/photos/file_1.jpg"
    assert bytes(await file.download_as_bytearray()) == data
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("AgACnotAFile")


async def test_webhook_is_recorded(tg: FakeTelegram, bot: Bot) -> None:
    url = "https://wargabot.example.test/telegram"
    assert await bot.set_webhook(url, secret_token="s3cret-uji", allowed_updates=["message"])
    assert tg.webhook == {"url": url, "secret_token": "s3cret-uji", "allowed_updates": ["message"]}
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count, info.has_custom_certificate) == (url, 0, False)
    with pytest.raises(Conflict):  # like Telegram: no polling while a webhook is set
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_get_updates_honours_offset_and_long_polls(tg: FakeTelegram, bot: Bot) -> None:
    tg.queue_update(ft.text_update(10, WARGA, "/start"))
    tg.queue_update(ft.text_update(11, WARGA, "halo"))
    updates: Any = await bot.get_updates()  # PTB's optional fields: the test checks each one
    assert [u.update_id for u in updates] == [10, 11]
    assert (
        updates[0].message.text == "/start" and updates[0].message.entities[0].type == "bot_command"
    )
    assert [u.update_id for u in await bot.get_updates(offset=11)] == [11]
    assert await bot.get_updates(offset=12) == ()

    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(offset=12, timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    tg.queue_update(ft.text_update(12, WARGA, "masih di sini"))
    updates = await asyncio.wait_for(poll, 3)
    assert [u.message.text for u in updates] == ["masih di sini"]
    assert time.monotonic() - started < 2


async def test_injected_failures(
    tg: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as a timedelta
    tg.fail_next("sendMessage", status=429, retry_after=7)
    tg.fail_next("sendMessage", status=500)
    with pytest.raises(RetryAfter) as exc:
        await bot.send_message(WARGA, "satu")
    assert exc.value.retry_after == timedelta(seconds=7)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(WARGA, "dua")
    await bot.send_message(WARGA, "tiga")
    assert tg.texts_to(WARGA) == ["tiga"]


async def test_json_bodies_and_unknown_methods(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{tg.url}/bot{TOKEN}"
        async with http.post(f"{url}/sendMessage", json={"chat_id": WARGA, "text": "json"}) as r:
            assert r.status == 200 and (await r.json())["result"]["text"] == "json"
        async with http.get(f"{url}/getWebhookInfo?x=1") as r:
            assert (await r.json())["result"]["url"] == ""
        async with http.post(f"{url}/frobnicate") as r:
            body = await r.json()
            assert (r.status, body["ok"], body["error_code"]) == (404, False, 404)
        async with http.get(f"{tg.url}/file/bot{TOKEN}/photos/missing.jpg") as r:
            assert r.status == 404
    assert tg.sent == [{"chat_id": WARGA, "text": "json", "reply_markup": None}]


async def test_delay_applies_per_request_and_wait_for_messages(tg: FakeTelegram, bot: Bot) -> None:
    tg.delay = 0.3
    started = time.monotonic()
    await asyncio.gather(*(bot.send_message(WARGA, f"pesan {i}") for i in range(5)))
    assert 0.3 <= time.monotonic() - started < 1.2  # concurrent, not 5 x 0.3 s
    got = await tg.wait_for_messages(WARGA, 5, timeout=1)
    assert sorted(m["text"] for m in got) == [f"pesan {i}" for i in range(5)]
    with pytest.raises(AssertionError, match="pesan 0"):
        await tg.wait_for_messages(WARGA, 6, timeout=0.1)


def _parsed(data: dict[str, Any], bot: Bot) -> Any:
    """PTB's Update, every optional field taken as there: each check below would fail if not."""
    return Update.de_json(data, bot)


async def test_update_builders_parse_with_ptb(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # durations as timedelta, without a warning
    photo = _parsed(ft.photo_update(1, WARGA, "AgACfotoKTP", media_group_id="album1"), bot)
    assert photo.effective_chat.id == photo.effective_user.id == WARGA
    assert photo.effective_chat.type == "private"
    assert photo.message.photo[-1].file_id == "AgACfotoKTP"
    assert photo.message.photo[-1].width == 1280 and photo.message.photo[0].width < 1280
    assert photo.message.media_group_id == "album1"

    doc = ft.document_update(2, WARGA, "BQACdok", "application/pdf", "kk.pdf", 120_000)
    document = _parsed(doc, bot).message.document
    assert (document.file_name, document.mime_type, document.file_size) == (
        "kk.pdf",
        "application/pdf",
        120_000,
    )
    contact = _parsed(ft.contact_update(3, WARGA, "6281200000101"), bot).message.contact
    assert (contact.phone_number, contact.user_id) == ("6281200000101", WARGA)
    assert _parsed(ft.sticker_update(4, WARGA), bot).message.sticker.emoji == "👍"
    assert _parsed(ft.voice_update(5, WARGA), bot).message.voice.duration == timedelta(seconds=3)
    location = _parsed(ft.location_update(6, WARGA), bot).message.location
    assert location.latitude == pytest.approx(-8.6705)
    callback = _parsed(ft.callback_update(7, WARGA, "pilih:ktp"), bot)
    assert callback.callback_query.data == "pilih:ktp"
    assert callback.effective_chat.id == WARGA and callback.effective_user.id == WARGA
    group = _parsed(ft.group_text_update(8, WARGA, "halo semua"), bot)
    assert group.effective_chat.type == "supergroup" and group.effective_user.id == WARGA
    assert isinstance(photo.message.date, datetime)


# --- Twilio --------------------------------------------------------------------------------------
@pytest.fixture
async def twilio(tw: FakeTwilio) -> AsyncIterator[Client]:
    http_client = AsyncTwilioHttpClient()
    client = Client(tw.account_sid, tw.auth_token, http_client=http_client)
    client.api.base_url = tw.url
    yield client
    await http_client.close()


async def test_twilio_message_create_is_recorded(tw: FakeTwilio, twilio: Client) -> None:
    message = await twilio.messages.create_async(from_=WA_BOT, to=WA_WARGA, body="halo")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.to, message.from_, message.body) == (
        "queued",
        WA_WARGA,
        WA_BOT,
        "halo",
    )
    assert isinstance(message.date_created, datetime)
    assert tw.sent == [{"To": WA_WARGA, "From": WA_BOT, "Body": "halo"}]
    assert tw.bodies_to(WA_WARGA) == ["halo"]
    assert await tw.wait_for_messages(WA_WARGA, 1, timeout=1) == tw.sent


async def test_twilio_errors(tw: FakeTwilio, twilio: Client) -> None:
    wrong_http = AsyncTwilioHttpClient()
    wrong = Client(tw.account_sid, "not-the-token", http_client=wrong_http)
    wrong.api.base_url = tw.url
    with pytest.raises(TwilioRestException) as exc:
        await wrong.messages.create_async(from_=WA_BOT, to=WA_WARGA, body="halo")
    await wrong_http.close()
    assert (exc.value.status, exc.value.code) == (401, 20003)

    tw.fail_next(status=429)
    tw.fail_next(status=500)
    for status in (429, 500):
        with pytest.raises(TwilioRestException) as exc:
            await twilio.messages.create_async(from_=WA_BOT, to=WA_WARGA, body="coba")
        assert exc.value.status == status
    with pytest.raises(TwilioRestException) as exc:
        await twilio.messages.create_async(from_=WA_BOT, to=WA_WARGA, body="x" * 1601)
    assert (exc.value.status, exc.value.code) == (400, 21617)
    await twilio.messages.create_async(from_=WA_BOT, to=WA_WARGA, body="berhasil")
    assert tw.bodies_to(WA_WARGA) == ["berhasil"]
    with pytest.raises(AssertionError, match="berhasil"):
        await tw.wait_for_messages(WA_WARGA, 2, timeout=0.1)


async def test_twilio_content_templates_and_the_24_hour_window(
    tw: FakeTwilio, twilio: Client
) -> None:
    sid = tw.add_content("Pengajuan {{1}}: {{2}}")
    variables = json.dumps({"1": "MKS-K7H-W3X-9AR", "2": "Sudah didaftarkan"})
    m = await twilio.messages.create_async(
        from_=WA_BOT, to=WA_WARGA, content_sid=sid, content_variables=variables
    )
    assert m.status == "queued"
    assert tw.sent[-1] == {
        "To": WA_WARGA, "From": WA_BOT, "Body": "Pengajuan MKS-K7H-W3X-9AR: Sudah didaftarkan",
        "ContentSid": sid, "ContentVariables": variables,
    }  # fmt: skip
    with pytest.raises(TwilioRestException) as exc:
        await twilio.messages.create_async(from_=WA_BOT, to=WA_WARGA, content_sid="HX" + "0" * 32)
    assert (exc.value.status, exc.value.code) == (400, 21655)
    tw.citizen_wrote(WA_WARGA, datetime.now(UTC) - timedelta(hours=25))
    await twilio.messages.create_async(from_=WA_BOT, to=WA_WARGA, body="di luar jendela")
    assert tw.failed[-1]["ErrorCode"] == "63016" and tw.bodies_to(WA_WARGA)[-1] != (
        "di luar jendela"
    )  # accepted, then failed: never delivered
    await twilio.messages.create_async(from_=WA_BOT, to=WA_WARGA, content_sid=sid)
    assert tw.bodies_to(WA_WARGA)[-1] == "Pengajuan {{1}}: {{2}}"  # a template always goes
    tw.citizen_wrote(WA_WARGA, datetime.now(UTC))
    await twilio.messages.create_async(from_=WA_BOT, to=WA_WARGA, body="di dalam jendela")
    assert tw.bodies_to(WA_WARGA)[-1] == "di dalam jendela"


async def test_media_redirects_without_credentials(tw: FakeTwilio) -> None:
    data = b"\xff\xd8\xff\xe0fake-jpeg" * 100
    message_sid = new_sid("MM")
    url = tw.add_media(message_sid, data, "image/jpeg")
    assert url.startswith(
        f"{tw.url}/2010-04-01/Accounts/{tw.account_sid}/Messages/{message_sid}/Media/ME"
    )
    auth = {"Authorization": aiohttp.encode_basic_auth(tw.account_sid, tw.auth_token)}
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as r:
            assert r.status == 401
        async with http.get(url, headers=auth, allow_redirects=False) as r:
            assert r.status == 307
            location = r.headers["Location"]
        assert location.startswith(f"{tw.cdn_url}/media-content/")  # another host
        async with http.get(location) as r:
            assert (r.status, r.content_type, await r.read()) == (200, "image/jpeg", data)
        assert tw.redirect_auth_seen is False

        # a client that carries its credentials along to the CDN is noticed
        async with http.get(location, headers=auth) as r:
            assert await r.read() == data
        assert tw.redirect_auth_seen is True


async def test_media_not_ready_then_ready_then_deleted(tw: FakeTwilio, twilio: Client) -> None:
    message_sid = new_sid("MM")
    url = tw.add_media(message_sid, b"%PDF-1.4 uji", "application/pdf", not_found_first=1)
    auth = {"Authorization": aiohttp.encode_basic_auth(tw.account_sid, tw.auth_token)}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=auth, allow_redirects=False) as r:
            assert r.status == 404 and (await r.json())["code"] == 20404
        async with http.get(url, headers=auth, allow_redirects=False) as r:
            assert r.status == 307
        media_sid = url.rsplit("/", 1)[1]
        assert await twilio.messages(message_sid).media(media_sid).delete_async() is True
        assert tw.deleted == [url]
        async with http.get(url, headers=auth, allow_redirects=False) as r:
            assert r.status == 404
    assert tw.media_gets == 3


def test_signature_matches_request_validator(tw: FakeTwilio) -> None:
    media = [
        ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg")
    ]
    form = tw.form_for(new_sid("MM"), "+6281200000101", "foto KTP", media, ProfileName="Citra Uji")
    assert form["From"] == WA_WARGA and form["WaId"] == "6281200000101"
    assert (form["NumMedia"], form["MessageType"], form["MediaContentType0"]) == (
        "1",
        "image",
        "image/jpeg",
    )
    assert form["AccountSid"] == tw.account_sid and form["ProfileName"] == "Citra Uji"
    assert form_for("SM1", WA_WARGA)["MessageType"] == "text"

    url = "https://wargabot.example.test/twilio/whatsapp"
    sig = signature(tw.auth_token, url, form)
    validator = RequestValidator(tw.auth_token)
    assert validator.validate(url, form, sig)
    assert not validator.validate(url, form | {"Body": "diubah"}, sig)
    assert not RequestValidator("another-token").validate(url, form, sig)
