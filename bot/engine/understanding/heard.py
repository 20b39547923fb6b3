"""What a citizen typed, normalised once: case, emoji and punctuation gone, stretched letters
("Setujuuu") shortened, regional particles ("sudahmi", "belum pi") and honorifics set apart,
slang spelled out ("udh" = sudah), idioms ("nda apa2 ji" = oke). Digits are never changed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.engine.understanding import lexicon as L

_REDUPLICATED = re.compile(r"(?<![^\W\d_])([^\W\d_]{3,})2(?!\d)")  # "apa2" -> "apa apa"
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")  # three or more of a letter: one
_CLAUSE = re.compile(r"[,;.!?:\n/]+")
# Words that start a new clause (kept as words, so no option's words reach across them).
_JOINS = frozenset({"tapi", "tetapi", "but", "namun", "atau", "dan", "or", "and", "serta"})
_NOT_WORD = re.compile(r"[^\w\s]|_", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Heard:
    """`words`: every word in its usual spelling (particles and emoji gone, digits as typed);
    `content`: the words that can answer (honorifics, softeners and particles left out);
    `clauses`: for each content word, the clause it stands in."""

    text: str
    words: tuple[str, ...]
    content: tuple[str, ...]
    clauses: tuple[int, ...]
    question_mark: bool

    @property
    def clean(self) -> str:
        return " ".join(self.content)

    @property
    def key(self) -> tuple[str, ...]:
        """The content with "," where a clause ends: what must match for a word-for-word answer."""
        out: list[str] = []
        for i, w in enumerate(self.content):
            if i and self.clauses[i] != self.clauses[i - 1]:
                out.append(",")
            out.append(w)
        return tuple(out)

    def runs(self) -> list[tuple[str, ...]]:
        """The content clause by clause."""
        out: list[list[str]] = []
        for i, w in enumerate(self.content):
            if not i or self.clauses[i] != self.clauses[i - 1]:
                out.append([])
            out[-1].append(w)
        return [tuple(r) for r in out]

    @property
    def digits(self) -> str:
        """Every ASCII digit typed, in order (what the identity parsers read)."""
        return "".join(c for c in self.text if "0" <= c <= "9")


_DOUBLED = re.compile(r"([^\W\d_])\1")


def _squeeze2(word: str) -> str:
    return _DOUBLED.sub(r"\1", word) if _DOUBLED.search(word) else word


KNOWN = frozenset(
    {*L.SPELLINGS.values(), *L.YES, *L.NO, *L.NUMBER_WORDS, *L.DONE, *L.SKIP, *L.LATER}
    | {w for phrases in L.COMMANDS.values() for p in phrases for w in p.split()}
    | {
        "lunas",
        "bayar",
        "nunggak",
        "tunggakan",
        "terdaftar",
        "sakit",
        "sehat",
        "sembuh",
        "baru",
        "lanjut",
        "batal",
        "kirim",
        "benar",
        "betul",
        "masih",
        "itu",
        "ini",
        "bisa",
        "dapat",
        "semua",
        "cukup",
        "tahu",
        "ingat",
        "siap",
        "mau",
        "ada",
        "setuju",
        "sudah",
        "belum",
    }
)


def spell(word: str) -> str:
    """A word in its usual spelling ("udh" -> "sudah"), a known word's doubled letters halved
    ("iyaa" -> "ya"); other words as they are."""
    if word in L.SPELLINGS:
        return L.SPELLINGS[word]
    if word in KNOWN or word.isdigit():
        return word
    short = _squeeze2(word)
    if short != word and (short in L.SPELLINGS or short in KNOWN):
        return L.SPELLINGS.get(short, short)
    return word


def _unfuse(word: str) -> list[str]:
    """ "sudahmi" -> ["sudah", "mi"]: a particle fused to a word is set apart."""
    if word[-2:] not in _FUSED or word in L.SPELLINGS or word in KNOWN or not word.isalpha():
        return [word]
    for particle in L.FUSED_ALWAYS + L.FUSED_KNOWN:
        stem = word[: -len(particle)]
        if not word.endswith(particle) or len(stem) < 2:
            continue
        known = spell(stem) in KNOWN or stem in L.SPELLINGS
        if known or (particle in L.FUSED_ALWAYS and len(stem) >= 4):
            return [stem, particle]
    return [word]


def _idioms() -> dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]:
    """Idioms by their first word (as spelled), longest first."""
    pairs = [
        (tuple(spell(w) for w in phrase.split()), tuple(meaning.split()))
        for phrase, meaning in L.IDIOMS.items()
    ]
    out: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for key, words in sorted(pairs, key=lambda p: -len(p[0])):
        out.setdefault(key[0], []).append((key, words))
    return out


_IDIOMS = _idioms()
_FUSED = frozenset(L.FUSED_ALWAYS + L.FUSED_KNOWN)
_NUMBERED = frozenset({"hp", "kartu", "ktp", "nik", "rumah", "rekening", "telepon", "induk"})
_SKIPPED = L.PARTICLES | {"\u200d"}


def _words_of(clause: str) -> list[str]:
    out: list[str] = []
    for raw in clause.split():
        for part in _unfuse(raw):
            if part in _SKIPPED:
                continue
            out.extend(spell(part).split())
    # idioms, longest first: "tidak apa apa" -> "oke"
    i = 0
    result: list[str] = []
    while i < len(out):
        for key, meaning in _IDIOMS.get(out[i], ()):
            if tuple(out[i : i + len(key)]) == key:
                result.extend(meaning)
                i += len(key)
                break
        else:
            result.append(out[i])
            i += 1
    # "sudah 3 bulan" is how long, not "already"; "no 2" is "nomor 2"
    for j, w in enumerate(result[:-1]):
        nxt = result[j + 1]
        if w == "sudah" and (nxt in L.DURATION or nxt.isdecimal()):
            result[j] = "selama"
        elif w == "no" and (nxt.isdecimal() or nxt in L.NUMBER_WORDS or nxt in _NUMBERED):
            result[j] = "nomor"
    return result


@lru_cache(maxsize=16384)
def hear(text: str) -> Heard:
    t = text.casefold().replace("’", "'").replace("`", "'")
    question_mark = "?" in t or "？" in t
    if "2" in t:
        t = _REDUPLICATED.sub(r"\1 \1", t)
    if _STRETCHED.search(t):
        t = _STRETCHED.sub(r"\1", t)
    words: list[str] = []
    content: list[str] = []
    clauses: list[int] = []
    n = 0
    for clause in _CLAUSE.split(t):
        n += 1
        clause_words = _words_of(_NOT_WORD.sub(" ", clause))
        words += clause_words
        for w in clause_words:
            n += w in _JOINS
            if w not in L.DROPPABLE:
                content.append(w)
                clauses.append(n)
    return Heard(text, tuple(words), tuple(content), tuple(clauses), question_mark)


def normalize(text: str) -> str:
    """The words of a text in their usual spelling, one space apart (for comparisons)."""
    return " ".join(hear(text).words)
