"""Properties of the understanding layer over generated answers (Hypothesis): normalisation never
changes a digit of a NIK, KK or phone number; an answer that mentions two different options of
a question is never taken as one of them; a typo of one option's word never names another."""

from __future__ import annotations

from datetime import date

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.authoring.loader import load_flowset
from bot.engine import asides, summary, welcome
from bot.engine.understanding import Choice, hear, parse_kk, parse_nik, parse_phone, read_choice
from bot.engine.understanding.identity import PROVINCES
from bot.engine.understanding.options import matcher

TODAY = date(2026, 11, 22)
FLOWS = load_flowset()
EN = FLOWS.tr("en")
SETTINGS = settings(max_examples=300, deadline=None)


def _questions() -> dict[str, tuple[Choice, ...]]:
    """Every question with options of both flows and of the engine, as the reader sees them."""
    out: dict[str, tuple[Choice, ...]] = {}
    for flow in FLOWS.flows.values():
        for st_ in flow.steps:
            if st_.choices:
                out[f"{flow.id}/{st_.id}"] = tuple(
                    Choice(o.value, (o.label, EN.t(o.label)), o.match, o.means) for o in st_.choices
                )
    for name, offers in (
        ("consent", welcome.CONSENT),
        ("cancel", asides.CANCEL),
        ("summary", summary.SUMMARY),
        ("requirements", welcome.REQUIREMENTS),
    ):
        out[name] = tuple(
            Choice(o.value, (o.label, EN.t(o.label)), o.match, o.means, o.careful) for o in offers
        )
    out["office"] = tuple(Choice(o.id, (o.name,), o.match) for o in FLOWS.offices)
    return out


QUESTIONS = _questions()

# --- digits -------------------------------------------------------------------------------------


@st.composite
def niks(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCES)))
    regency, district = draw(st.integers(1, 99)), draw(st.integers(1, 99))
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 40]))
    month, year = draw(st.integers(1, 12)), draw(st.integers(0, 99))
    serial = draw(st.integers(1, 9999))
    return f"{province}{regency:02d}{district:02d}{day:02d}{month:02d}{year:02d}{serial:04d}"


@st.composite
def typed(draw: st.DrawFn, digits: str, labels: list[str]) -> str:
    """A number as people type it: grouped with spaces, dots or dashes, with a label, polite
    words or emoji around it."""
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=4)))
    sep = draw(st.sampled_from([" ", ".", "-", ""]))
    parts = [digits[i:j] for i, j in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    before = draw(st.sampled_from(labels))
    after = draw(st.sampled_from(["", " pak", " 🙏", " ya", " itu", ".", " bu 🙏🙏"]))
    return f"{before} {sep.join(parts)}{after}".strip()


NIK_LABELS = ["", "NIK", "NIK saya:", "nik saya", "nmr", "a.n.", "itu nik saya", "No. NIK", "🙏"]
KK_LABELS = ["", "KK", "no kk", "nomor KK saya:", "nmr kk", "kartu keluarga", "No."]
PHONE_LABELS = ["", "no hp", "WA", "nomor saya", "hp/wa:", "Telp", "ini nomor wa saya"]


@SETTINGS
@given(st.data())
def test_normalisation_never_changes_a_nik_digit(data: st.DataObject) -> None:
    nik = data.draw(niks())
    text = data.draw(typed(nik, NIK_LABELS))
    assert "".join(w for w in hear(text).words if w.isdecimal()) == nik
    result = parse_nik(text, TODAY)
    assert result.value in (None, nik), text
    if result.value is None:  # only a number that is not a NIK at all (no real birth date)
        assert result.error is not None and "digits" not in result.error


@SETTINGS
@given(st.data())
def test_normalisation_never_changes_a_kk_digit(data: st.DataObject) -> None:
    kk = data.draw(niks())
    text = data.draw(typed(kk, KK_LABELS))
    assert parse_kk(text).value == kk, text


@SETTINGS
@given(st.data())
def test_normalisation_never_changes_a_phone_digit(data: st.DataObject) -> None:
    rest = "8" + data.draw(st.text("0123456789", min_size=8, max_size=11))
    prefix = data.draw(st.sampled_from(["0", "62", "+62"]))
    text = data.draw(typed(prefix + rest, PHONE_LABELS))
    assert parse_phone(text).value == "+62" + rest, text


@SETTINGS
@given(st.text(max_size=60))
def test_a_number_read_from_any_text_is_the_digits_typed(text: str) -> None:
    """Whatever is typed, a NIK read from it is exactly its ASCII digits, never others."""
    value = parse_nik(text, TODAY).value
    if value is not None:
        assert value == "".join(c for c in text if "0" <= c <= "9")


# --- two options ------------------------------------------------------------------------------


def _forms(choice: Choice) -> list[str]:
    """The ways an option is named (a word that says nothing alone, like "sekarang", is none)."""
    return [f for f in (*choice.labels, *choice.match) if hear(f).content]


@SETTINGS
@given(st.data())
def test_an_answer_mentioning_two_options_is_never_taken_as_one(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(QUESTIONS)), label="question")
    choices = QUESTIONS[name]
    a, b = data.draw(st.lists(st.sampled_from(choices), min_size=2, max_size=2, unique=True))
    form_a = data.draw(st.sampled_from(_forms(a)), label="a")
    form_b = data.draw(st.sampled_from(_forms(b)), label="b")
    # two things said apart ("A atau B"); "Tidak" + " " + "sakit" would be one: "not sick"
    joint = data.draw(st.sampled_from([" atau ", " dan ", ", ", " / ", " atau mungkin ", ". "]))
    around = data.draw(st.sampled_from([("", ""), ("pak ", ""), ("", " 🙏"), ("iye ", " ji")]))
    text = f"{around[0]}{form_a}{joint}{form_b}{around[1]}"
    # "tidak jadi" + "batal" is "tidak jadi batal", one option's own phrase: not two mentions
    assume(hear(text).key not in matcher(choices).exact)
    reading = read_choice(text, choices)
    assert reading.value not in (a.value, b.value), f"{name}: {text!r} read as {reading.value}"


# --- typos --------------------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_a_typo_of_one_options_word_never_names_another(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(QUESTIONS)), label="question")
    m = matcher(QUESTIONS[name])
    if not m.vocab:
        return
    word = data.draw(st.sampled_from(sorted(m.vocab)), label="word")
    i = data.draw(st.integers(1, len(word) - 1))
    edit = data.draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
    if edit == "delete":
        typo = word[:i] + word[i + 1 :]
    elif edit == "insert":
        typo = word[:i] + letter + word[i:]
    elif edit == "replace":
        typo = word[:i] + letter + word[i + 1 :]
    else:
        typo = word[: i - 1] + word[i : i + 1] + word[i - 1 : i] + word[i + 1 :]
    assert m.fuzzy(typo) in (None, m.vocab[word]), f"{name}: {typo!r} ({word!r})"
