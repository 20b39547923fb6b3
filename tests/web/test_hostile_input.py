"""Input a platform (or someone with its credentials) can send, through the real web app: every
strange update is a 400 or an answer, never a 500 or silence; quick WhatsApp messages are answered
in order; status callbacks and our own sender are ignored; a Telegram album may mix anything;
media redirects go only where TWILIO_MEDIA_HOSTS allows, never to this machine's other ports or
files, never for DELETE. Synthetic people only."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.twilio_media import MediaHosts, PublicResolver
from bot.engine import texts as T
from tests.kit import photo_factory as pf
from tests.kit.citizens import Chat, Citizen
from tests.kit.fake_telegram import FakeTelegram, document_update, photo_update, text_update
from tests.kit.fake_twilio import AUTH_TOKEN, FakeTwilio, new_sid, signature
from tests.kit.webapp import SECRET, SENDER, URL, running, telegram_env, whatsapp_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
UNAVAILABLE = "Maaf, file itu tidak bisa saya ambil."
NAMES = [
    "Ani Lestari", "Budi Santoso", "Citra Dewi", "Dedi Kurnia", "Eka Putri", "Fajar Nugroho",
    "Gita Sari", "Hadi Wijaya", "Indah Permata", "Joko Susilo", "Kartika Ayu", "Lukman Hakim",
]  # fmt: skip


def _update(**message: Any) -> dict[str, Any]:
    base = text_update(Chat.next_id(), 5560001, "halo")
    base["message"].update(message)
    return base


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (json.dumps(_update(text=12345)).encode(), "a text that is a number"),
        (json.dumps(_update(chat={"id": "abc", "type": "private"})).encode(), "chat.id text"),
        (json.dumps(_update(chat={"id": 1.5, "type": "private"})).encode(), "chat.id float"),
        (json.dumps(_update(media_group_id=7, photo=[])).encode(), "an album id number"),
        (json.dumps({"update_id": True, "message": {}}).encode(), "update_id true"),
        (b'{"update_id": 1, "message": "x"}', "a message that is a text"),
        (b'{"update_id": 1, "message": {"chat": {"id": 1}}}' + b" " * (2 << 20), "2 MB"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
async def test_telegram_updates_no_bot_api_sends_get_400(
    tmp_path: Path, redis_url: str, tg: FakeTelegram, body: bytes, why: str
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        res = await app.client.post("/telegram/webhook", content=body, headers=HEADERS)
        assert res.status_code == 400, why
        await app.settle()
    assert tg.sent == []


async def test_a_lone_surrogate_is_answered_and_the_answer_kept(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5560002)
        for said in ("halo", "ya", "2", "mulai", "1"):
            await chat.say(said)
        update = text_update(Chat.next_id(), chat.chat_id, "Siti \ud83d Aminah")
        res = await app.client.post(
            "/telegram/webhook", content=json.dumps(update).encode(), headers=HEADERS
        )
        assert res.status_code == 200
        await app.settle()
        assert tg.texts_to(chat.chat_id)[-1].startswith("Ketik NIK Anda")
        session = await chat.session()
    assert session is not None  # kept: the surrogate became U+FFFD, which a name leaves out
    assert session.answers["nama"].replace("\ufffd", "").split() == ["Siti", "Aminah"]


async def test_ten_thousand_digits_are_answered_on_both_channels(
    tmp_path: Path, redis_url: str, tg: FakeTelegram, tw: FakeTwilio
) -> None:
    digits = "1234567890" * 1000
    env = telegram_env(tmp_path, redis_url, tg) | whatsapp_env(tmp_path, redis_url, tw)
    async with running(env) as app:
        chat = Chat(app, tg, 5560003)
        await chat.say("halo")
        assert (await chat.say(digits))[0].startswith("Mohon pilih 1 bila setuju")
        citizen = Citizen(app, tw, "+6281234568001")
        await citizen.send("halo")
        assert (await citizen.send(digits))[0].startswith("Mohon pilih 1 bila setuju")


@pytest.mark.parametrize("count", ["abc", "1.5", "-1", "11", "１"])
async def test_num_media_that_is_not_a_count_gets_400(
    tmp_path: Path, redis_url: str, tw: FakeTwilio, count: str
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234568002")
        params = tw.form_for(new_sid("MM"), citizen.phone, "", NumMedia=count)
        assert (await citizen.post(params)).status_code == 400
        await app.settle()
    assert tw.sent == []


async def test_status_callbacks_and_messages_from_our_own_sender_are_ignored(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234568003")
        callback = {
            "AccountSid": tw.account_sid,
            "MessageSid": new_sid("SM"),
            "SmsSid": new_sid("SM"),
            "MessageStatus": "delivered",
            "SmsStatus": "delivered",
            "From": SENDER,
            "To": citizen.to,
            "ApiVersion": "2010-04-01",
        }
        echo = tw.form_for(new_sid("SM"), SENDER, "Halo! Saya wargabot")
        for params in (callback, echo):
            res = await citizen.post(params)
            assert res.status_code == 200
        await app.settle()
        assert tw.sent == []
        assert await app.services.store.redis.keys("wb:{whatsapp:*") == []


async def test_thirty_whatsapp_messages_in_a_burst_are_answered_in_order(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    texts = ["halo", "iya", "2", "1", "1", "Siti Aminah"]
    texts += [w for name in NAMES for w in (name, "kembali")]
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        calm = Citizen(app, tw, "+6281234568004")
        for said in texts:  # one at a time, each answered before the next
            await calm.send(said)
        hasty = Citizen(app, tw, "+6281234568005")
        for said in texts:  # one after another, without waiting for any answer
            params = tw.form_for(new_sid("SM"), hasty.phone, said)
            assert (await hasty.post(params)).status_code == 200
        await app.settle()
        session = await hasty.session()
    assert tw.bodies_to(hasty.to) == tw.bodies_to(calm.to)
    assert len(tw.bodies_to(hasty.to)) == 30
    assert session is not None and session.answers["nama"] == "Lukman Hakim"


async def test_an_album_mixing_a_photo_a_video_and_a_document_gets_one_answer(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        app.services.runtime.album_quiet = 0.3
        chat = Chat(app, tg, 5560006)
        for said in ("halo", "ya", "1", "mulai", "Nurhayati", "7306015203850002"):
            await chat.say(said)  # Gowa: the KTP photo is next
        before = len(tg.texts_to(chat.chat_id))
        photo = photo_update(
            Chat.next_id(), chat.chat_id, tg.add_file(pf.jpeg(pf.document())), media_group_id="M"
        )
        video = _with(text_update(Chat.next_id(), chat.chat_id, ""), media_group_id="M")
        video["message"].pop("text")
        video["message"]["video"] = {"file_id": "BAAD", "file_unique_id": "v1", "width": 1}
        video["message"]["video"] |= {"height": 1, "duration": 2}
        doc = document_update(
            Chat.next_id(), chat.chat_id, tg.add_file(b"PK zip"), "application/zip", "a.zip", 6
        )
        doc["message"]["media_group_id"] = "M"
        codes = await asyncio.gather(*(chat.post(u) for u in (photo, video, doc)))
        assert codes == [200, 200, 200]
        await app.settle()
        replies = tg.texts_to(chat.chat_id)[before:]
        session = await chat.session()
    assert len(replies) == 1, replies
    assert session is not None and len(session.answers["foto_ktp"]) == 1


def _with(update: dict[str, Any], **fields: Any) -> dict[str, Any]:
    update["message"].update(fields)
    return update


# --- media redirects ----------------------------------------------------------------------------


class Trap:
    """A listening port on this machine that remembers whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def touched(self) -> bool:
        try:
            conn, _ = self.sock.accept()
        except BlockingIOError:
            return False
        conn.close()
        return True


