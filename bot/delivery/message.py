"""Builds the one email message per dossier: readable summary (text + HTML), the JSON record and
every photo attached. Shared by the Maildir and SMTP sinks; reads photos through the media store."""

from __future__ import annotations

import html
import json
from email.message import EmailMessage
from email.utils import format_datetime

from bot.delivery.record import photo_filenames, summary_html, summary_text, to_record
from bot.engine.model import Dossier
from bot.media.store import MediaStore

MESSAGE_DOMAIN = "wargabot.invalid"


def message_id(reference: str) -> str:
    """Stable per dossier, so a repeated delivery is recognisable as the same message."""
    return f"<{reference}@{MESSAGE_DOMAIN}>"


OMITTED_NOTE = (
    "Lampiran berikut tidak ikut di email ini karena email akan terlalu besar; berkasnya tersimpan "
    "di server wargabot (MEDIA_DIR) dan di folder Maildir bila aktif:"
)


def _encoded(size: int) -> int:
    """Bytes an attachment takes in the message: base64 with line breaks, plus its headers."""
    return size * 4 // 3 + size // 57 + 512


def build_message(
    d: Dossier,
    media: MediaStore,
    to: str = "inbox@localhost",
    sender: str = "wargabot@localhost",
    max_bytes: int | None = None,
) -> EmailMessage:
    """The message; with `max_bytes`, photos that would not fit are left out and named."""
    names = photo_filenames(d)
    included, omitted = list(range(len(names))), []
    if max_bytes is not None:
        budget = max_bytes - 256 * 1024  # headers, summary, JSON record
        included = []
        for i, (_, ref) in enumerate(d.photos):
            if _encoded(ref.size) <= budget:
                budget -= _encoded(ref.size)
                included.append(i)
            else:
                omitted.append(i)
    note = ""
    if omitted:
        note = OMITTED_NOTE + "".join(
            f"\n- {names[i]} ({d.photos[i][1].size / 1e6:.1f} MB)" for i in omitted
        )
    msg = EmailMessage()
    msg["Subject"] = f"Pengajuan {d.reference}: {d.service}"
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(d.submitted_at)
    msg["Message-ID"] = message_id(d.reference)
    msg["X-Wargabot-Reference"] = d.reference
    msg.set_content(summary_text(d) + (f"\n{note}\n" if note else ""))
    html_note = html.escape(note).replace("\n", "<br>")
    msg.add_alternative(
        summary_html(d).replace(
            "</body>", f"<p><b>{html_note}</b></p></body>" if note else "</body>"
        ),
        subtype="html",
    )
    record = json.dumps(to_record(d), ensure_ascii=False, indent=2).encode()
    msg.add_attachment(
        record, maintype="application", subtype="json", filename=f"{d.reference}.json"
    )
    for i in included:
        ref, name = d.photos[i][1], names[i]
        maintype, subtype = ref.mime.split("/", 1)
        msg.add_attachment(media.read(ref), maintype=maintype, subtype=subtype, filename=name)
    return msg
