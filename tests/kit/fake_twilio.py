"""A local fake of Twilio's REST API (Account, Messages, Media), spoken to by twilio-python's
real client.

    async with FakeTwilio() as tw:
        client = Client(tw.account_sid, tw.auth_token, http_client=AsyncTwilioHttpClient())
        client.api.base_url = tw.url

twilio-python POSTs form fields (To, From, Body) with HTTP Basic auth (account sid, auth token).
Media behaves like Twilio's: the authenticated media URL answers 307 to a location on another
host (here another port, `cdn_url`: what TWILIO_MEDIA_HOSTS must allow), unauthenticated; the
client must follow it WITHOUT forwarding credentials (`redirect_auth_seen`). `redirect_to`
makes the next media GETs redirect somewhere else (a hostile or broken Location).
`form_for` and `signature` build signed inbound WhatsApp webhooks.

Messages may be sent from a Content template (`ContentSid`, `ContentVariables`; register it with
`add_content`): the body recorded is the template's, filled in. Like WhatsApp, the fake keeps the
24-hour window of a number whose last message it was told of (`citizen_wrote`): a free-text
message outside it is accepted (201) and then fails with error 63016, as Twilio reports it
later: it lands in `failed`, never in `sent`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import BasicAuth, hdrs, web
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "5a17e0" * 5 + "01"  # synthetic, 32 hex digits after "AC"
AUTH_TOKEN = "f00dfeed" * 4
WHATSAPP_NUMBER = "whatsapp:+14155238886"  # the number the bot sends from / is reached at
API = "/2010-04-01/Accounts/{sid}"
WINDOW = timedelta(hours=24)  # WhatsApp's customer service window
ERRORS = {
    400: (21604, "A 'To' phone number is required."),
    401: (20003, "Authenticate"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
}


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _error(status: int, code: int | None = None, message: str | None = None) -> web.Response:
    default_code, default_message = ERRORS.get(status, (20500, "Error"))
    body = {"code": code or default_code, "message": message or default_message, "status": status}
    body["more_info"] = f"https://www.twilio.com/docs/errors/{body['code']}"
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else None
    return web.json_response(body, status=status, headers=headers)


@dataclass
class _Media:
    message_sid: str
    media_sid: str
    data: bytes
    content_type: str
    not_found_left: int
    token: str


class FakeTwilio:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.url = ""
        self.cdn_url = ""  # where media content is served from, as Twilio's CDN
        # a Location to answer instead of the CDN's ("{token}" is the media's): hostile or odd
        self.redirect_to: str | None = None
        self.delete_redirect_to: str | None = None  # DELETE answers 307 there when set
        self.sent: list[dict[str, str]] = []  # {To, From, Body}, in arrival order
        self.deleted: list[str] = []  # media URLs deleted (as returned by add_media)
        self.redirect_auth_seen = False  # did anyone send Authorization to the media content?
        self.media_gets = 0  # authorised GETs of media URLs (404s included)
        self._media: dict[str, _Media] = {}  # media sid -> media
        self._failures: deque[int] = deque()
        self.account_status = "active"  # what fetching the account answers
        self.contents: dict[str, str] = {}  # Content SID -> body with {{1}}, {{2}}, ...
        self.last_inbound: dict[str, datetime] = {}  # "whatsapp:+62..." -> its last message
        self.failed: list[dict[str, str]] = []  # accepted, then failed (63016 outside window)
        self._runner: web.AppRunner | None = None
        self._cdn: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> FakeTwilio:
        app = web.Application()
        media = API + "/Messages/{msid}/Media/{mesid:ME[0-9a-f]+}"
        app.router.add_get(API + ".json", self._get_account)
        app.router.add_post(API + "/Messages.json", self._create_message)
        app.router.add_get(media, self._get_media)
        app.router.add_delete(media + ".json", self._delete_media)
        app.router.add_get("/media-content/{token}", self._media_content)  # for a relative one
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        cdn = web.Application()
        cdn.router.add_get("/media-content/{token}", self._media_content)
        self._cdn = web.AppRunner(cdn, access_log=None, shutdown_timeout=1.0)
        await self._cdn.setup()
        await web.TCPSite(self._cdn, "127.0.0.1", 0).start()
        host, port = self._cdn.addresses[0][:2]
        self.cdn_url = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        for runner in (self._runner, self._cdn):
            if runner is not None:
                await runner.cleanup()
        self._runner = self._cdn = None

    async def __aenter__(self) -> FakeTwilio:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- test controls -----------------------------------------------------------------------
    def add_media(
        self, message_sid: str, data: bytes, content_type: str, not_found_first: int = 0
    ) -> str:
        """Register an inbound media file; the first `not_found_first` GETs of it answer 404."""
        media = _Media(message_sid, new_sid("ME"), data, content_type, not_found_first, "")
        media.token = secrets.token_urlsafe(16)
        self._media[media.media_sid] = media
        return self._media_url(media)

    def add_content(self, body: str, sid: str | None = None) -> str:
        """An approved Content template with this body ({{1}}, {{2}}, ...); returns its SID."""
        sid = sid or new_sid("HX")
        self.contents[sid] = body
        return sid

    def citizen_wrote(self, number: str, at: datetime) -> None:
        """The last message from this WhatsApp number came at `at` (its 24-hour window)."""
        self.last_inbound[number] = at

    def fail_next(self, status: int = 429) -> None:
        """The next message creation fails once with `status` (calls stack up)."""
        self._failures.append(status)

    def bodies_to(self, to: str) -> list[str]:
        return [m["Body"] for m in self.sent if m["To"] == to]

    async def wait_for_messages(
        self, to: str, count: int, timeout: float = 10
    ) -> list[dict[str, str]]:
        """All messages sent to `to`, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.sent if m["To"] == to]
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"wanted {count} messages to {to} in {timeout}s: {got}")
            await asyncio.sleep(0.02)

    def form_for(
        self,
        message_sid: str,
        from_: str,
        body: str = "",
        media: Iterable[tuple[str, str]] = (),
        **extra: str,
    ) -> dict[str, str]:
        """Module-level `form_for`, with this fake's AccountSid."""
        return form_for(message_sid, from_, body, media, **{"AccountSid": self.account_sid} | extra)

    # --- HTTP --------------------------------------------------------------------------------
    def _media_url(self, media: _Media) -> str:
        path = API.format(sid=self.account_sid)
        return f"{self.url}{path}/Messages/{media.message_sid}/Media/{media.media_sid}"

    def _authorised(self, request: web.Request) -> bool:
        try:
            auth = BasicAuth.decode(request.headers.get(hdrs.AUTHORIZATION, ""))
        except ValueError:
            return False
        return (auth.login, auth.password) == (self.account_sid, self.auth_token) and (
            request.match_info["sid"] == self.account_sid
        )

    async def _get_account(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401)
        now = format_datetime(datetime.now(UTC))
        uri = f"{API.format(sid=self.account_sid)}.json"
        account: dict[str, Any] = {"sid": self.account_sid, "owner_account_sid": self.account_sid}
        account |= {"friendly_name": "Dinas Sosial (test)", "status": self.account_status}
        account |= {"type": "Full", "date_created": now, "date_updated": now, "uri": uri}
        account |= {"auth_token": self.auth_token, "subresource_uris": {}}
        return web.json_response(account)

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401)
        form = await request.post()
        if self._failures:
            return _error(self._failures.popleft())
        to, from_, body = (str(form.get(k, "")) for k in ("To", "From", "Body"))
        content = self._content(form)
        if isinstance(content, web.Response):
            return content
        if content is not None:
            body = content
        if not to:
            return _error(400)
        if not from_:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body and "MediaUrl" not in form:
            return _error(400, 21619, "A text message body or media urls must be specified.")
        if len(body) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 limit.")
        record = {"To": to, "From": from_, "Body": body}
        if content is not None:
            record |= {"ContentSid": str(form["ContentSid"])}
            record |= {"ContentVariables": str(form.get("ContentVariables", "{}"))}
        wrote = self.last_inbound.get(to)
        if content is None and wrote is not None and datetime.now(UTC) - wrote > WINDOW:
            self.failed.append(record | {"ErrorCode": "63016"})  # as Twilio reports it later
        else:
            self.sent.append(record)
        sid, now = new_sid("SM"), format_datetime(datetime.now(UTC))
        uri = f"{API.format(sid=self.account_sid)}/Messages/{sid}"
        resource: dict[str, Any] = {"sid": sid, "account_sid": self.account_sid, "to": to}
        resource["from"] = from_
        resource |= {"body": body, "status": "queued", "direction": "outbound-api"}
        resource |= {"date_created": now, "date_updated": now, "date_sent": None}
        resource |= {"num_media": "0", "num_segments": "1", "api_version": "2010-04-01"}
        resource |= {"price": None, "price_unit": "USD", "error_code": None, "error_message": None}
        resource |= {"messaging_service_sid": None, "uri": f"{uri}.json"}
        resource["subresource_uris"] = {"media": f"{uri}/Media.json"}
        return web.json_response(resource, status=201)

    def _content(self, form: Any) -> str | web.Response | None:
        """The body of a Content template message, filled in; None for a plain message."""
        sid = str(form.get("ContentSid", ""))
        if not sid:
            return None
        if sid not in self.contents:
            return _error(400, 21655, "The ContentSid is Invalid.")
        try:
            values = json.loads(str(form.get("ContentVariables", "{}")))
        except ValueError:
            return _error(400, 21656, "The ContentVariables Parameter is invalid.")
        body = self.contents[sid]
        for key, value in values.items():
            body = body.replace("{{" + str(key) + "}}", str(value))
        return body

    def _find_media(self, request: web.Request) -> _Media | None:
        media = self._media.get(request.match_info["mesid"])
        if media is None or media.message_sid != request.match_info["msid"]:
            return None
        return media

    async def _get_media(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401)
        self.media_gets += 1
        media = self._find_media(request)
        if media is None:
            return _error(404)
        if media.not_found_left > 0:
            media.not_found_left -= 1
            return _error(404)
        location = f"{self.cdn_url}/media-content/{media.token}"
        if self.redirect_to is not None:
            location = self.redirect_to.format(token=media.token)
        return web.Response(status=307, headers={hdrs.LOCATION: location})

    async def _media_content(self, request: web.Request) -> web.Response:
        if hdrs.AUTHORIZATION in request.headers:
            self.redirect_auth_seen = True
        for media in self._media.values():
            if media.token == request.match_info["token"]:
                return web.Response(body=media.data, content_type=media.content_type)
        return web.Response(status=404, text="NoSuchKey")

    async def _delete_media(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401)
        if self.delete_redirect_to is not None:
            return web.Response(status=307, headers={hdrs.LOCATION: self.delete_redirect_to})
        media = self._find_media(request)
        if media is None:
            return _error(404)
        del self._media[media.media_sid]
        self.deleted.append(self._media_url(media))
        return web.Response(status=204)


