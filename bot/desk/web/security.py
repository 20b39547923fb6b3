"""The desk's web defences: the session cookie (`__Host-` and Secure behind https), CSRF tokens
and the Origin check on every POST (OWASP ASVS V3.3, V3.5), security headers, and a per-address
limit on sign-in attempts. Checks and headers only; no pages here."""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Callable
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURE_COOKIE = "__Host-wargabot-desk"  # https: Secure, Path=/, no Domain (RFC 6265bis)
PLAIN_COOKIE = "wargabot-desk"  # plain http on localhost: a __Host- cookie needs Secure
LOGIN_CSRF_COOKIE = "wargabot-desk-login"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def cookie_name(secure: bool) -> str:
    return SECURE_COOKIE if secure else PLAIN_COOKIE


def login_cookie_name(secure: bool) -> str:
    return ("__Host-" if secure else "") + LOGIN_CSRF_COOKIE


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _origin_of(url: str) -> str:
    p = urlparse(url)
    return f"{p.scheme}://{p.netloc}".lower() if p.scheme and p.netloc else ""


def origin_ok(request: Request, public_url: str) -> bool:
    """A POST must come from the desk's own pages: its Origin (or, failing that, its Referer)
    is the desk's address (DESK_PUBLIC_URL, or the address the request was sent to)."""
    expected = _origin_of(public_url) if public_url else _origin_of(str(request.base_url))
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        return origin.lower() == expected
    referer = request.headers.get("referer")
    return referer is not None and _origin_of(referer) == expected


class LoginLimiter:
    """At most `attempts` sign-in attempts per address in `window` seconds (in memory: one desk
    process). The account lock-out in the database holds across processes."""

    def __init__(
        self,
        attempts: int = 20,
        window: float = 300,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts, self.window, self.clock = attempts, window, clock
        self._seen: dict[str, deque[float]] = {}

    def allow(self, address: str) -> float:
        """0 when the attempt may go ahead, else the seconds to wait."""
        now = self.clock()
        seen = self._seen.setdefault(address, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(seen) >= self.attempts:
            return self.window - (now - seen[0])
        seen.append(now)
        if len(self._seen) > 10_000:  # forget addresses that stopped trying
            for key in [k for k, v in self._seen.items() if not v][:5000]:
                del self._seen[key]
        return 0.0


class SecurityHeaders:
    """Adds the headers every desk response carries; pages (everything but /static/) are
    never stored by a browser or proxy: they hold personal data."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"same-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                    b"cross-origin-opener-policy": b"same-origin",
                }
                if not static:
                    extra[b"cache-control"] = b"no-store"
                if self.hsts:
                    extra[b"strict-transport-security"] = b"max-age=31536000"
                headers += [(k, v) for k, v in extra.items() if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)
