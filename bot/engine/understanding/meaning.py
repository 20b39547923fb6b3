"""Yes, no and "don't know" in a heard answer, with the scope of a negation ("tidak setuju" is
no, "tidak apa-apa" was already made agreement), and an option's number in every form."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence

from bot.engine.understanding import lexicon as L
from bot.engine.understanding.heard import Heard

ACKNOWLEDGE = frozenset({"ya", "oke"})  # "ya, belum": the "ya" only acknowledges the question
AUXILIARY = frozenset({"mau", "bisa", "boleh", "ingin"})  # yes alone; "mau ubah" wants to change


def number_of(word: str) -> int | None:
    """A decimal number in any script ("2", "٢"), or a number word ("dua", "kedua")."""
    if word in L.NUMBER_WORDS:
        return L.NUMBER_WORDS[word]
    if word.isdecimal() and len(word) <= 3:
        return int("".join(str(unicodedata.decimal(c)) for c in word))
    return None


def option_number(heard: Heard) -> int | None:
    """The option's number when that is the whole answer: "2", "no. 2", "nomor 2", "yang
    kedua", "pilihan 2 pak", "1️⃣"; None for "sdh 3 bln", "1 atau 2" or anything else."""
    rest = [w for w in heard.content if w not in L.NUMBER_MARKS]
    if len(rest) != 1:
        return None
    return number_of(rest[0])


def _by_first(phrases: Sequence[tuple[str, ...]]) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    for p in sorted(phrases, key=len, reverse=True):
        out.setdefault(p[0], []).append(p)
    return out


_DONT_KNOW = _by_first(L.DONT_KNOW)
_QUESTION_STARTS = _by_first(L.QUESTION_STARTS)


def dont_know_span(words: Sequence[str]) -> tuple[int, int] | None:
    """Where "don't know" is said ("tidak tahu", "kurang yakin", "mungkin", "lupa")."""
    for i, w in enumerate(words):
        for phrase in _DONT_KNOW.get(w, ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                return i, i + len(phrase)
    return None


def polarity(words: Sequence[str], skip: Collection[int] = ()) -> tuple[bool, bool, bool]:
    """(yes, no, only an acknowledgement said yes) over the words not in `skip`. A negation
    before a yes word makes it a no: "tidak setuju", "belum ada", "gak mau"."""
    yes = no = False
    ack_only = True
    negated_until = -1
    for i, w in enumerate(words):
        if i in skip:
            continue
        if w in L.NEGATIONS:
            no = True
            negated_until = i + 2
            continue
        if w == "ada" and tuple(words[i + 1 : i + 2]) == ("yang",):
            continue  # "ada yang salah": there is something, not a yes
        if w in L.YES:
            if i <= negated_until:
                no = True
            elif w in AUXILIARY and any(x not in L.YES and x not in L.NO for x in words[i + 1 :]):
                continue
            else:
                yes = True
                ack_only = ack_only and w in ACKNOWLEDGE
        elif w in L.NO:
            no = True
    return yes, no, yes and ack_only


def is_question(heard: Heard) -> bool:
    """A question back ("kenapa harus setuju?", "maksudnya apa?", "apa itu DTKS?")."""
    words = heard.content
    if not L.QUESTION_WORDS.isdisjoint(words):
        return True
    if words and any(words[: len(s)] == s for s in _QUESTION_STARTS.get(words[0], ())):
        return True
    return heard.question_mark and len(words) > 0
