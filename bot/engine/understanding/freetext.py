"""Free-text answers checked for what they are: a name is a name ("nama saya Syamsuddin" is
"Syamsuddin"), not "iya", "ga tau" or a command; a place or a job is named, not "terserah" or
"puskesmas terdekat". The messages returned are msgids for the translator."""

from __future__ import annotations

import re

from bot.engine import texts as T
from bot.engine.understanding import lexicon as L
from bot.engine.understanding.heard import hear
from bot.engine.understanding.identity import Parsed
from bot.engine.understanding.meaning import dont_know_span

_LEAD_IN = re.compile(
    r"^(?:(?:per)?kenalkan\s*,?\s*)?"
    r"(?:nama\s*lengkap(?:nya)?|nama(?:ku|nya)?|nm|my\s+name\s+is|name|saya\s+bernama|"
    r"i\s+am|i'?m|atas\s+nama|a\.?\s?n\.?|full\s+name)(?=\W|$)"
    r"(?:\s+(?:saya|sy|aku|ku|ibu|bapak|anak|suami|istri|pemilik\s+kis)\b)?\s*"
    r"(?:adalah|yaitu|:|-|=)?\s*",
    re.IGNORECASE,
)
_SAYA = re.compile(r"^(?:saya|sy|aku)\s+(?=\S+)", re.IGNORECASE)
_TRAILING = re.compile(
    r"(?:[\s,]+(?:pak|bu|kak|dek|mas|mbak|bang|min|admin|ya|terima\s*kasih|makasih|trims|"
    r"thanks|tabe|mi|ji|pi|ki))+$",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_NOT_NAME_CHARS = re.compile(r"[^\w\s.,'’\-]|[\d_]", re.UNICODE)
_SYMBOLS = re.compile(r"[^\w\s.,'’\-]", re.UNICODE)
# Words that answer a question or run a command: a text made only of them is not a name.
ANSWER_WORDS = (
    L.YES
    | L.NO
    | L.NEGATIONS
    | L.DONE
    | L.SKIP
    | L.LATER
    | L.QUESTION_WORDS
    | L.SOFTENERS
    | L.HONORIFICS
    | L.PARTICLES
    | L.VAGUE
    | L.VAGUE_MARKS
    | {w for phrases in L.COMMANDS.values() for p in phrases for w in hear(p).words}
    | {
        "tahu",
        "yakin",
        "ingat",
        "lupa",
        "mungkin",
        "entah",
        "ragu",
        "nama",
        "lengkap",
        "kenapa",
        "apa",
        "siapa",
        "harus",
        "data",
        "buat",
        "untuk",
        "tes",
        "test",
        "coba",
        "halo",
        "hai",
    }
)


def _strip_emoji(text: str) -> str:
    return " ".join(_SYMBOLS.sub(" ", text).split())


def parse_name(text: str, min_length: int = 3, max_length: int = 100) -> Parsed:
    """A person's name as typed, without a lead-in ("nama saya ...") or a trailing "pak"."""
    name = (_strip_emoji(text) if _SYMBOLS.search(text) else " ".join(text.split())).strip(" .,-")
    first, _, _ = name.partition(" ")
    if first.casefold().rstrip(":.'") in L.NAME_STARTS:
        name = _LEAD_IN.sub("", name, count=1)
        name = _SAYA.sub("", name, count=1)
    last = name.rpartition(" ")[2].casefold()
    if last in L.NAME_ENDS or "," in name:
        name = _TRAILING.sub("", name)
    name = name.strip(" .,-")
    if _DIGIT.search(name):
        return Parsed(error=T.NAME_DIGITS)
    words = hear(name).words
    if not name or not words or all(w in ANSWER_WORDS for w in words):
        return Parsed(error=T.NAME_NOT_A_NAME)
    if _NOT_NAME_CHARS.search(name):
        return Parsed(error=T.NAME_NOT_A_NAME)
    if len(name) < min_length:
        return Parsed(error=T.TEXT_TOO_SHORT)
    if len(name) > max_length:
        return Parsed(error=T.TEXT_TOO_LONG, args=(("max", str(max_length)),))
    return Parsed(value=name)


_PLAIN = L.YES | L.NO | L.NEGATIONS | L.DONE


def check_text(text: str, min_length: int = 2, max_length: int = 200) -> Parsed:
    """A free-text answer (a job, a health facility): named, not only "ya", "ga tau",
    "terserah" or "puskesmas terdekat"."""
    clean = " ".join(text.split())
    heard = hear(clean)
    words = heard.content
    if not words or all(w in _PLAIN for w in words) or says_dont_know(clean):
        return Parsed(error=T.TEXT_NOT_AN_ANSWER)
    vague = L.VAGUE | L.GENERIC_PLACES | _PLAIN
    if all(w in vague for w in words) and any(w in L.VAGUE_MARKS | L.GENERIC_PLACES for w in words):
        return Parsed(error=T.TEXT_VAGUE)
    if len(clean) < min_length:
        return Parsed(error=T.TEXT_TOO_SHORT)
    if len(clean) > max_length:
        return Parsed(error=T.TEXT_TOO_LONG, args=(("max", str(max_length)),))
    return Parsed(value=clean)


def says_dont_know(text: str) -> bool:
    """The whole answer is "don't know" ("ga tau", "nda tau ka", "lupa")."""
    words = hear(text).content
    span = dont_know_span(words)
    return span is not None and all(
        w in ANSWER_WORDS for i, w in enumerate(words) if not span[0] <= i < span[1]
    )
