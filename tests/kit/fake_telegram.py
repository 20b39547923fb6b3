"""A local fake of the Telegram Bot API, spoken to by python-telegram-bot's real HTTP code.

    async with FakeTelegram() as tg:
        bot = Bot(TOKEN, base_url=f"{tg.url}/bot", base_file_url=f"{tg.url}/file/bot")

PTB POSTs every method as form fields (urlencoded, or multipart when uploading); non-string
values arrive JSON-encoded (chat_id "42", reply_markup '{"keyboard": ...}'). JSON bodies and GET
query strings are accepted too. The builders at the bottom make private-chat updates
(chat id == user id) shaped like Telegram's, for `queue_update` or a webhook POST.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

STRING_FIELDS = {"text", "caption", "url", "secret_token", "file_id", "callback_query_id", "data"}
ERRORS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
ERRORS |= {409: "Conflict"}
ERRORS |= {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}
TRIVIAL = {"answercallbackquery", "sendchataction", "setmycommands"}  # answer `true`


def _error(status: int, description: str = "", retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status}
    body["description"] = description or ERRORS.get(status, "Error")
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


class FakeTelegram:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listens on host:port (by default a free port on loopback); `url` says where."""
        self.host, self.port = host, port
        self.url = ""
        self.sent: list[dict[str, Any]] = []  # sendMessage: {chat_id, text, reply_markup}
        # sendPhoto / sendMediaGroup / sendDocument: {chat_id, method, files: [(name, bytes)],
        # captions}
        self.uploads: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every method call, in order
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None, "allowed_updates": None}
        self.delay = 0.0  # seconds each sendMessage takes (recorded after the delay)
        self.download_delay = 0.0  # seconds each file download takes
        self.downloads = 0  # file downloads begun
        self.tokens: set[str] | None = None  # when set, other tokens get 401 like Telegram's
        self.chats: dict[str, dict[str, Any]] = {}  # getChat answers, by chat id or @username
        self.webhook_extra: dict[str, Any] = {}  # added to getWebhookInfo (last_error_message...)
        self._updates: list[dict[str, Any]] = []
        self._queued = asyncio.Event()
        self._files: dict[str, tuple[str, str, bytes]] = {}  # file_id -> (unique, path, data)
        self._failures: dict[str, deque[tuple[int, int]]] = defaultdict(deque)
        self._message_id = 0
        self._runner: web.AppRunner | None = None
        self._closing = False

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=50 * 1024 * 1024)  # the Bot API's upload limit
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        self._closing = True
        self._queued.set()  # wake long polls
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- test controls -----------------------------------------------------------------------
    def queue_update(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._queued.set()

    def add_file(self, data: bytes, file_path: str | None = None) -> str:
        n = len(self._files) + 1
        file_id = f"AgACAgUAAxkBAAI{secrets.token_hex(12)}"
        unique = f"AQAD{secrets.token_hex(6)}"
        self._files[file_id] = (unique, file_path or f"photos/file_{n}.jpg", data)
        return file_id

    def fail_next(self, method: str, status: int = 429, retry_after: int = 1) -> None:
        """The next call of `method` fails once with `status` (calls stack up)."""
        self._failures[method.lower()].append((status, retry_after))

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [m["text"] for m in self.sent if str(m["chat_id"]) == str(chat_id)]

    async def wait_for_messages(
        self, chat_id: int | str, count: int, timeout: float = 10
    ) -> list[dict[str, Any]]:
        """All sendMessage records to `chat_id`, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.sent if str(m["chat_id"]) == str(chat_id)]
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"wanted {count} messages to {chat_id} in {timeout}s: {got}")
            await asyncio.sleep(0.02)

    # --- HTTP --------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params |= await request.json() if request.can_read_body else {}
            return params
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = {"filename": value.filename, "data": value.file.read()}
            elif key in STRING_FIELDS:
                params[key] = value
            else:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        if self.tokens is not None and request.match_info["token"] not in self.tokens:
            return _error(401)
        if self._failures[method.lower()]:
            status, retry_after = self._failures[method.lower()].popleft()
            if status == 429:
                return _error(429, f"Too Many Requests: retry after {retry_after}", retry_after)
            return _error(status)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is not None:
            answer: web.Response = await handler(request.match_info["token"], params)
            return answer
        if method.lower() in TRIVIAL:
            return web.json_response({"ok": True, "result": True})
        return _error(404)

    async def _download(self, request: web.Request) -> web.Response:
        self.downloads += 1
        if self.download_delay:
            await asyncio.sleep(self.download_delay)
        for _unique, path, data in self._files.values():
            if path == request.match_info["path"]:
                return web.Response(body=data, content_type="application/octet-stream")
        return _error(404)

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    def _bot_user(self, token: str) -> dict[str, Any]:
        prefix = token.split(":", 1)[0]
        bot_id = int(prefix) if prefix.isdigit() else 7000000001
        return {"id": bot_id, "is_bot": True, "first_name": "Warga Bot", "username": "wargauji_bot"}

    async def _m_getme(self, token: str, params: dict[str, Any]) -> web.Response:
        user = self._bot_user(token) | {"can_join_groups": False, "supports_inline_queries": False}
        return self._ok(user | {"can_read_all_group_messages": False})

    async def _m_sendmessage(self, token: str, params: dict[str, Any]) -> web.Response:
        chat_id, text = params.get("chat_id"), str(params.get("text") or "")
        if chat_id in (None, ""):
            return _error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        if self.delay:
            await asyncio.sleep(self.delay)
        markup = params.get("reply_markup")
        self.sent.append({"chat_id": chat_id, "text": text, "reply_markup": markup})
        self._message_id += 1
        message: dict[str, Any] = {"message_id": self._message_id, "date": int(time.time())}
        message |= {"chat": {"id": chat_id, "type": "private"}, "from": self._bot_user(token)}
        message["text"] = text
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Telegram echoes inline keyboards only
        return self._ok(message)

    def _message(self, token: str, chat_id: Any, **content: Any) -> dict[str, Any]:
        self._message_id += 1
        message: dict[str, Any] = {"message_id": self._message_id, "date": int(time.time())}
        message |= {"chat": {"id": chat_id, "type": "group"}, "from": self._bot_user(token)}
        return message | content

    @staticmethod
    def _photo_sizes(data: bytes) -> list[dict[str, Any]]:
        unique = secrets.token_hex(6)
        return [{"file_id": f"P{unique}", "file_unique_id": unique, "width": 1, "height": 1}]

    async def _m_sendphoto(self, token: str, params: dict[str, Any]) -> web.Response:
        photo = params.get("photo")
        if not isinstance(photo, dict):
            return _error(400, "Bad Request: there is no photo in the request")
        caption = params.get("caption")
        self.uploads.append(
            {
                "chat_id": params.get("chat_id"),
                "method": "sendPhoto",
                "files": [(photo["filename"], photo["data"])],
                "captions": [caption],
            }
        )
        return self._ok(
            self._message(token, params.get("chat_id"), photo=self._photo_sizes(photo["data"]))
        )

    async def _m_senddocument(self, token: str, params: dict[str, Any]) -> web.Response:
        doc = params.get("document")
        if not isinstance(doc, dict):
            return _error(400, "Bad Request: there is no document in the request")
        self.uploads.append(
            {
                "chat_id": params.get("chat_id"),
                "method": "sendDocument",
                "files": [(doc["filename"], doc["data"])],
                "captions": [params.get("caption")],
            }
        )
        unique = secrets.token_hex(6)
        document = {"file_id": f"D{unique}", "file_unique_id": unique, "file_name": doc["filename"]}
        return self._ok(self._message(token, params.get("chat_id"), document=document))

    async def _m_sendmediagroup(self, token: str, params: dict[str, Any]) -> web.Response:
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            return _error(400, "Bad Request: wrong number of media in the album (2-10)")
        files, captions = [], []
        for item in media:
            ref = str(item.get("media", ""))
            if not ref.startswith("attach://") or not isinstance(params.get(ref[9:]), dict):
                return _error(400, "Bad Request: wrong file in the album")
            upload = params[ref[9:]]
            files.append((upload["filename"], upload["data"]))
            captions.append(item.get("caption"))
        chat_id = params.get("chat_id")
        self.uploads.append(
            {"chat_id": chat_id, "method": "sendMediaGroup", "files": files, "captions": captions}
        )
        return self._ok(
            [self._message(token, chat_id, photo=self._photo_sizes(d)) for _, d in files]
        )

    async def _m_getfile(self, token: str, params: dict[str, Any]) -> web.Response:
        file_id = params.get("file_id", "")
        if file_id not in self._files:
            return _error(400, "Bad Request: invalid file_id")
        unique, path, data = self._files[file_id]
        if len(data) > 20 * 1024 * 1024:
            return _error(400, "Bad Request: file is too big")
        result = {"file_id": file_id, "file_unique_id": unique, "file_size": len(data)}
        return self._ok(result | {"file_path": path})

    async def _m_setwebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        keys = ("url", "secret_token", "allowed_updates")
        self.webhook = {k: params.get(k, "" if k == "url" else None) for k in keys}
        return self._ok(True)

    async def _m_deletewebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        self.webhook = {"url": "", "secret_token": None, "allowed_updates": None}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return self._ok(True)

    async def _m_getwebhookinfo(self, token: str, params: dict[str, Any]) -> web.Response:
        info = {"url": self.webhook["url"], "has_custom_certificate": False}
        return self._ok(info | {"pending_update_count": 0} | self.webhook_extra)

    async def _m_getchat(self, token: str, params: dict[str, Any]) -> web.Response:
        chat = self.chats.get(str(params.get("chat_id", "")))
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        return self._ok(chat | {"accent_color_id": 0, "max_reaction_count": 11})

    async def _m_getupdates(self, token: str, params: dict[str, Any]) -> web.Response:
        if self.webhook["url"]:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            self._queued.clear()
            if offset:  # like Telegram: an offset confirms every earlier update
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if self._updates or time.monotonic() >= deadline or self._closing:
                return self._ok(self._updates[:limit])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queued.wait(), deadline - time.monotonic())


# --- update builders (private chat: chat id == user id) ------------------------------------------
_NAMES = [("Ayu", "Contoh"), ("Bima", "Percobaan"), ("Citra", "Uji"), ("Dodi", "Sampel")]


def user(user_id: int) -> dict[str, Any]:
    first, last = _NAMES[user_id % len(_NAMES)]
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first,
        "last_name": last,
        "username": f"{first.lower()}_{user_id % 10_000}",
        "language_code": "id",
    }


def _message(update_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
    names = {k: v for k, v in user(chat_id).items() if k in ("first_name", "last_name", "username")}
    chat = {"id": chat_id, "type": "private"} | names
    message = {"message_id": update_id, "from": user(chat_id), "chat": chat}
    message["date"] = int(time.time())
    return {"update_id": update_id, "message": message | content}


def _file(file_id: str, size: int) -> dict[str, Any]:
    unique = "AQAD" + hashlib.sha1(file_id.encode()).hexdigest()[:10]
    return {"file_id": file_id, "file_unique_id": unique, "file_size": size}


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if text.startswith("/"):  # PTB's CommandHandler needs the bot_command entity
        extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return _message(update_id, chat_id, text=text, **extra)


def photo_update(
    update_id: int,
    chat_id: int,
    file_id: str,
    file_size: int = 50_000,
    media_group_id: str | None = None,
    width: int = 1280,
    height: int = 960,
    caption: str | None = None,
) -> dict[str, Any]:
    thumb = _file(f"{file_id}_thumb", max(1, file_size // 20))
    thumb |= {"width": 90, "height": max(1, 90 * height // max(width, 1))}
    photo = [thumb, _file(file_id, file_size) | {"width": width, "height": height}]
    extra = {k: v for k, v in {"media_group_id": media_group_id, "caption": caption}.items() if v}
    return _message(update_id, chat_id, photo=photo, **extra)


def document_update(
    update_id: int, chat_id: int, file_id: str, mime_type: str, file_name: str, file_size: int
) -> dict[str, Any]:
    document = _file(file_id, file_size) | {"mime_type": mime_type, "file_name": file_name}
    return _message(update_id, chat_id, document=document)


def contact_update(
    update_id: int, chat_id: int, phone: str, user_id: int | None = None
) -> dict[str, Any]:
    first, last = user(chat_id)["first_name"], user(chat_id)["last_name"]
    contact = {"phone_number": phone, "first_name": first, "last_name": last}
    return _message(update_id, chat_id, contact=contact | {"user_id": user_id or chat_id})


def sticker_update(
    update_id: int, chat_id: int, file_id: str = "CAACAgIAAxkBAAIstk"
) -> dict[str, Any]:
    sticker = _file(file_id, 24_000) | {"type": "regular", "width": 512, "height": 512}
    sticker |= {"is_animated": False, "is_video": False, "emoji": "👍"}
    return _message(update_id, chat_id, sticker=sticker)


def voice_update(
    update_id: int, chat_id: int, file_id: str = "AwACAgUAAxkBAAIsvo", duration: int = 3
) -> dict[str, Any]:
    voice = _file(file_id, 9_000) | {"duration": duration, "mime_type": "audio/ogg"}
    return _message(update_id, chat_id, voice=voice)


def location_update(
    update_id: int, chat_id: int, latitude: float = -8.6705, longitude: float = 115.2126
) -> dict[str, Any]:
    return _message(update_id, chat_id, location={"latitude": latitude, "longitude": longitude})


def callback_update(update_id: int, chat_id: int, data: str, message_id: int = 1) -> dict[str, Any]:
    bot = {"id": 7000000001, "is_bot": True, "first_name": "Warga Bot", "username": "wargauji_bot"}
    message = _message(message_id, chat_id, text="Pilih salah satu:")["message"] | {"from": bot}
    query = {
        "id": f"{chat_id}{update_id}",
        "from": user(chat_id),
        "message": message,
        "chat_instance": f"-{chat_id * 7 % 10**12}",
        "data": data,
    }
    return {"update_id": update_id, "callback_query": query}


def group_text_update(
    update_id: int, user_id: int, text: str, group_id: int = -1009876543210
) -> dict[str, Any]:
    update = _message(update_id, user_id, text=text)
    update["message"]["chat"] = {"id": group_id, "type": "supergroup", "title": "Grup Uji RT 05"}
    return update
