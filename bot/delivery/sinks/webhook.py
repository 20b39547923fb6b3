"""The webhook sink: POSTs the dossier's JSON record, photos included (base64), to the office's
own system at INBOX_WEBHOOK_URL, signed with HMAC-SHA256 and carrying an idempotency key.

Headers: `Idempotency-Key: REF`, `X-Wargabot-Timestamp: UNIX`, and
`X-Wargabot-Signature: sha256=HEX` where HEX = HMAC-SHA256(secret, f"{timestamp}.".encode() + body).
A 2xx answer (or 409, "I have it already") means accepted; anything else is retried."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp

from bot.delivery.record import to_record
from bot.engine.model import Dossier
from bot.media.store import MediaStore


class WebhookError(Exception):
    """The office's system did not accept the dossier."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def payload(dossier: Dossier, media: MediaStore) -> bytes:
    record: dict[str, Any] = to_record(dossier)
    for entry, (_, ref) in zip(record["photos"], dossier.photos, strict=True):
        entry["content_base64"] = base64.b64encode(media.read(ref)).decode()
    return json.dumps(record, ensure_ascii=False).encode()


class WebhookSink:
    name = "webhook"

    def __init__(self, url: str, secret: str, media: MediaStore, timeout: float = 60) -> None:
        self.url, self.secret, self.media, self.timeout = url, secret, media, timeout

    async def deliver(self, dossier: Dossier, progress: object = None) -> None:
        body = await asyncio.to_thread(payload, dossier, self.media)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "wargabot",
            "Idempotency-Key": dossier.reference,
            "X-Wargabot-Timestamp": stamp,
            "X-Wargabot-Signature": sign(self.secret, stamp, body),
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self.url, data=body, headers=headers, allow_redirects=False) as res,
            ):
                if 200 <= res.status < 300 or res.status == 409:
                    return
                raise WebhookError(f"{self.url} answered HTTP {res.status}")
        except aiohttp.ClientError as exc:
            raise WebhookError(f"cannot reach {self.url}: {exc}") from exc
