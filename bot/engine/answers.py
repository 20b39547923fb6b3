"""Understanding what a citizen typed: yes/no in informal Indonesian, choices, NIK, KK, phone.
Pure functions of their arguments; the messages they return are msgids for the translator."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from bot.engine import texts as T

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
_REPEAT = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")

# Words that carry no answer: honorifics, particles, politeness.
_FILLER = frozenset(
    [
        "pak",
        "bapak",
        "bu",
        "ibu",
        "bang",
        "abang",
        "kak",
        "kakak",
        "mas",
        "mbak",
        "dek",
        "adik",
        "min",
        "admin",
        "gan",
        "om",
        "tante",
        "bos",
        "bro",
        "sis",
        "nak",
        "nya",
        "dong",
        "deh",
        "kok",
        "sih",
        "lah",
        "loh",
        "toh",
        "kah",
        "pun",
        "saya",
        "aku",
        "sy",
        "ak",
        "kami",
        "kita",
        "please",
        "pls",
        "mohon",
        "maaf",
        "terima",
        "kasih",
        "makasih",
        "trims",
        "thanks",
        "thank",
        "you",
        "sir",
        "madam",
    ]
)
_YES = frozenset(
    [
        "ya",
        "iya",
        "iyaa",
        "iye",
        "iyo",
        "yaa",
        "y",
        "ye",
        "yes",
        "yup",
        "yep",
        "yeah",
        "ok",
        "oke",
        "okay",
        "okey",
        "sip",
        "siap",
        "setuju",
        "boleh",
        "benar",
        "betul",
        "bener",
        "sudah",
        "sdh",
        "udah",
        "udh",
        "dah",
        "uda",
        "ada",
        "punya",
        "pernah",
        "lanjut",
        "mau",
        "terdaftar",
        "sure",
        "agree",
        "correct",
        "right",
        "already",
        "registered",
        "have",
    ]
)
_NO = frozenset(
    [
        "tidak",
        "tdk",
        "gak",
        "ga",
        "gk",
        "ngga",
        "nggak",
        "ngak",
        "enggak",
        "engga",
        "ndak",
        "nda",
        "ndk",
        "tak",
        "bukan",
        "belum",
        "blm",
        "blom",
        "blum",
        "lum",
        "n",
        "no",
        "nope",
        "not",
        "never",
        "nah",
        "none",
        "without",
        "jangan",
        "kagak",
        "ogah",
    ]
)
# "I don't know" in its common spellings: an answer that is neither yes nor no.
_DONT_KNOW = (
    *(
        f"{neg} {know}"
        for neg in ("tidak", "tdk", "gak", "ga", "gk", "nggak", "ngga", "enggak", "ndak", "kurang")
        for know in ("tahu", "tau", "tw", "paham", "ngerti", "mengerti", "yakin", "ingat", "jelas")
    ),
    *("gatau", "gatahu", "entah", "don t know", "dont know", "not sure", "no idea"),
)
NEGATIONS = frozenset(
    [
        "tidak",
        "tdk",
        "gak",
        "ga",
        "gk",
        "ngga",
        "nggak",
        "enggak",
        "engga",
        "ndak",
        "nda",
        "tak",
        "bukan",
        "belum",
        "blm",
        "no",
        "not",
        "never",
    ]
)
# Matched against normalize()d text, where "don't" has become "don t".
_NO_PHRASES = ("not yet", "tidak ada", "gak ada", "ga ada", "do not", "does not", "did not")
_NO_CONTRACTIONS = ("don t", "doesn t", "didn t", "haven t", "hasn t", "can t", "isn t", "aren t")


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """Lower-case, drop punctuation and stretched letters ("iyaaa" -> "iyaa"), collapse spaces."""
    t = text.casefold().replace("’", "'")
    t = _PUNCT.sub(" ", t)
    t = _REPEAT.sub(r"\1\1", t)
    return _SPACES.sub(" ", t).strip()


def parse_yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when the text says neither (or both)."""
    t = normalize(text)
    if not t:
        return None
    if t in ("1",):
        return True
    if t in ("2",):
        return False
    words = [w for w in t.split() if w not in _FILLER]
    if not words:
        return None
    padded = f" {t} "
    if any(f" {p} " in padded for p in _DONT_KNOW):
        return None  # "ga tau", "not sure": neither yes nor no
    has_no = (
        any(w in _NO for w in words)
        or any(f" {p} " in padded for p in _NO_PHRASES + _NO_CONTRACTIONS)
        or any(w in ("dont", "didnt", "havent", "cant", "doesnt") for w in words)
    )
    has_yes = any(w in _YES for w in words)
    if has_no:
        return False  # "tidak ada", "belum terdaftar", "gak punya": the negation decides
    if has_yes:
        return True
    return None


@dataclass(frozen=True, slots=True)
class Choice:
    """An option as the parser sees it: its labels in every language, synonyms, yes/no meaning."""

    value: str
    labels: tuple[str, ...]
    match: tuple[str, ...] = ()
    means: bool | None = None


