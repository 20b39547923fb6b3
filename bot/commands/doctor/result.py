"""What a doctor check returns (a named status, a detail and a fix) and the helpers every check
shares to describe a failure. No check runs here."""

from __future__ import annotations

import logging
import os
import re
import socket
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

Status = Literal["ok", "warn", "fail", "skip"]
LABELS: dict[Status, str] = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "skip"}
TIMEOUT = 5.0  # seconds to connect in each network check (SMTP: 10); a whole call: twice that
WHATSAPP_FROM = re.compile(r"whatsapp:\+[1-9][0-9]{6,14}")
_QUIET_TWILIO = logging.getLogger("wargabot.doctor.twilio")  # not every request at INFO
_QUIET_TWILIO.setLevel(logging.WARNING)


@dataclass(frozen=True)
class Result:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def render(self) -> str:
        line = f"{LABELS[self.status]:<6}{self.name}: {self.detail}"
        return f"{line}\n      fix: {self.fix}" if self.fix else line


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***: in the user part and in ?password=."""
    parsed = urlparse(url)
    if parsed.password is not None:
        user, _, host = parsed.netloc.rpartition("@")
        masked = f"{user.partition(':')[0]}:***@{host}"
        url = url.replace(f"//{parsed.netloc}", f"//{masked}", 1)
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", url)


def _reason(exc: BaseException) -> str:
    """A short reason for a network error: "connection refused", "timed out", ...; a library's
    wrapper (PTB's NetworkError, redis-py's ConnectionError) is looked through to its cause."""
    inner: BaseException | None = exc
    while inner is not None and not isinstance(inner, OSError | TimeoutError):
        inner = inner.__cause__ or inner.__context__
    exc = inner or exc
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the name: {exc.strerror or exc}"
    if isinstance(exc, OSError) and isinstance(exc.errno, int) and exc.errno > 0:
        return os.strerror(exc.errno).lower()  # asyncio's "Connect call failed" says less
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip()
    return text or type(exc).__name__
