"""Reading which option an answer picks (bot/engine/understanding/options.py): numbers in every
form, labels in either language, an option's own words with the scope of a negation, a plain
yes/no/"don't know", typos of label words; never one option for an answer that means two."""

from __future__ import annotations

import pytest

from bot.engine.understanding import Choice, Reading, read_choice
from bot.engine.understanding.options import matcher

YES_NO = (
    Choice("ya", ("Ya",), means="yes"),
    Choice("tidak", ("Tidak",), means="no"),
)
JENIS = (
    Choice("baru", ("Pendaftaran baru", "New registration"), ("baru", "daftar")),
    Choice(
        "peralihan",
        ("Peralihan dari BPJS Mandiri", "Transfer from BPJS Mandiri"),
        ("pindah", "alih", "bpjs mandiri"),
    ),
)
DTKS = (
    Choice("sudah", ("Sudah terdaftar", "Already registered"), ("terdaftar",), means="yes"),
    Choice("belum", ("Belum terdaftar", "Not registered yet"), ("tidak terdaftar",), means="no"),
    Choice("tidak_tahu", ("Tidak tahu", "Don't know"), means="dont_know"),
)
TUNGGAKAN = (  # as in flows/makassar-kis-pbi.yaml: "Is there still unpaid BPJS Mandiri?"
    Choice(
        "ya",
        ("Ya, masih ada tunggakan",),
        ("nunggak", "tunggakan", "masih", "belum bayar", "belum lunas", "tidak bayar"),
        means="yes",
        careful=True,  # stops the application
    ),
    Choice(
        "tidak",
        ("Tidak ada, sudah lunas",),
        ("lunas", "sudah", "sudah bayar", "tidak ada tunggakan"),
        means="no",
    ),
)
OFFICES = (
    Choice("gowa", ("Dinas Sosial Kabupaten Gowa",), ("gowa", "sungguminasa")),
    Choice("makassar", ("Dinas Sosial Kota Makassar",), ("makassar",)),
)


def value(text: str, choices: tuple[Choice, ...], offered: tuple[str, ...] = ()) -> str | None:
    return read_choice(text, choices, offered).value


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2",
        "2.",
        "no 2",
        "no. 2",
        "No.2",
        "nomor 2",
        "nmr 2",
        "pilihan 2",
        "yang kedua",
        "yg ke2",
        "dua",
        "kedua",
        "2 pak",
        "#2",
        "2️⃣",
        "٢",
    ],
)
def test_an_option_by_its_number_in_every_form(text: str) -> None:
    assert value(text, DTKS) == "belum"


@pytest.mark.parametrize("text", ["0", "4", "10", "99", "²", "¹", "①", "1²", "1 atau 2"])
def test_no_option_for_a_number_out_of_range_or_not_one(text: str) -> None:
    assert value(text, DTKS) is None


def test_sdh_3_bln_is_not_option_three() -> None:
    assert value("sdh 3 bln", DTKS) != "tidak_tahu"


def test_the_numbers_of_a_clarifying_question_count() -> None:
    choices = (*JENIS, Choice("lain", ("Lainnya",)))
    assert value("2", choices, offered=("baru", "lain")) == "lain"
    assert value("1", choices, offered=("baru", "lain")) == "baru"