def parse_choice(text: str, choices: Sequence[Choice]) -> str | None:
    """The chosen value: by number, by label, by the longest synonym that names one option only,
    or by a plain yes/no for options that mean yes or no. None when unclear."""
    t = normalize(text)
    if not t:
        return None
    if t.isdecimal():  # any script's digits ("٣" too), never "²" which int() refuses
        n = int(t) if len(t) <= 6 else 0  # 10,000 digits: past int()'s digit limit, and no option
        return choices[n - 1].value if 1 <= n <= len(choices) else None
    for c in choices:
        if t == normalize(c.value.replace("_", " ")) or any(t == normalize(lb) for lb in c.labels):
            return c.value
    best = _synonym_matches(text.casefold(), choices)
    if best:
        top = max(best.values())
        winners = [v for v, n in best.items() if n == top]
        if len(winners) == 1:
            return winners[0]
    yn = parse_yes_no(text)
    if yn is not None:
        meaning = [c.value for c in choices if c.means is yn]
        if len(meaning) == 1:
            return meaning[0]
    if len(t) >= 4:
        hits = {c.value for c in choices if any(t in normalize(lb) for lb in c.labels)}
        if len(hits) == 1:
            return hits.pop()
    return None


_CLAUSE = re.compile(r"[,;.!?]+")


def _synonym_matches(t: str, choices: Sequence[Choice]) -> dict[str, int]:
    """Option value -> length of its longest synonym found in the text. A synonym right after a
    negation ("gak sakit", "tidak nunggak") does not pick its option; where options mean yes
    and no, it picks the opposite one instead."""
    opposite = {True: [c for c in choices if c.means is False]}
    opposite[False] = [c for c in choices if c.means is True]
    best: dict[str, int] = {}
    clauses = [f" {normalize(c)} " for c in _CLAUSE.split(t)]
    for c in choices:
        for key in (*c.match, c.value.replace("_", " ")):
            k = normalize(key)
            hit = next(((cl, cl.find(f" {k} ")) for cl in clauses if k and f" {k} " in cl), None)
            if hit is None:
                continue
            before = hit[0][: hit[1]].split()
            target: Choice | None = c
            # a negation up to three words before, in the same clause: "tidak pernah nunggak"
            if NEGATIONS & set(before[-3:]) and k.split()[0] not in NEGATIONS:
                others = opposite.get(c.means) if c.means is not None else None
                target = others[0] if others and len(others) == 1 else None
            if target is not None:
                best[target.value] = max(best.get(target.value, 0), len(k))
    return best


# --- identity numbers --------------------------------------------------------------------------

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
_LABEL_WORDS = frozenset(
    [
        "nik",
        "no",
        "nomor",
        "nomer",
        "nomornya",
        "kk",
        "kartu",
        "keluarga",
        "ktp",
        "saya",
        "sy",
        "ini",
        "adalah",
        "number",
        "my",
        "is",
    ]
)


def _digits(text: str) -> str | None:
    """The digits of a number typed with spaces, dots or dashes, also after a label such as
    "NIK saya:"; None if there are other words or several numbers."""
    runs = _RUN.findall(text)
    rest = _RUN.sub(" ", text)
    words = [w for w in normalize(rest).split() if w not in _LABEL_WORDS and w not in _FILLER]
    if len(runs) != 1 or words:
        return None
    return ascii_digits(re.sub(r"[\s.\-]", "", runs[0]))


def ascii_digits(text: str) -> str | None:
    """Decimal digits of any script as ASCII ("٧٣" -> "73"); None if anything else is there
    (superscripts such as "²" count as digits for str.isdigit but are not decimal digits)."""
    if not text or not text.isdecimal():
        return None
    return "".join(str(unicodedata.decimal(c)) for c in text)


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
    d = _digits(text)
    if d is None:
        return Parsed(error=T.NIK_NOT_DIGITS)
    if len(d) != 16:
        return Parsed(
            error=T.NIK_LENGTH,
            args=(("count", str(len(d))),),
        )
    if not _region_ok(d):
        return Parsed(error=T.NIK_REGION)
    if nik_birth_date(d, today) is None:
        return Parsed(error=T.NIK_DATE)
    if d[12:] == "0000":
        return Parsed(error=T.NIK_SERIAL)
    return Parsed(value=d)


def parse_kk(text: str) -> Parsed:
    d = _digits(text)
    if d is None:
        return Parsed(error=T.KK_NOT_DIGITS)
    if len(d) != 16:
        return Parsed(
            error=T.KK_LENGTH,
            args=(("count", str(len(d))),),
        )
    if not _region_ok(d) or d[12:] == "0000":
        return Parsed(error=T.KK_FORMAT)
    return Parsed(value=d)


def parse_phone(text: str) -> Parsed:
    """An Indonesian mobile number, normalised to +62 8xx; accepts 08xx, 8xx, 62 8xx, +62 8xx."""
    t = re.sub(r"[\s.\-()]", "", text.strip())
    if t.startswith("+"):
        t = t[1:]
    digits = ascii_digits(t)
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
