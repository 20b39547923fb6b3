"""Telegram edge: python-telegram-bot as the Bot API client and update parser, over aiohttp.
Parses updates into Inbound events (bounded: a strange update is Malformed, never a crash) and
renders actions as messages; never decides the flow."""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import Any

import aiohttp
from telegram import (
    Bot,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

from bot.channels.base import ChatKey, Inbound, Malformed, MediaSource, Outgoing, clean_text
from bot.channels.compose import combine, split
from bot.channels.sender import Blocked, RetryLater, Skip, Transient
from bot.engine.model import (
    Action,
    AskChoice,
    ChoiceMade,
    ContactShared,
    Event,
    RequestContact,
    RequestPhoto,
    SendText,
    TextReceived,
    Unsupported,
)

log = logging.getLogger("wargabot.telegram")
# sendMessage goes through do_api_request on purpose (no Message object built per reply)
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)
MAX_TEXT = 4000
ACCEPTED_DOCUMENTS = ("image/jpeg", "image/png", "image/webp", "application/pdf")


class AiohttpRequest(BaseRequest):
    """PTB's network seam on aiohttp: several times faster than its default httpx client."""

    def __init__(self, connections: int = 64, timeout: float = 10.0) -> None:
        self._connections = connections
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self._timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        await self.initialize()
        assert self._session is not None
        read = read_timeout if isinstance(read_timeout, int | float) else self._timeout
        timeout = aiohttp.ClientTimeout(total=read + 5, sock_read=read)
        data: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None and request_data.contains_files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form
        elif request_data is not None:
            # a JSON body (the Bot API takes one): url-encoding long texts costs more CPU
            data = json.dumps(request_data.parameters).encode()
            headers = {"Content-Type": "application/json"}
        try:
            request = self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            )
            async with request as res:
                return res.status, await res.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


class WargaBot(Bot):
    """A Bot that closes its aiohttp sessions even when it was never initialize()d
    (PTB's shutdown() skips that; the webhook never needs getMe)."""

    def __init__(self, token: str, api_url: str) -> None:
        self._own_requests = (AiohttpRequest(), AiohttpRequest(connections=1, timeout=40))
        super().__init__(
            token,
            base_url=f"{api_url}/bot",
            base_file_url=f"{api_url}/file/bot",
            request=self._own_requests[0],
            get_updates_request=self._own_requests[1],
        )

    async def close_requests(self) -> None:
        await self.shutdown()
        for request in self._own_requests:
            await request.shutdown()


def make_bot(token: str, api_url: str) -> WargaBot:
    """A Bot for `{api_url}/bot` and `{api_url}/file/bot`, speaking through aiohttp."""
    return WargaBot(token, api_url)


def _int(value: object, what: str) -> int:
    if type(value) is not int:  # bool is an int to isinstance
        raise Malformed(f"{what} is not a number")
    return value


def _id(value: object, what: str) -> str:
    """A file id, album id or button value: a short text."""
    return clean_text(value, what, 256)


def _size(value: object) -> int | None:
    return None if value is None else _int(value, "file_size")


def _event_of(message: Message) -> tuple[Event | None, tuple[MediaSource, ...]]:
    if message.photo:
        largest = message.photo[-1]
        return None, (MediaSource(_id(largest.file_id, "file_id"), _size(largest.file_size)),)
    if message.document:
        doc = message.document
        if (doc.mime_type or "") in ACCEPTED_DOCUMENTS:
            return None, (MediaSource(_id(doc.file_id, "file_id"), _size(doc.file_size)),)
        return Unsupported("document"), ()
    if message.contact:
        return ContactShared(clean_text(message.contact.phone_number, "phone_number", 64)), ()
    if message.text is not None:
        return TextReceived(clean_text(message.text, "text")), ()
    if message.sticker:
        return Unsupported("sticker"), ()
    if message.voice or message.audio:
        return Unsupported("voice"), ()
    if message.location or message.venue:
        return Unsupported("location"), ()
    if message.video or message.video_note or message.animation:
        return Unsupported("video"), ()
    return Unsupported("other"), ()


MAX_UPDATE_BYTES = 1 << 20  # an update with a message is a few KB; files come by file_id


