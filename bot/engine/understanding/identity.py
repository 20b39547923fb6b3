"""Identity numbers and phone numbers typed as people type them: NIK, KK number, mobile number,
with separators, labels and trailing words ("NIK saya 7371...", "WA 0822... 🙏"). The digits
are taken exactly as typed; the messages returned are msgids for the translator."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from bot.engine import texts as T
from bot.engine.understanding import lexicon as L
from bot.engine.understanding.heard import hear

# Province codes (the first two digits of a NIK or KK number), as used by Dukcapil.
PROVINCES = frozenset(
    (
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        21,
        31,
        32,
        33,
        34,
        35,
        36,
        51,
        52,
        53,
        61,
        62,
        63,
        64,
        65,
        71,
        72,
        73,
        74,
        75,
        76,
        81,
        82,
        91,
        92,
        93,
        94,
        95,
        96,
    )
)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parse result: `value` when valid, else `error` (a msgid) with `args` for formatting."""

    value: str | None = None
    error: str | None = None
    args: tuple[tuple[str, str], ...] = ()


_RUN = re.compile(r"\d[\d\s.\-]*\d|\d")
_GLUED = re.compile(r"\d[^\W\d_]|[^\W\d_]\d")  # a letter touching a digit: "0001a", "08l2"
_PHONE_RUN = re.compile(r"\+?\(?\d[\d\s.\-()]*\d|\d")
# Words that may stand around a number without changing it.
_LABELS = (
    L._set(
        """
        nik no nomor nomornya kartu keluarga ktp saya ini itu adalah my is number an a n atas nama
        ku punya nya yang e ektp hp aktif bisa dihubungi di ke sesuai tertera tertulis sudah ya
        oke berikut yaitu the of kk nmr mobile cell whats app kontak contact sama juga dan untuk
        buat suami istri anak ayah mama papa kepala pemilik kis nenek kakek orang tua nomorku
        nomernya hpku nikku
        """
    )
    | L.HONORIFICS
    | L.SOFTENERS
    | L.PARTICLES
)


def ascii_digits(text: str) -> str | None:
    """Decimal digits of any script as ASCII ("٧٣" -> "73"); None if anything else is there
    (superscripts such as "²" count as digits for str.isdigit but are not decimal digits)."""
    if not text or not text.isdecimal():
        return None
    return "".join(str(unicodedata.decimal(c)) for c in text)


def _number(text: str, run: re.Pattern[str] = _RUN) -> str | None:
    """The digits of the one number in a text, typed with spaces, dots or dashes and with
    labels or polite words around it; None if there are other words or several numbers."""
    runs = run.findall(text)
    if len(runs) != 1 or _GLUED.search(text):
        return None
    rest = run.sub(" ", text)
    if any(w not in _LABELS for w in hear(rest).words):
        return None
    return ascii_digits(re.sub(r"[\s.\-()+]", "", runs[0]))


def _region_ok(d: str) -> bool:
    return int(d[0:2]) in PROVINCES and d[2:4] != "00" and d[4:6] != "00"


def nik_birth_date(nik: str, today: date) -> date | None:
    """The birth date encoded in a NIK (day + 40 for women), or None if it is not a real date."""
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if day > 40:
        day -= 40
    for century in (2000, 1900):  # the latest birth date not after today
        try:
            born = date(century + yy, month, day)
        except ValueError:
            return None
        if born <= today:
            return born
    return None


def parse_nik(text: str, today: date) -> Parsed:
    d = _number(text)
    if d is None:
        return Parsed(error=T.NIK_NOT_DIGITS)
    if len(d) != 16:
        return Parsed(error=T.NIK_LENGTH, args=(("count", str(len(d))),))
    if not _region_ok(d):
        return Parsed(error=T.NIK_REGION)
    if nik_birth_date(d, today) is None:
        return Parsed(error=T.NIK_DATE)
    if d[12:] == "0000":
        return Parsed(error=T.NIK_SERIAL)
    return Parsed(value=d)


def parse_kk(text: str) -> Parsed:
    d = _number(text)
    if d is None:
        return Parsed(error=T.KK_NOT_DIGITS)
    if len(d) != 16:
        return Parsed(error=T.KK_LENGTH, args=(("count", str(len(d))),))
    if not _region_ok(d) or d[12:] == "0000":
        return Parsed(error=T.KK_FORMAT)
    return Parsed(value=d)


def parse_phone(text: str) -> Parsed:
    """An Indonesian mobile number, normalised to +62 8xx; accepts 08xx, 8xx, 62 8xx, +62 8xx,
    with a label or words around it ("no hp 0813...", "WA 0822... 🙏")."""
    digits = _number(text, _PHONE_RUN)
    if digits is None:
        return Parsed(error=T.PHONE_NOT_DIGITS)
    t = digits
    if t.startswith("62"):
        t = t[2:]
    elif t.startswith("0"):
        t = t[1:]
    if not t.startswith("8"):
        return Parsed(error=T.PHONE_PREFIX)
    if not 9 <= len(t) <= 12:
        return Parsed(error=T.PHONE_LENGTH)
    return Parsed(value="+62" + t)


def mask(value: str, keep: int = 4) -> str:
    """Show only the last `keep` characters of an identifier, for logs and summaries."""
    shown = value[len(value) - keep :] if 0 < keep < len(value) else ("" if keep <= 0 else value)
    return "*" * (len(value) - len(shown)) + shown
