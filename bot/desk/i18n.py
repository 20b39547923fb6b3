"""The desk's texts in the staff member's language: Indonesian msgids, translations from the
gettext domain `desk` (locales/LANG/LC_MESSAGES/desk.po), apart from the citizen's catalog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.authoring.loader import DESK_CATALOG, read_messages

DOMAIN = "desk"
CATALOG = DESK_CATALOG
SOURCE = "id"


def N_(msgid: str) -> str:
    """Mark a text for extraction; translated where it is shown."""
    return msgid


@dataclass(frozen=True)
class DeskTranslator:
    lang: str
    messages: Mapping[str, str] = field(default_factory=dict)

    def gettext(self, msgid: str) -> str:
        return self.messages.get(msgid) or msgid

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        msgid = singular if n == 1 else plural
        return self.messages.get(msgid) or msgid


def load(locales_dir: Path) -> dict[str, DeskTranslator]:
    """Indonesian (the source) and every language with a desk.po; fuzzy entries are skipped."""
    out = {SOURCE: DeskTranslator(SOURCE)}
    for po in sorted(locales_dir.glob(f"*/{CATALOG}")):
        lang = po.parent.parent.name
        if lang != SOURCE:
            out[lang] = DeskTranslator(lang, read_messages(po))
    return out
