"""WhatsApp edge through Twilio: signature check, form parsing (bounded; status callbacks and our
own sender ignored), media through bot.channels.twilio_media.py, replies through Twilio's REST
client with numbered choices, and WhatsApp's 24-hour window: outside it a message from the
office goes as its template (templates.py) or waits (Hold). Never decides the flow."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels import templates
from bot.channels.base import ChatKey, Inbound, Malformed, MediaSource, Outgoing, clean_text
from bot.channels.compose import combine, split
from bot.channels.sender import Hold, RetryLater, Skip, Transient
from bot.channels.templates import NONE as NO_TEMPLATES
from bot.channels.templates import Templates
from bot.channels.twilio_media import DEFAULT_MEDIA_HOSTS, MediaFetcher
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


LastInbound = Callable[[str], Awaitable[datetime | None]]


class Forged(Exception):
    """The X-Twilio-Signature does not match: not from Twilio."""


def verify(auth_token: str, url: str, form: Mapping[str, str], signature: str) -> None:
    if not signature or not RequestValidator(auth_token).validate(url, dict(form), signature):
        raise Forged("bad X-Twilio-Signature")


MAX_MEDIA = 10  # Twilio's limit per message
_MEDIA_COUNTS = {str(n): n for n in range(MAX_MEDIA + 1)}


def parse_form(form: Mapping[str, str], sender: str = "", at: float = 0.0) -> Inbound | None:
    """An Inbound for a citizen's WhatsApp message; None for what is not one (status callbacks,
    anything from our own `sender`). Malformed for fields no Twilio form carries."""
    sid, frm = form.get("MessageSid", ""), form.get("From", "")
    if "MessageStatus" in form or (sender and frm == sender):
        return None  # a status callback about one of our replies, or an echo of our own sender
    if not frm.startswith("whatsapp:"):
        return None
    if not 0 < len(sid) <= 64 or not sid.isalnum() or not 9 < len(frm) <= 40:
        raise Malformed("MessageSid or From is not Twilio's")
    key = ChatKey("whatsapp", clean_text(frm, "From"))
    kind = form.get("MessageType", "")
    if kind in UNSUPPORTED_TYPES or form.get("Latitude"):
        return Inbound(key, sid, Unsupported(UNSUPPORTED_TYPES.get(kind, "location")), at=at)
    count = _MEDIA_COUNTS.get(form.get("NumMedia", "0").strip() or "0")
    if count is None:
        raise Malformed("NumMedia is not a number from 0 to 10")
    if count:
        media = []
        for i in range(count):
            mime = clean_text(form.get(f"MediaContentType{i}", ""), "MediaContentType", 128)
            if mime.startswith(("audio/", "video/")):
                kind = mime.split("/")[0].replace("audio", "voice")
                return Inbound(key, sid, Unsupported(kind), at=at)
            media.append(MediaSource(clean_text(form.get(f"MediaUrl{i}", ""), "MediaUrl", 2048)))
        return Inbound(key, sid, None, tuple(media), at=at)
    body = clean_text(form.get("ButtonPayload") or form.get("Body", ""), "Body")
    event: Event = TextReceived(body) if body.strip() else Unsupported("other")
    return Inbound(key, sid, event, at=at)


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
        delete_media: bool = True,
        media_hosts: Sequence[str] = DEFAULT_MEDIA_HOSTS,
        templates: Templates = NO_TEMPLATES,
    ) -> None:
        self.account_sid, self.auth_token, self.sender = account_sid, auth_token, sender
        self.templates = templates
        # When the citizen last wrote (the runtime's record; None: not known here, every message
        # goes as text), and the time now: the 24-hour window.
        self.last_inbound: LastInbound | None = None
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.api_url = api_url.rstrip("/")
        self.delete_media = delete_media
        self.media = MediaFetcher(self.api_url, media_hosts, self._auth())
        self._http = AsyncTwilioHttpClient()
        self.client = Client(account_sid, auth_token, http_client=self._http)
        self.client.api.base_url = self.api_url  # REST calls go to TWILIO_API_URL

    def _auth(self) -> dict[str, str]:
        return {"Authorization": aiohttp.BasicAuth(self.account_sid, self.auth_token).encode()}

    def verify(self, url: str, form: Mapping[str, str], signature: str) -> None:
        verify(self.auth_token, url, form, signature)

    def parse(self, form: Mapping[str, str], at: float = 0.0) -> Inbound | None:
        return parse_form(form, self.sender, at)

    async def fetch(self, source: MediaSource) -> bytes:
        return await self.media.get(source.handle)

    async def discard(self, source: MediaSource) -> None:
        """Delete Twilio's copy (TWILIO_DELETE_MEDIA), once ours is kept and the turn saved."""
        if self.delete_media:
            await self.media.delete(source.handle)

    def render(self, actions: Sequence[Action]) -> list[Outgoing]:
        return [
            Outgoing(part)
            for action in combine(actions, MAX_BODY)
            for part in split(render(action), MAX_BODY)
        ]

    async def deliver(self, chat_id: str, message: Outgoing) -> None:
        """Text inside the 24-hour window; outside it, a message from the office goes as its
        kind's template (a stand-in) and the rest waits for the citizen to write (Hold); a
        reminder that cannot go now is not sent at all (Skip)."""
        told = message.told
        inside = self.last_inbound is None or templates.inside_window(
            await self.last_inbound(chat_id), self.clock()
        )
        kind, lang = (told.kind, told.lang) if told is not None else ("", "id")
        how, template = templates.way(kind, lang, inside, self.templates)
        if told is not None and told.standin:
            if how != "template" or template is None:
                raise Skip("no template needed, or none for it")
            values = templates.content_variables(template, dict(told.values))
            await self._create(to=chat_id, content_sid=template.sid, content_variables=values)
            return
        if how == "drop":
            raise Skip("a reminder outside the 24-hour window")
        if how in ("hold", "template"):  # the template went ahead of it: the text waits
            raise Hold("outside the 24-hour window")
        await self._create(to=chat_id, body=message.text)

    async def _create(self, **fields: str) -> None:
        try:
            await self.client.messages.create_async(from_=self.sender, **fields)
        except TwilioRestException as exc:
            if exc.status == 429:
                raise RetryLater(1.0) from exc
            if exc.status >= 500:
                raise Transient(f"Twilio {exc.status}") from exc
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Transient(str(exc)) from exc

    async def close(self) -> None:
        await self.media.close()
        await self._http.close()