# --- signed inbound webhooks --------------------------------------------------------------------
def _message_type(content_type: str) -> str:
    kind = content_type.split("/", 1)[0]
    return kind if kind in ("image", "audio", "video") else "document"


def form_for(
    message_sid: str,
    from_: str,
    body: str = "",
    media: Iterable[tuple[str, str]] = (),
    **extra: str,
) -> dict[str, str]:
    """Twilio's inbound WhatsApp form. `media` is (url, content_type) pairs; `extra` overrides
    or adds fields (AccountSid, To, ProfileName, MessageType, Latitude, ...)."""
    number = from_.removeprefix("whatsapp:")
    pairs = list(media)
    form = {"AccountSid": ACCOUNT_SID, "MessageSid": message_sid, "SmsMessageSid": message_sid}
    form |= {"SmsSid": message_sid, "From": f"whatsapp:{number}", "To": WHATSAPP_NUMBER}
    form |= {"Body": body, "NumMedia": str(len(pairs)), "NumSegments": "1"}
    form |= {"ProfileName": "Warga Uji", "WaId": number.lstrip("+"), "SmsStatus": "received"}
    form |= {"ApiVersion": "2010-04-01", "ReferralNumMedia": "0"}
    form["MessageType"] = _message_type(pairs[0][1]) if pairs else "text"
    for i, (url, content_type) in enumerate(pairs):
        form[f"MediaUrl{i}"], form[f"MediaContentType{i}"] = url, content_type
    return form | extra


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send for a form POST of `params` to `url`."""
    return str(RequestValidator(auth_token).compute_signature(url, dict(params)))
