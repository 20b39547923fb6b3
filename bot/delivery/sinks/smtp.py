"""The email sink: one message per dossier to INBOX_EMAIL_TO over SMTP (STARTTLS or TLS), with
the stable Message-ID <REF@wargabot.invalid> so a repeated send is recognisable as the same one.
Photos that would make the message too large are left out and the body says so."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path

from bot.config import SmtpTarget
from bot.delivery.message import build_message
from bot.engine.model import Dossier
from bot.media.store import MediaStore

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
        self._one_at_a_time = asyncio.Lock()

    async def deliver(self, dossier: Dossier, progress: object = None) -> None:
        # One transaction at a time, with the message built beforehand: from the server's 250
        # to the worker recording it must be as short as possible, since a worker dying in
        # between sends the message again (it then carries the same Message-ID).
        msg = await asyncio.to_thread(
            build_message, dossier, self.media, self.to, self.sender, self.max_bytes
        )
        async with self._one_at_a_time:
            await asyncio.to_thread(self._send, msg)

    def _send(self, msg: EmailMessage) -> None:
        smtp = open_connection(self.target, self.ca_file, self.timeout)
        try:
            advertised = smtp.esmtp_features.get("size", "").strip()
            if advertised.isdigit() and 0 < int(advertised) < len(msg.as_bytes()):
                raise SmtpError(
                    f"{self.target.host} takes messages up to {int(advertised) // 1024} KB: set "
                    "SMTP_MAX_MESSAGE_MB below that so large photos are left out and named"
                )
            smtp.send_message(msg, from_addr=self.sender, to_addrs=[self.to])
        except smtplib.SMTPException as exc:
            raise SmtpError(f"{self.target.host} refused the message: {exc}") from exc
        finally:
            # no QUIT round trip: once the server said 250 the worker records it at once, since
            # dying in between would send the message again
            smtp.close()