@pytest.fixture
def trap() -> Iterator[Trap]:
    t = Trap()
    yield t
    t.sock.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("where", ["closed port", "other local port", "file", "relative"])
async def test_a_media_redirect_goes_only_where_it_may(
    tmp_path: Path, redis_url: str, tw: FakeTwilio, trap: Trap, where: str
) -> None:
    closed = _closed_port()
    env = whatsapp_env(tmp_path, redis_url, tw)
    env["TWILIO_MEDIA_HOSTS"] += f",http://127.0.0.1:{closed}"  # listed, and nobody listens
    tw.redirect_to = {
        "closed port": f"http://127.0.0.1:{closed}/media-content/{{token}}",
        "other local port": f"http://127.0.0.1:{trap.port}/media-content/{{token}}",
        "file": "file:///etc/passwd",
        "relative": "/media-content/{token}",  # on the API host itself: followed
    }[where]
    async with running(env) as app:
        citizen = Citizen(app, tw, "+6281234568010")
        await citizen.reach_kk_photo()
        replies = await citizen.photo(pf.jpeg(pf.document(seed=5)))
        session = await citizen.session()
    assert session is not None
    if where == "relative":
        assert session.step != "foto_kk" and len(session.answers["foto_kk"]) == 1
    else:
        assert replies[0].startswith(UNAVAILABLE), replies
        assert session.step == "foto_kk"
    assert not trap.touched()  # nothing reached this machine's other port
    assert tw.redirect_auth_seen is False


async def test_deleting_twilios_copy_never_follows_a_redirect(
    tmp_path: Path, redis_url: str, tw: FakeTwilio, trap: Trap
) -> None:
    tw.delete_redirect_to = f"http://127.0.0.1:{trap.port}/steal"
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234568011")
        await citizen.reach_kk_photo()
        await citizen.photo(pf.jpeg(pf.document(seed=6)))
        session = await citizen.session()
    assert session is not None and session.step != "foto_kk"  # the photo itself was fine
    assert not trap.touched()


async def test_a_listed_host_name_that_points_at_this_machine_is_refused() -> None:
    hosts = MediaHosts(["mms.twiliocdn.com", "localhost", "http://127.0.0.1:8123"])
    assert hosts.allows("https://mms.twiliocdn.com/x")
    assert not hosts.allows("http://mms.twiliocdn.com/x")  # a host name means https
    assert not hosts.allows("https://mms.twiliocdn.com:8443/x")
    assert hosts.allows("http://127.0.0.1:8123/x") and not hosts.allows("http://127.0.0.1:6379/")
    assert not hosts.allows("file:///etc/passwd") and not hosts.allows("gopher://x")
    resolver = PublicResolver(trusted={"api.twilio.com"})
    with pytest.raises(OSError, match="no public address"):
        await resolver.resolve("localhost", 443)
    await resolver.close()


async def test_signed_but_unknown_fields_are_answered_not_crashed(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    """A MediaUrl on another host and an empty Body with no media are answered, not 500."""
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234568012")
        await citizen.reach_kk_photo()
        evil = (("http://127.0.0.1:1/steal.jpg", "image/jpeg"),)
        assert (await citizen.send("", media=evil))[0].startswith(UNAVAILABLE)
        params = tw.form_for(new_sid("SM"), citizen.phone, "")
        headers = {"X-Twilio-Signature": signature(AUTH_TOKEN, URL, params)}
        res = await app.client.post("/whatsapp/webhook", data=params, headers=headers)
        assert res.status_code == 200
        await app.settle()
        assert T.UNSUPPORTED_OTHER.split(",")[0] in tw.bodies_to(citizen.to)[-1]
