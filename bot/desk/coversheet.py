"""The cover sheet for a case's paper file (PDF, fpdf2): office, service, the reference as text
and QR code (segno), the requirement checklist with each decision, and the answers. Builds
bytes from a loaded case; reads nothing itself."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.desk.models import Case, CaseEvent
from bot.desk.reasons import REASONS

WITA = timezone(timedelta(hours=8), "WITA")


def latin(text: str) -> str:
    """The PDF's core font speaks Latin-1: accents kept where it can, others simplified."""
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


def wita(t: datetime) -> str:
    return t.astimezone(WITA).strftime("%d-%m-%Y %H:%M WITA")


@dataclass(frozen=True)
class Office:
    name: str
    address: str


def build(
    case: Case,
    office: Office,
    status_label: str,
    events: Sequence[CaseEvent],
    printed_by: str,
    now: datetime,
    _: Callable[[str], str],
) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(f"{case.reference}")
    pdf.set_author("wargabot")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 10, style: str = "", h: float = 5.5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width - 45, h, latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    qr = io.BytesIO()
    segno.make_qr(case.reference, error="m").save(qr, kind="png", scale=6, border=1)
    qr.seek(0)
    pdf.image(qr, x=pdf.w - pdf.r_margin - 38, y=pdf.t_margin, w=38, h=38)
    line(office.name, 14, "B", 7)
    line(office.address, 9)
    pdf.ln(3)
    line(_("Lembar sampul berkas"), 11, "B")
    line(case.service, 11)
    pdf.ln(2)
    line(case.reference, 22, "B", 10)
    line(f"{_('Diajukan')}: {wita(case.submitted_at)} ({case.channel})", 10)
    line(f"{_('Status')}: {status_label}", 10)
    if case.status_reason:
        line(f"{_('Alasan')}: {case.status_reason}", 10)
    pdf.set_y(max(pdf.get_y(), pdf.t_margin + 42))

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(width, 7, latin(text), border="B", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    heading(_("Kelengkapan dokumen"))
    pdf.set_font("Helvetica", "", 10)
    if not case.documents:
        pdf.cell(width, 6, latin(_("(tidak ada dokumen)")), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for doc in case.documents:
        mark = {"accepted": "[v]", "refused": "[x]"}.get(doc.decision, "[ ]")
        verdict = {
            "accepted": _("Sesuai"),
            "refused": _("Perlu diganti"),
        }.get(doc.decision, _("Belum diperiksa"))
        if doc.decision == "refused" and doc.reason:
            verdict += ": " + (_(REASONS[doc.reason]) if doc.reason != "other" else "")
            verdict += doc.reason_text or ""
        pages = len(doc.current_files)
        row = f"{mark} {doc.label} ({_('versi')} {doc.revision}, {pages} {_('halaman')})"
        pdf.set_font("Helvetica", "B" if doc.decision == "refused" else "", 10)
        pdf.multi_cell(width * 0.55, 6, latin(row), new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(width * 0.45, 6, latin(verdict), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    heading(_("Jawaban warga"))
    for answer in case.answers or []:
        if answer.get("kind") == "photo":
            continue
        pdf.set_font("Helvetica", "B", 9)
        pdf.multi_cell(width * 0.4, 5.5, latin(str(answer.get("label", ""))), new_x=XPos.RIGHT,
                       new_y=YPos.TOP)  # fmt: skip
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(width * 0.6, 5.5, latin(str(answer.get("display", ""))),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip

    notes = [e for e in events if e.kind == "note_added"]
    if notes:
        heading(_("Catatan petugas"))
        pdf.set_font("Helvetica", "", 9)
        for e in notes:
            who = e.actor.username if e.actor else ""
            pdf.multi_cell(width, 5, latin(f"{wita(e.at)} {who}: {e.data.get('text', '')}"),
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip

    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 8)
    printed = f"{_('Dicetak oleh')} {printed_by}, {wita(now)} - wargabot"
    pdf.cell(width, 5, latin(printed), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
