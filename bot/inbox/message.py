"""Builds the one email message per dossier: readable summary (text + HTML), the JSON record and
every photo attached. Shared by the Maildir and SMTP sinks; reads photos through the media store."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import format_datetime

from bot.engine.model import Dossier
from bot.inbox.record import photo_filenames, summary_html, summary_text, to_record
from bot.mediastore import MediaStore

MESSAGE_DOMAIN = "wargabot.invalid"


def message_id(reference: str) -> str:
    """Stable per dossier, so a repeated delivery is recognisable as the same message."""
    return f"<{reference}@{MESSAGE_DOMAIN}>"


def build_message(
    d: Dossier, media: MediaStore, to: str = "inbox@localhost", sender: str = "wargabot@localhost"
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"Pengajuan {d.reference}: {d.service}"
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(d.submitted_at)
    msg["Message-ID"] = message_id(d.reference)
    msg["X-Wargabot-Reference"] = d.reference
    msg.set_content(summary_text(d))
    msg.add_alternative(summary_html(d), subtype="html")
    record = json.dumps(to_record(d), ensure_ascii=False, indent=2).encode()
    msg.add_attachment(
        record, maintype="application", subtype="json", filename=f"{d.reference}.json"
    )
    for (_, ref), name in zip(d.photos, photo_filenames(d), strict=True):
        maintype, subtype = ref.mime.split("/", 1)
        msg.add_attachment(media.read(ref), maintype=maintype, subtype=subtype, filename=name)
    return msg
