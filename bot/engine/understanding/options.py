"""Which option of a question an answer picks: by number, by label in any language, by the
option's own words (negation scope: "tidak pernah nunggak"), by a plain yes or no, and by a
typo of a label word (rapidfuzz, with a threshold per word that no other option's word can
reach). An answer that could mean two options is read as both, never as one of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.engine.understanding import lexicon as L
from bot.engine.understanding.heard import KNOWN, Heard, hear
from bot.engine.understanding.meaning import dont_know_span, is_question, option_number, polarity

FUZZY_MIN = 80  # a typo must be at least this close (rapidfuzz ratio, 0-100) to a label word
FUZZY_MIN_SHORT = 85  # ... for words of 3-4 letters ("goa" for "gowa")
FUZZY_MARGIN = 10  # ... and this much closer to it than to any other option's words
_STOP = frozenset(
    {
        "dinas",
        "sosial",
        "dari",
        "ke",
        "di",
        "dan",
        "atau",
        "yang",
        "untuk",
        "dengan",
        "pengajuan",
        "kis",
        "bpjs",
    }
)
_POLAR = L.YES | L.NO | L.NEGATIONS


@dataclass(frozen=True, slots=True)
class Choice:
    """An option as the reader sees it: its labels in every language, its own words
    (`match`), what a plain yes, no or "don't know" means here, and whether picking it deletes,
    refuses, stops or submits (`careful`: then only an unambiguous answer picks it)."""

    value: str
    labels: tuple[str, ...]
    match: tuple[str, ...] = ()
    means: str | None = None  # "yes", "no", "dont_know"
    careful: bool = False


@dataclass(frozen=True, slots=True)
class Reading:
    """`value`: the option picked. Else `readings`: the options the answer could mean (ask
    which); `asked`: a question back; `dont_know`: "don't know" where no option says so."""

    value: str | None = None
    readings: tuple[str, ...] = ()
    asked: bool = False
    dont_know: bool = False


@lru_cache(maxsize=8192)
def _variants(word: str) -> frozenset[str]:
    """A word and its stem without the common affixes ("dilunasi" ~ "lunas", "batalkan" ~
    "batal"), for comparing an answer's words with an option's."""
    out = {word}
    for suffix in ("nya", "lah", "kah", "kan", "an", "i"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            out.add(word[: -len(suffix)])
    for prefix in ("di", "ter", "ber", "me", "mem", "men", "meng", "pe", "pen", "peng", "per"):
        for w in list(out):
            if w.startswith(prefix) and len(w) - len(prefix) >= 4:
                out.add(w[len(prefix) :])
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[frozenset[str], ...]
    values: frozenset[str]  # several when options share it ("kartu keluarga")
    negative: bool  # the phrase itself starts with a negation ("belum bayar")


class Matcher:
    """A question's options, prepared once: exact forms, phrases and fuzzy words."""

    def __init__(self, choices: Sequence[Choice]) -> None:
        self.choices = tuple(choices)
        self.values = tuple(c.value for c in choices)
        self.by_value = {c.value: c for c in choices}
        self.exact: dict[tuple[str, ...], str] = {}
        phrases: dict[tuple[str, ...], set[str]] = {}
        singles: dict[str, set[str]] = {}
        own: dict[str, set[str]] = {}
        for c in choices:
            forms = [*c.labels, c.value.replace("_", " "), *c.match]
            for form in forms:
                key = hear(form).key
                if key:
                    self.exact.setdefault(key, c.value)
            for form in [*c.labels, c.value.replace("_", " ")]:
                for words in hear(form).runs():  # no phrase across a comma of the label
                    for n in range(2, len(words) + 1):
                        for i in range(len(words) - n + 1):
                            phrases.setdefault(words[i : i + n], set()).add(c.value)
                    for w in words:
                        singles.setdefault(w, set()).add(c.value)
            for form in c.match:
                words = hear(form).content
                if words:
                    phrases.setdefault(words, set()).add(c.value)
                    if len(words) == 1:
                        own.setdefault(words[0], set()).add(c.value)
        self.shared: dict[str, frozenset[str]] = {}
        for w, values in singles.items():
            if w in _POLAR or w in _STOP or w.isdecimal():
                continue
            if len(values) == 1:
                phrases.setdefault((w,), set()).update(values)
            else:
                self.shared[w] = frozenset(values)
        self.phrases = sorted(
            (
                _Phrase(tuple(_variants(w) for w in words), frozenset(vs), words[0] in L.NEGATIONS)
                for words, vs in phrases.items()
                if len(vs) == 1 or len(words) > 1
            ),
            key=lambda p: -len(p.words),
        )
        self.words = frozenset(w for words in phrases for w in words) | frozenset(singles)
        # phrases by every form of their first word, in the order they are tried
        self.starting: dict[str, list[tuple[int, _Phrase]]] = {}
        for rank, phrase in enumerate(self.phrases):
            for form in phrase.words[0]:
                self.starting.setdefault(form, []).append((rank, phrase))
        vocab: dict[str, set[str]] = {}
        for (w,), values in ((k, v) for k, v in phrases.items() if len(k) == 1):
            if len(values) == 1 and len(w) >= 3 and w.isalpha() and w not in _POLAR:
                vocab.setdefault(w, set()).update(values)
        self.vocab = {w: next(iter(v)) for w, v in vocab.items()}
        self.vocab_words = list(self.vocab)
        self.guard = {
            w: max(
                (fuzz.ratio(w, o) for o, ov in self.vocab.items() if ov != v),
                default=0.0,
            )
            for w, v in self.vocab.items()
        }
        self.means = {m: [c.value for c in choices if c.means == m] for m in ("yes", "no")}
        dk = [c.value for c in choices if c.means == "dont_know"]
        self.dont_know = dk[0] if len(dk) == 1 else None
        self.own_words = frozenset(own)

    def fuzzy(self, word: str) -> str | None:
        """The option a typo of one of its words names, if exactly one is close enough."""
        if len(word) < 3 or not word.isalpha() or word in self.vocab or word in KNOWN:
            return None
        floor = FUZZY_MIN_SHORT if len(word) <= 4 else FUZZY_MIN
        scores: dict[str, float] = {}
        for w, score, _ in process.extract(
            word, self.vocab_words, scorer=fuzz.ratio, score_cutoff=floor, limit=None
        ):
            # a slip of the finger keeps the first letter: "pelayan" is no "nelayan"
            if w[0] == word[0] and score > self.guard[w]:
                v = self.vocab[w]
                scores[v] = max(scores.get(v, 0.0), score)
        if not scores:
            return None
        best = max(scores, key=lambda v: scores[v])
        others = [s for v, s in scores.items() if v != best]
        if others and max(others) + FUZZY_MARGIN > scores[best]:
            return None
        return best