def parse_update(body: bytes, bot: Bot, at: float = 0.0) -> Inbound | None:
    """An Inbound for a private chat's message or button press; None for what we ignore.
    Raises Malformed for what no Bot API sends (bodies, types, sizes)."""
    if len(body) > MAX_UPDATE_BYTES:
        raise Malformed("update too large")
    try:
        data = json.loads(body)
    except ValueError as exc:  # UnicodeDecodeError too
        raise Malformed("not JSON") from exc
    if not isinstance(data, dict):
        raise Malformed("not an update")
    message_id = str(_int(data.get("update_id"), "update_id"))
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # PTB's own parsing of a shape it does not know
        raise Malformed(f"update not understood ({type(exc).__name__})") from exc
    if update is None:
        return None
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != "private" or not query.data:
            return None
        key = ChatKey("telegram", str(_int(chat.id, "chat.id")))
        return Inbound(key, message_id, ChoiceMade(_id(query.data, "data")), at=at)
    message = update.message
    if message is None or message.chat.type != "private":
        return None  # edits, channel posts, groups: not conversations with a citizen
    key = ChatKey("telegram", str(_int(message.chat.id, "chat.id")))
    event, media = _event_of(message)
    album = None if message.media_group_id is None else _id(message.media_group_id, "album")
    return Inbound(key, message_id, event, media, album, at)


Markup = dict[str, Any]  # a reply_markup as the Bot API takes it; shared, never mutated


@lru_cache(maxsize=1024)
def _keyboard(labels: tuple[str, ...]) -> Markup:
    """Choices as buttons, one per row; built once per set of labels (to_dict() costs ~35 us)."""
    rows = [[KeyboardButton(label)] for label in labels]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True).to_dict()


@lru_cache(maxsize=64)
def _contact_keyboard(label: str) -> Markup:
    button = KeyboardButton(label, request_contact=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True).to_dict()


_NO_KEYBOARD: Markup = ReplyKeyboardRemove().to_dict()


class TelegramChannel:
    name = "telegram"

    def __init__(self, bot: WargaBot) -> None:
        self.bot = bot

    def parse(self, body: bytes, at: float = 0.0) -> Inbound | None:
        """The webhook's (or getUpdates') update as an Inbound; Malformed when it cannot be one."""
        return parse_update(body, self.bot, at)

    async def fetch(self, source: MediaSource) -> bytes:
        try:
            file = await self._call(lambda: self.bot.get_file(source.handle))
            return bytes(await self._call(file.download_as_bytearray))
        except TelegramError as exc:  # e.g. the file is gone or too big for the Bot API
            raise Transient(f"getFile failed: {exc}") from exc

    async def discard(self, source: MediaSource) -> None:
        """Nothing to delete: Telegram keeps its files on its own terms."""

    def render(self, actions: Sequence[Action]) -> list[Outgoing]:
        out: list[Outgoing] = []
        for action in combine(actions, MAX_TEXT):
            text, keyboard, contact = _render(action)
            parts = split(text, MAX_TEXT)
            out += [Outgoing(part) for part in parts[:-1]]  # the buttons go under the last part
            out.append(Outgoing(parts[-1], keyboard, contact))
        return out

    async def deliver(self, chat_id: str, message: Outgoing) -> None:
        if message.told is not None and message.told.standin:
            raise Skip("Telegram has no 24-hour window: the text goes as it is")
        params: dict[str, object] = {"chat_id": int(chat_id), "text": message.text}
        if message.keyboard is not None:
            params["reply_markup"] = _markup(message.keyboard, message.contact)
        try:
            # the raw result: building a PTB Message from every reply is most of a turn's CPU
            await self._call(lambda: self.bot.do_api_request("sendMessage", params))
        except Forbidden as exc:  # "bot was blocked by the user" (403)
            raise Blocked(str(exc)) from exc

    @staticmethod
    async def _call(fn: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await fn()
        except RetryAfter as exc:
            after = exc.retry_after
            seconds = after.total_seconds() if hasattr(after, "total_seconds") else float(after)
            raise RetryLater(seconds) from exc
        except (TimedOut, NetworkError) as exc:
            raise Transient(str(exc)) from exc

    async def close(self) -> None:
        await asyncio.gather(self.bot.close_requests(), return_exceptions=True)


def _markup(keyboard: tuple[str, ...], contact: bool) -> Markup:
    if not keyboard:
        return _NO_KEYBOARD
    return _contact_keyboard(keyboard[0]) if contact else _keyboard(keyboard)


def _render(action: Action) -> tuple[str, tuple[str, ...], bool]:
    """The text, the buttons (none: take the keyboard away) and whether it shares a contact."""
    if isinstance(action, AskChoice):
        return action.text, tuple(o.label for o in action.options), False
    if isinstance(action, RequestPhoto):
        return action.text, tuple(o.label for o in action.options), False
    if isinstance(action, RequestContact):
        return action.text, (action.button,), True
    if isinstance(action, SendText):
        return action.text, (), False
    raise TypeError(f"not a message: {action!r}")
