"""Translators: Indonesian is the source language (msgids), other languages come from catalogs.
Pure lookups; loader.py reads the catalog files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SOURCE_LANGUAGE = "id"


def N_(msgid: str) -> str:
    """Mark a string for extraction without translating it here."""
    return msgid


@dataclass(frozen=True, slots=True)
class Translator:
    lang: str
    name: str  # the language's own name, shown in the language menu
    messages: Mapping[str, str] = field(default_factory=dict)

    def t(self, msgid: str, **kwargs: object) -> str:
        text = self.messages.get(msgid) or msgid
        return text.format(**kwargs) if kwargs else text

    def has(self, msgid: str) -> bool:
        return self.lang == SOURCE_LANGUAGE or bool(self.messages.get(msgid))