@lru_cache(maxsize=1024)
def matcher(choices: tuple[Choice, ...]) -> Matcher:
    return Matcher(choices)


def _found(
    heard: Heard, forms: Sequence[frozenset[str]], m: Matcher
) -> list[tuple[int, int, int, _Phrase]]:
    """Every place one of the options' own phrases is said, within one clause, as
    (-length, rank, position, phrase)."""
    words, clauses = heard.content, heard.clauses
    out = []
    for i, variants in enumerate(forms):
        seen: set[int] = set()
        for form in variants:
            for rank, phrase in m.starting.get(form, ()):
                size = len(phrase.words)
                if rank in seen or i + size > len(words) or clauses[i] != clauses[i + size - 1]:
                    continue
                if all(not forms[i + k].isdisjoint(phrase.words[k]) for k in range(1, size)):
                    seen.add(rank)
                    out.append((-size, rank, i, phrase))
    return out


def read_choice(
    text: str | Heard, choices: Sequence[Choice], offered: Sequence[str] = ()
) -> Reading:
    """Read an answer to a question with these options. `offered`: the options of a
    clarifying question just asked (its numbers count, not the question's own)."""
    heard = text if isinstance(text, Heard) else hear(text)
    m = matcher(tuple(choices))
    words = heard.content
    if not words:
        return Reading()
    n = option_number(heard)
    numbered = tuple(offered) or m.values
    if n is not None:
        return Reading(numbered[n - 1]) if 1 <= n <= len(numbered) else Reading()
    if heard.key in m.exact:
        return Reading(m.exact[heard.key])
    if is_question(heard):
        return Reading(asked=True)
    signals: dict[str, bool] = {}  # value -> strong (not only a typo)
    used: set[int] = set()
    negators: set[int] = set()  # negations that turned an option's words around
    common: list[frozenset[str]] = []  # words several options share
    dk = dont_know_span(words)
    if dk is not None:
        used.update(range(*dk))
    forms = [_variants(w) for w in words]
    found = sorted(_found(heard, forms, m))  # (longest first, then as the options list them)
    # a negation that starts an option's own words ("tidak jadi", "belum bayar") is theirs
    owned = {i for _, _, i, p in found if p.negative}
    # the options' own words, longest first, each word read once
    for _, _, i, phrase in found:
        span = range(i, i + len(phrase.words))
        if used.intersection(span):
            continue
        values: set[str] = set(phrase.values)
        before = [j for j in range(max(0, i - 3), i) if heard.clauses[j] == heard.clauses[i]]
        negation = next((j for j in reversed(before) if words[j] in L.NEGATIONS), None)
        if (
            negation is not None
            and not phrase.negative
            and negation not in owned
            and (negation not in used or negation in negators)
        ):
            # "tidak pernah nunggak": no arrears; "bukan petani": not petani, nor another
            values = {o for v in values if (o := _opposite(m, v)) is not None}
            negators.add(negation)
            used.update(range(negation, i))
        used.update(span)
        if len(phrase.values) > 1 and values == set(phrase.values):
            common.append(phrase.values)  # "dinas sosial", "kartu keluarga": says little
            continue
        for value in values:
            signals[value] = True
    if dk is not None:
        if m.dont_know is not None and not signals:
            return Reading(m.dont_know)
        if m.dont_know is not None:
            return Reading(readings=_ordered(m, {m.dont_know, *signals}))
        if len(signals) > 1:
            return Reading(readings=_ordered(m, set(signals)))
        return Reading(dont_know=True)
    yes, no, ack_only = polarity(words, used)
    conflict = yes and no
    acked = ack_only and (no or bool(signals))
    if acked:
        yes = False  # "ya, belum", "ya, sudah lunas": the "ya" acknowledges, the rest answers
    for said, key in ((yes, "yes"), (no, "no")):
        if said and len(m.means[key]) == 1:
            signals[m.means[key][0]] = True
    for i, w in enumerate(words):
        if i not in used and (v := m.fuzzy(w)) is not None:
            signals.setdefault(v, False)
    if not signals:
        rest = [w for i, w in enumerate(words) if i not in used and w not in L.DROPPABLE]
        shared = [m.shared[w] for w in rest if w in m.shared]
        if (rest or common) and len(shared) == len(rest):  # "foto", "kk": which one?
            both = frozenset.intersection(*shared, *common)
            if len(both) > 1:
                return Reading(readings=_ordered(m, set(both)))
    if len(signals) == 1:
        ((value, strong),) = signals.items()
        choice = m.by_value[value]
        against = acked and choice.means == "no"  # "ya, berhenti": yes and no at once
        if choice.careful and (not strong or conflict or against):
            return Reading(readings=_ordered(m, {value, *_safe(m)}))
        return Reading(value)
    if len(signals) > 1:
        return Reading(readings=_ordered(m, set(signals)))
    if is_question(heard):
        return Reading(asked=True)
    return Reading()


def _opposite(m: Matcher, value: str) -> str | None:
    means = m.by_value[value].means
    if means not in ("yes", "no"):
        return None  # "bukan petani": not petani, and not another option either
    other = m.means["no" if means == "yes" else "yes"]
    return other[0] if len(other) == 1 else None


def _safe(m: Matcher) -> list[str]:
    return [c.value for c in m.choices if not c.careful][:1]


def _ordered(m: Matcher, values: set[str]) -> tuple[str, ...]:
    return tuple(v for v in m.values if v in values)
