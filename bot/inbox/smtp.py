"""The email sink: one message per dossier to INBOX_EMAIL_TO over SMTP (STARTTLS or TLS), with
the stable Message-ID <REF@wargabot.invalid> so a repeated send is recognisable as the same one.
Photos that would make the message too large are left out and the body says so."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from pathlib import Path

from bot.config import SmtpTarget
from bot.engine.model import Dossier
from bot.inbox.message import build_message
from bot.mediastore import MediaStore

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class SmtpError(Exception):
    """The server could not be reached, refused the login or the message; the text says which."""


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def open_connection(
    target: SmtpTarget, ca_file: Path | None = None, timeout: float = 30
) -> smtplib.SMTP:
    """Connect, secure and log in. smtp:// upgrades with STARTTLS when the server offers it; a
    password is never sent in clear except to this machine itself."""
    context = tls_context(ca_file)
    try:
        smtp: smtplib.SMTP
        if target.tls == "tls":
            smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
        try:
            smtp.ehlo()
            if target.tls == "starttls":
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif target.user and target.host not in LOCAL_HOSTS:
                    raise SmtpError(
                        f"{target.host}:{target.port} offers no STARTTLS; refusing to send the "
                        "password in clear (use smtps:// or a server with STARTTLS)"
                    )
            if target.user:
                smtp.login(target.user, target.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp
    except SmtpError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpError(f"login refused by {target.host}: {exc.smtp_code}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpError(f"cannot reach {target.host}:{target.port}: {exc}") from exc


class SmtpSink:
    name = "email"

    def __init__(
        self,
        target: SmtpTarget,
        to: str,
        sender: str,
        media: MediaStore,
        ca_file: Path | None = None,
        max_bytes: int = 20 * 1024 * 1024,
        timeout: float = 60,
    ) -> None:
        self.target, self.to, self.sender, self.media = target, to, sender, media
        self.ca_file, self.max_bytes, self.timeout = ca_file, max_bytes, timeout

    async def deliver(self, dossier: Dossier, progress: object = None) -> None:
        await asyncio.to_thread(self._send, dossier)

    def _send(self, dossier: Dossier) -> None:
        smtp = open_connection(self.target, self.ca_file, self.timeout)
        try:
            limit = self.max_bytes
            advertised = smtp.esmtp_features.get("size", "").strip()
            if advertised.isdigit() and int(advertised) > 0:
                limit = min(limit, int(advertised))
            msg = build_message(dossier, self.media, self.to, self.sender, max_bytes=limit)
            smtp.send_message(msg, from_addr=self.sender, to_addrs=[self.to])
        except smtplib.SMTPException as exc:
            raise SmtpError(f"{self.target.host} refused the message: {exc}") from exc
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
