"""Doctor checks for where dossiers go: the mail server (login over TLS, no message sent), the
folders for photos and the Maildir, and the office webhook's address (never POSTed to)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import smtplib
import ssl
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from bot.commands.doctor.result import TIMEOUT, Result, _reason
from bot.config import Settings, parse_smtp_url


# --- SMTP ----------------------------------------------------------------------------------------
def _smtp_sync(s: Settings) -> Result:
    from bot.delivery.sinks.smtp import SmtpError, open_connection

    assert s.SMTP_URL is not None
    target = parse_smtp_url(s.SMTP_URL.get_secret_value())
    where = f"{target.host}:{target.port}"
    mode = "TLS" if target.tls == "tls" else "STARTTLS"
    try:
        smtp = open_connection(target, s.SMTP_CA_FILE, timeout=10)
    except SmtpError as exc:
        return _smtp_failure(exc, where, target.tls)
    except OSError as exc:  # SMTP_CA_FILE missing or unreadable
        return Result(
            "smtp", "fail", f"cannot read SMTP_CA_FILE ({_reason(exc)})", "check SMTP_CA_FILE"
        )
    try:
        secured = smtp.sock is not None and isinstance(smtp.sock, ssl.SSLSocket)
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
    how = "logged in" if target.user else "connected (no login)"
    if not secured:
        return Result(
            "smtp",
            "warn",
            f"{where} {how} without TLS (the server offers no STARTTLS; only allowed on this "
            "machine)",
            "use a server with STARTTLS or smtps://",
        )
    return Result("smtp", "ok", f"{where} {how} ({mode})")


def _smtp_failure(exc: Exception, where: str, tls: str) -> Result:
    cause = exc.__cause__
    if isinstance(cause, smtplib.SMTPAuthenticationError):
        return Result(
            "smtp",
            "fail",
            f"{where} refused the login ({cause.smtp_code})",
            "check the user and password in SMTP_URL (percent-encode @ : / in them; some "
            "providers want an app password)",
        )
    if isinstance(cause, smtplib.SMTPNotSupportedError):
        return Result(
            "smtp",
            "fail",
            f"{where} does not offer a login (AUTH)",
            "check the port in SMTP_URL (submission: 587 with smtp://, 465 with smtps://), or "
            "leave the user out if the server relays without one",
        )
    if cause is None or isinstance(cause, ssl.SSLError | ssl.CertificateError):
        detail = str(exc) if cause is None else f"TLS failed with {where} ({_ssl_reason(cause)})"
        return Result(
            "smtp",
            "fail",
            detail,
            "use smtps:// for port 465 and smtp:// (STARTTLS) for 587; for a certificate from a "
            "private CA set SMTP_CA_FILE; the host name must match the certificate",
        )
    why = _reason(cause)
    hint = "check the host and port in SMTP_URL and that outgoing connections are allowed"
    if tls == "starttls" and where.endswith(":465"):
        hint += "; port 465 wants smtps://"
    return Result("smtp", "fail", f"cannot reach {where} ({why})", hint)


def _ssl_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or "certificate not trusted"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    return str(exc)


async def check_smtp(s: Settings) -> list[Result]:
    if s.SMTP_URL is None:
        return [Result("smtp", "skip", "SMTP_URL is not set (no email inbox)")]
    return [await asyncio.to_thread(_smtp_sync, s)]


# --- folders -------------------------------------------------------------------------------------
def _check_folder(name: str, setting: str, path: Path, maildir: bool) -> Result:
    """The folder exists or can be created (owner-only), takes a file, and is not readable by
    others (it holds personal data)."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        for sub in ("cur", "new", "tmp") if maildir else ():
            (path / sub).mkdir(exist_ok=True, mode=0o700)
        where = path / "tmp" if maildir else path
        fd, tmp = tempfile.mkstemp(prefix=".doctor-", dir=where)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        return Result(
            name,
            "fail",
            f"{path} is not writable ({_reason(exc)})",
            f"create it for the service user (mkdir -p {path}; chmod 700 {path}) or set {setting}",
        )
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        return Result(
            name,
            "warn",
            f"{path} is writable but mode {mode:04o}: others on this machine can read personal "
            "data",
            f"chmod 700 {path}",
        )
    return Result(name, "ok", f"{path} is writable (mode {mode:04o})")


async def check_folders(s: Settings) -> list[Result]:
    results = [_check_folder("media", "MEDIA_DIR", s.MEDIA_DIR, maildir=False)]
    if s.INBOX_MAILDIR_ENABLED:
        results.append(_check_folder("maildir", "INBOX_MAILDIR", s.INBOX_MAILDIR, maildir=True))
    else:
        results.append(Result("maildir", "skip", "INBOX_MAILDIR_ENABLED is false"))
    return results


# --- webhook sink --------------------------------------------------------------------------------
async def check_webhook_sink(s: Settings) -> list[Result]:
    if not s.INBOX_WEBHOOK_URL:
        return [Result("inbox webhook", "skip", "INBOX_WEBHOOK_URL is not set")]
    parsed = urlparse(s.INBOX_WEBHOOK_URL)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    where = f"{parsed.scheme}://{host}:{port}"  # no path or query: they may carry a token
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), TIMEOUT)
    except (OSError, TimeoutError) as exc:
        return [
            Result(
                "inbox webhook",
                "fail",
                f"cannot connect to {where} ({_reason(exc)})",
                "check INBOX_WEBHOOK_URL and that the receiving service is up",
            )
        ]
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return [Result("inbox webhook", "ok", f"{where} accepts connections (nothing was sent)")]