# --- labels, own words, yes/no ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pendaftaran baru", "baru"),
        ("pendaftaran BARU", "baru"),
        ("New registration", "baru"),
        ("Transfer from BPJS Mandiri", "peralihan"),
        ("mau daftar pak", "baru"),
        ("saya dari bpjs mandiri", "peralihan"),
        ("peralihan", "peralihan"),
        ("peralihn", "peralihan"),  # a typo of a label word
        ("pendaftran baru", "baru"),
    ],
)
def test_by_label_own_words_and_typos(text: str, expected: str) -> None:
    assert value(text, JENIS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("goa", "gowa"),
        ("gowaa", "gowa"),
        ("dinsos gowa", "gowa"),
        ("makasar", "makassar"),
        ("makkasar", "makassar"),
        ("mks", "makassar"),
        ("sungguminasa", "gowa"),
    ],
)
def test_offices_by_typo_and_abbreviation(text: str, expected: str) -> None:
    assert value(text, OFFICES) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iya", "sudah"),
        ("iye pak", "sudah"),
        ("ok", "sudah"),
        ("sudahmi", "sudah"),
        ("gak", "belum"),
        ("nggak bu", "belum"),
        ("belumpi", "belum"),
        ("ya belum", "belum"),
        ("tidak", "belum"),
    ],
)
def test_a_plain_yes_or_no_picks_the_option_that_means_it(text: str, expected: str) -> None:
    assert value(text, DTKS) == expected


def test_a_plain_yes_needs_an_option_that_means_yes() -> None:
    assert value("iya", JENIS) is None


@pytest.mark.parametrize(
    "text", ["tidak tahu", "ga tau", "nda tau ka", "kurang tahu pak", "lupa", "mungkin", "entah"]
)
def test_dont_know_first(text: str) -> None:
    assert value(text, DTKS) == "tidak_tahu"
    assert read_choice(text, TUNGGAKAN) == Reading(dont_know=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("udah bayar", "tidak"),
        ("sudah saya lunasi", "tidak"),
        ("tidak pernah nunggak", "tidak"),
        ("gak pernah menunggak pak", "tidak"),
        ("tidak ada tunggakan", "tidak"),
        ("sdh 3 bln ga bayar", "ya"),  # for three months already, unpaid
        ("masih nunggak", "ya"),
        ("belum lunas", "ya"),
        ("ya, sudah lunas", "tidak"),  # the "ya" acknowledges; the rest answers
    ],
)
def test_negation_and_its_scope(text: str, expected: str) -> None:
    assert value(text, TUNGGAKAN) == expected


# --- never one of two ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "choices", "readings"),
    [
        ("baru atau peralihan", JENIS, ("baru", "peralihan")),
        ("gak, masih nunggak", TUNGGAKAN, ("ya", "tidak")),
        ("sudah belum", DTKS, ("sudah", "belum")),
        ("gowa makassar", OFFICES, ("gowa", "makassar")),
    ],
)
def test_an_answer_that_could_mean_two_options_is_read_as_both(
    text: str, choices: tuple[Choice, ...], readings: tuple[str, ...]
) -> None:
    assert read_choice(text, choices) == Reading(readings=readings)


def test_a_careful_option_needs_more_than_a_typo() -> None:
    """ "nunggk" is a typo of "nunggak", but stopping an application needs a clear answer."""
    assert read_choice("nunggk", TUNGGAKAN).readings == ("ya", "tidak")
    assert value("nunggak", TUNGGAKAN) == "ya"


def test_a_typo_keeps_its_first_letter() -> None:
    jobs = (Choice("nelayan", ("Nelayan",)), Choice("petani", ("Petani",)))
    assert value("nelayn", jobs) == "nelayan"
    assert value("pelayan", jobs) is None  # a waiter, not a fisher


@pytest.mark.parametrize("text", ["kenapa harus setuju?", "maksudnya apa?", "apa itu dtks?"])
def test_a_question_back_is_no_answer(text: str) -> None:
    assert read_choice(text, DTKS) == Reading(asked=True)


@pytest.mark.parametrize("text", ["", "  ", "?", "hmm", "xyz", "🙏"])
def test_nothing_to_read(text: str) -> None:
    assert value(text, JENIS) is None


def test_a_word_several_options_share_asks_which() -> None:
    photos = (
        Choice("ktp", ("Foto KTP",)),
        Choice("kk", ("Foto Kartu Keluarga",)),
        Choice("nik", ("NIK",)),
    )
    assert read_choice("foto", photos).readings == ("ktp", "kk")


def test_the_matcher_is_built_once_per_question() -> None:
    assert matcher(JENIS) is matcher(JENIS)
