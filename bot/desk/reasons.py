"""Why a document needs a new one: the reasons staff choose from at the desk. Ids are stable
(stored with each decision, read by issue 13's message to the citizen); labels are msgids of
the desk's catalog."""

from __future__ import annotations

from bot.desk.i18n import N_

REASONS: dict[str, str] = {
    "blurred": N_("Buram, tulisan tidak terbaca"),
    "cut_off": N_("Terpotong, sebagian dokumen tidak terlihat"),
    "wrong_document": N_("Dokumen yang salah"),
    "expired": N_("Sudah tidak berlaku"),
    "other": N_("Lainnya (tulis alasannya)"),
}
NEEDS_TEXT = frozenset({"other"})  # the reason is only what staff write


def is_reason(reason: str) -> bool:
    return reason in REASONS
