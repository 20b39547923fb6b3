"""Fetching a WhatsApp photo from Twilio: an authenticated GET on the Twilio API host, then its
redirect, resolved against the request URL and followed without credentials, only back to the
API host or to an https host on TWILIO_MEDIA_HOSTS (or an origin listed with its scheme), never
to a private address; the DELETE of Twilio's copy never follows a redirect. Every failure is a
Transient (or Rejected("too_large") past the size limit)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.channels.sender import Transient
from bot.media.intake import Limits, Rejected

log = logging.getLogger("wargabot.whatsapp")

# Where Twilio's media redirect leads (its support pages name both; see docs/whatsapp.md).
DEFAULT_MEDIA_HOSTS = ("mms.twiliocdn.com", "s3-external-1.amazonaws.com")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_HOPS = 3
TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10, sock_read=30)

Origin = tuple[str, str, int]


def _origin(url: str) -> Origin | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


class MediaHosts:
    """The redirect allow-list. An entry is a host name (https on port 443 only) or a whole
    origin with its scheme and port, such as a test's local fake `http://127.0.0.1:8123`."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.hosts: set[str] = set()
        self.origins: set[Origin] = set()
        for entry in (e.strip() for e in entries):
            if "://" in entry:
                origin = _origin(entry)
                if origin is None:
                    raise ValueError(f"not an origin: {entry!r}")
                self.origins.add(origin)
            elif entry:
                self.hosts.add(entry.lower().rstrip("."))

    def allows(self, url: str) -> bool:
        origin = _origin(url)
        if origin is None:
            return False
        return origin in self.origins or (origin[0] == "https" and origin[1:] in self._https())

    def _https(self) -> set[tuple[str, int]]:
        return {(h, 443) for h in self.hosts}


class PublicResolver(AbstractResolver):
    """Resolves host names to public addresses only, so a listed name that points at this
    machine or the office network is refused; `trusted` names (the configured API host and the
    origins listed in full) resolve as usual."""

    def __init__(self, trusted: set[str]) -> None:
        self.trusted = trusted
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if host.lower() in self.trusted:
            return found
        public = [r for r in found if ipaddress.ip_address(r["host"]).is_global]
        if not public:
            raise OSError(f"{host} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()


class MediaFetcher:
    def __init__(self, api_url: str, media_hosts: Sequence[str], auth: dict[str, str]) -> None:
        self.api = _origin(api_url)
        self.allowed = MediaHosts(media_hosts)
        self.auth = auth
        self.limit = Limits().max_bytes
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            trusted = {o[1] for o in self.allowed.origins} | ({self.api[1]} if self.api else set())
            connector = aiohttp.TCPConnector(resolver=PublicResolver(trusted))
            self._session = aiohttp.ClientSession(connector=connector, timeout=TIMEOUT)
        return self._session

    async def get(self, url: str) -> bytes:
        """The file's bytes; a fresh media URL may answer 404 for a moment: retried briefly."""
        if self.api is None or _origin(url) != self.api:
            raise Transient("media URL is not on the Twilio API host")
        for delay in (0.0, 0.5, 1.0, 2.0):
            await asyncio.sleep(delay)
            try:
                status, data = await self._get(url)
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                raise Transient(f"media download failed: {type(exc).__name__}: {exc}") from exc
            if status == 200:
                return data
            if status != 404:
                raise Transient(f"media download failed with HTTP {status}")
        raise Transient("media not found after retries")

    async def _get(self, url: str) -> tuple[int, bytes]:
        headers: dict[str, str] | None = self.auth  # the credentials go to the API host only
        for _ in range(MAX_HOPS + 1):
            request = self._http().get(url, headers=headers, allow_redirects=False)
            async with request as res:
                if res.status not in REDIRECTS:
                    return res.status, await self._read(res) if res.status == 200 else b""
                location = res.headers.get("Location")
            if not location:
                return res.status, b""
            url, headers = urljoin(url, location), None
            if _origin(url) != self.api and not self.allowed.allows(url):
                raise Transient(f"media redirect to a host not on TWILIO_MEDIA_HOSTS: {url[:80]}")
        raise Transient("too many media redirects")

    async def _read(self, res: aiohttp.ClientResponse) -> bytes:
        data = bytearray()
        async for chunk in res.content.iter_chunked(1 << 16):
            data += chunk
            if len(data) > self.limit:
                raise Rejected("too_large")
        return bytes(data)

    async def delete(self, url: str) -> None:
        """Delete Twilio's copy; best effort, and never along a redirect."""
        try:
            request = self._http().delete(f"{url}.json", headers=self.auth, allow_redirects=False)
            async with request as res:
                if res.status not in (200, 204, 404):
                    log.warning("could not delete Twilio's copy of a media file: %s", res.status)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("could not delete Twilio's copy of a media file: %s", type(exc).__name__)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
