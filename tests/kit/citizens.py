"""Simulated citizens for end-to-end tests: a Telegram `Chat` and a WhatsApp `Citizen` that talk
to the real web app, and the answers (GOWA, MAKASSAR) that walk each flow to its summary."""

from __future__ import annotations

from typing import Any

from bot.channels.base import ChatKey
from bot.channels.whatsapp import EMPTY_TWIML
from bot.engine.model import Session
from tests.kit.fake_telegram import (
    FakeTelegram,
    photo_update,
    text_update,
)
from tests.kit.fake_twilio import AUTH_TOKEN, FakeTwilio, new_sid, signature
from tests.kit.webapp import SECRET, URL, Running


class Chat:
    """One synthetic citizen talking to the bot through the webhook."""

    _ids = iter(range(1, 10**9))

    def __init__(self, app: Running, tg: FakeTelegram, chat_id: int) -> None:
        self.app, self.tg, self.chat_id = app, tg, chat_id

    @staticmethod
    def next_id() -> int:
        return next(Chat._ids)

    async def post(self, update: dict[str, Any], secret: str = SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        res = await self.app.client.post("/telegram/webhook", json=update, headers=headers)
        return res.status_code

    async def session(self) -> Session | None:
        key = ChatKey("telegram", str(self.chat_id))
        return (await self.app.services.store.load(key)).session

    async def say(self, text: str) -> list[str]:
        return await self._turn(text_update(self.next_id(), self.chat_id, text))

    async def photo(self, data: bytes) -> list[str]:
        file_id = self.tg.add_file(data)
        return await self._turn(photo_update(self.next_id(), self.chat_id, file_id, len(data)))

    async def _turn(self, update: dict[str, Any]) -> list[str]:
        before = len(self.tg.texts_to(self.chat_id))
        assert await self.post(update) == 200
        await self.app.settle()
        return self.tg.texts_to(self.chat_id)[before:]


GOWA: list[str | tuple[str, int]] = [
    "halo",
    "ya",
    "1",
    "mulai",
    "Nurhayati",
    "7306015203850002",
    ("photo", 1),
    "7306010203150011",
    ("photo", 2),
    "sudah",
    "tidak",
    ("photo", 3),
    "selesai",
    ("photo", 4),
    "selesai",
]


class Citizen:
    def __init__(self, app: Running, tw: FakeTwilio, phone: str) -> None:
        self.app, self.tw, self.phone = app, tw, phone
        self.to = f"whatsapp:{phone}"

    async def post(self, params: dict[str, str], sign: bool = True) -> Any:
        headers = {"X-Twilio-Signature": signature(AUTH_TOKEN, URL, params) if sign else "x"}
        return await self.app.client.post("/whatsapp/webhook", data=params, headers=headers)

    async def send(
        self, body: str = "", media: tuple[tuple[str, str], ...] = (), **extra: str
    ) -> list[str]:
        before = len(self.tw.bodies_to(self.to))
        params = self.tw.form_for(new_sid("SM"), self.phone, body, media=media, **extra)
        res = await self.post(params)
        assert res.status_code == 200 and res.text == EMPTY_TWIML
        await self.app.settle()
        return self.tw.bodies_to(self.to)[before:]

    @property
    def key(self) -> ChatKey:
        return ChatKey("whatsapp", self.to)

    async def session(self) -> Session | None:
        return (await self.app.services.store.load(self.key)).session

    async def reach_kk_photo(self) -> None:
        """Answer every Makassar question up to the KK photo."""
        for text in MAKASSAR[: MAKASSAR.index(("photo", 1))]:
            assert isinstance(text, str)
            await self.send(text)

    async def photo(self, data: bytes, content_type: str = "image/jpeg", **kw: int) -> list[str]:
        msid = new_sid("MM")
        url = self.tw.add_media(msid, data, content_type, **kw)
        before = len(self.tw.bodies_to(self.to))
        params = self.tw.form_for(msid, self.phone, "", media=((url, content_type),))
        res = await self.post(params)
        assert res.status_code == 200
        await self.app.settle()
        return self.tw.bodies_to(self.to)[before:]


MAKASSAR: list[str | tuple[str, int]] = [
    "halo",
    "iya",
    "2",
    "1",
    "1",
    "Siti Aminah",
    "7371014506900001",
    "7371010203150007",
    ("photo", 1),
    "2",
    "belum",
    ("photo", 2),
    "0812 3456 7890",
    "Puskesmas Kassi-Kassi",
]
