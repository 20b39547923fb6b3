"""WhatsApp edge through Twilio: signature check, form parsing, media download and deletion,
replies through Twilio's REST client with numbered choices. Never decides the flow."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from urllib.parse import urlparse

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import ChatKey, Inbound, MediaSource
from bot.channels.compose import combine, split
from bot.channels.sender import SHUTDOWN_DRAIN, RateLimiter, ReplyQueue, RetryLater, Transient
from bot.engine.model import (
    Action,
    AskChoice,
    Event,
    RequestContact,
    RequestPhoto,
    SendText,
    TextReceived,
    Unsupported,
)

log = logging.getLogger("wargabot.whatsapp")
MAX_BODY = 1500  # WhatsApp through Twilio takes 1600 characters per message
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
UNSUPPORTED_TYPES = {
    "audio": "voice",
    "video": "video",
    "location": "location",
    "sticker": "sticker",
}


class Forged(Exception):
    """The X-Twilio-Signature does not match: not from Twilio."""


def verify(auth_token: str, url: str, form: Mapping[str, str], signature: str) -> None:
    if not signature or not RequestValidator(auth_token).validate(url, dict(form), signature):
        raise Forged("bad X-Twilio-Signature")


def parse_form(form: Mapping[str, str]) -> Inbound | None:
    """An Inbound for a WhatsApp message form post; None when it is not one (status callbacks)."""
    sid, sender = form.get("MessageSid", ""), form.get("From", "")
    if not sid or not sender.startswith("whatsapp:"):
        return None
    key = ChatKey("whatsapp", sender)
    kind = form.get("MessageType", "")
    if kind in UNSUPPORTED_TYPES or form.get("Latitude"):
        return Inbound(key, sid, Unsupported(UNSUPPORTED_TYPES.get(kind, "location")))
    count = int(form.get("NumMedia", "0") or 0)
    if count:
        media = []
        for i in range(min(count, 10)):
            mime = form.get(f"MediaContentType{i}", "")
            if mime.startswith(("audio/", "video/")):
                return Inbound(key, sid, Unsupported(mime.split("/")[0].replace("audio", "voice")))
            media.append(MediaSource(form.get(f"MediaUrl{i}", "")))
        return Inbound(key, sid, None, tuple(media))
    body = form.get("ButtonPayload") or form.get("Body", "")
    event: Event = TextReceived(body) if body.strip() else Unsupported("other")
    return Inbound(key, sid, event)


def render(action: Action) -> str:
    """WhatsApp text: choices as a numbered list the citizen answers with a number."""
    if isinstance(action, AskChoice):
        options = "\n".join(f"{i}. {o.label}" for i, o in enumerate(action.options, 1))
        return f"{action.text}\n\n{options}"
    if isinstance(action, RequestPhoto) and action.options:
        labels = " / ".join(f'"{o.label}"' for o in action.options)
        return f"{action.text}\n\n({labels})"
    if isinstance(action, SendText | RequestPhoto | RequestContact):
        return action.text
    raise TypeError(f"not a message: {action!r}")


class WhatsAppChannel:
    name = "whatsapp"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: str,
        api_url: str = "https://api.twilio.com",
        per_second: float = 1.0,
        delete_media: bool = True,
    ) -> None:
        self.account_sid, self.auth_token, self.sender = account_sid, auth_token, sender
        self.api_url = api_url.rstrip("/")
        self.delete_media = delete_media
        self._http = AsyncTwilioHttpClient()
        self.client = Client(account_sid, auth_token, http_client=self._http)
        self.client.api.base_url = self.api_url  # REST calls go to TWILIO_API_URL
        self.replies = ReplyQueue("whatsapp", RateLimiter(per_second))
        self._session: aiohttp.ClientSession | None = None

    def _auth(self) -> dict[str, str]:
        return {"Authorization": aiohttp.BasicAuth(self.account_sid, self.auth_token).encode()}

    def _http_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def fetch(self, source: MediaSource) -> bytes:
        """Download with the account's credentials, only from the configured Twilio host;
        follow its redirect without credentials; retry a fresh 404 briefly."""
        url = urlparse(source.handle)
        allowed = urlparse(self.api_url)
        if (url.scheme, url.netloc) != (allowed.scheme, allowed.netloc):
            raise Transient(f"media URL is not on the Twilio API host {allowed.netloc}")
        session = self._http_session()
        for delay in (0.0, 0.5, 1.0, 2.0):
            await asyncio.sleep(delay)
            get = session.get(source.handle, headers=self._auth(), allow_redirects=False)
            async with get as res:
                if res.status in (301, 302, 303, 307, 308) and "Location" in res.headers:
                    async with session.get(res.headers["Location"]) as final:
                        if final.status == 200:
                            data = await final.read()
                            break
                        status = final.status
                elif res.status == 200:
                    data = await res.read()
                    break
                else:
                    status = res.status
            if status != 404:
                raise Transient(f"media download failed with HTTP {status}")
        else:
            raise Transient("media not found after retries")
        if self.delete_media:
            await self._delete(source.handle)
        return data

    async def _delete(self, media_url: str) -> None:
        try:
            delete = self._http_session().delete(f"{media_url}.json", headers=self._auth())
            async with delete as res:
                if res.status not in (200, 204, 404):
                    log.warning("could not delete Twilio's copy of a media file: %s", res.status)
        except aiohttp.ClientError as exc:
            log.warning("could not delete Twilio's copy of a media file: %s", exc)

    async def send(self, chat_id: str, actions: Sequence[Action]) -> None:
        sends: list[Callable[[], Awaitable[object]]] = []
        for action in combine(actions, MAX_BODY):
            for part in split(render(action), MAX_BODY):
                sends.append(self._sender(chat_id, part))
        self.replies.submit(chat_id, sends)

    def _sender(self, to: str, body: str) -> Callable[[], Awaitable[object]]:
        async def send() -> object:
            try:
                return await self.client.messages.create_async(from_=self.sender, to=to, body=body)
            except TwilioRestException as exc:
                if exc.status == 429:
                    raise RetryLater(1.0) from exc
                if exc.status >= 500:
                    raise Transient(f"Twilio {exc.status}") from exc
                raise
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise Transient(str(exc)) from exc

        return send

    async def close(self) -> None:
        await self.replies.drain(timeout=SHUTDOWN_DRAIN)
        if self._session is not None:
            await self._session.close()
        await self._http.close()
