"""The dossier as the office keeps it: a versioned JSON record with times in WITA, and the
readable summary (plain text and HTML) staff check against the photos. No I/O here."""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.engine.model import Dossier
from bot.media.store import EXTENSIONS

SCHEMA = "wargabot.dossier/1"
WITA = timezone(timedelta(hours=8), "WITA")


def wita(t: datetime) -> str:
    return t.astimezone(WITA).isoformat(timespec="seconds")


def wita_readable(t: datetime) -> str:
    return t.astimezone(WITA).strftime("%d-%m-%Y %H:%M WITA")


def photo_filenames(d: Dossier) -> list[str]:
    """Attachment names such as foto_kk-1.jpg, in the order the photos were asked for."""
    counts: dict[str, int] = {}
    names = []
    for step_id, ref in d.photos:
        counts[step_id] = counts.get(step_id, 0) + 1
        names.append(f"{step_id}-{counts[step_id]}.{EXTENSIONS.get(ref.mime, 'bin')}")
    return names


def to_record(d: Dossier) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "reference": d.reference,
        "office": d.office,
        "service": d.service,
        "flow": {"id": d.flow_id, "version": d.flow_version},
        "channel": d.channel,
        "chat_id": d.chat_id,
        "language": d.language,
        "started_at": wita(d.started_at),
        "submitted_at": wita(d.submitted_at),
        "answers": {
            a.step: {"label": a.label, "value": a.value, "display": a.display}
            for a in d.answers
            if not isinstance(a.value, list)
        },
        "photos": [
            {
                "step": step_id,
                "file": name,
                "mime": ref.mime,
                "sha256": ref.sha256,
                "size": ref.size,
            }
            for (step_id, ref), name in zip(d.photos, photo_filenames(d), strict=True)
        ],
    }


def summary_text(d: Dossier) -> str:
    lines = [
        f"Pengajuan {d.reference}",
        f"{d.service}",
        f"{d.office}",
        "",
        f"Diajukan: {wita_readable(d.submitted_at)} lewat {d.channel}",
        "",
    ]
    width = max((len(a.label) for a in d.answers), default=10)
    lines += [f"{a.label.ljust(width)} : {a.display}" for a in d.answers]
    lines += ["", "Lampiran:"]
    names = photo_filenames(d)
    lines += [f"- {name}" for name in names] or ["- (tidak ada)"]
    lines += ["", "Periksa setiap foto terhadap jawaban di atas sebelum memproses."]
    return "\n".join(lines) + "\n"


def summary_html(d: Dossier) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><th style='text-align:left;padding:4px 12px 4px 0'>{e(a.label)}</th>"
        f"<td style='padding:4px 0'>{e(a.display)}</td></tr>"
        for a in d.answers
    )
    files = "".join(f"<li>{e(n)}</li>" for n in photo_filenames(d)) or "<li>(tidak ada)</li>"
    return (
        "<!doctype html><html lang='id'><meta charset='utf-8'>"
        f"<title>Pengajuan {e(d.reference)}</title>"
        "<body style='font-family:sans-serif'>"
        f"<h1 style='font-size:20px'>Pengajuan {e(d.reference)}</h1>"
        f"<p><b>{e(d.service)}</b><br>{e(d.office)}<br>"
        f"Diajukan: {e(wita_readable(d.submitted_at))} lewat {e(d.channel)}</p>"
        f"<table>{rows}</table><h2 style='font-size:16px'>Lampiran</h2><ul>{files}</ul>"
        "</body></html>"
    )
