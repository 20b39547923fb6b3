"""Unit tests for bot.engine.answers: NIK, KK, phone, yes/no, choices, normalize and mask.

Every identity number here is synthetic: a real region code (so the format is valid) with a
made-up birth date and serial. None of them belongs to a real person."""

from __future__ import annotations

from datetime import date

import pytest

from bot.engine import texts as T
from bot.engine.answers import (
    Choice,
    Parsed,
    mask,
    nik_birth_date,
    normalize,
    parse_choice,
    parse_kk,
    parse_nik,
    parse_phone,
    parse_yes_no,
)

TODAY = date(2026, 3, 1)

MAKASSAR = "737101"  # Sulawesi Selatan, Kota Makassar, Kecamatan Mariso
GOWA = "730601"  # Sulawesi Selatan, Kabupaten Gowa, Kecamatan Bontonompo


def make_nik(
    region: str = MAKASSAR, day: int = 15, month: int = 6, yy: int = 90, serial: str = "0001"
):
    """A synthetic NIK: region (6) + ddmmyy (women: day + 40) + serial (4)."""
    return f"{region}{day:02d}{month:02d}{yy:02d}{serial}"


MAN = make_nik(MAKASSAR, 15, 6, 90, "0001")  # man born 15 June 1990
WOMAN = make_nik(GOWA, 45, 5, 85, "0002")  # woman born 5 May 1985 (day 5 + 40)


# --- parse_nik: valid -------------------------------------------------------------------------


def test_synthetic_niks_have_16_digits():
    assert MAN == "7371011506900001"
    assert WOMAN == "7306014505850002"


@pytest.mark.parametrize("nik", [MAN, WOMAN])
def test_parse_nik_accepts_valid(nik):
    assert parse_nik(nik, TODAY) == Parsed(value=nik)


@pytest.mark.parametrize(
    "typed",
    [
        "7371 0115 0690 0001",
        "7371.0115.0690.0001",
        "7371-0115-0690-0001",
        "  7371011506900001  ",
        "737101 150690 0001",
        "7371 01-15.06 900001",
    ],
)
def test_parse_nik_normalises_separators_to_16_digits(typed):
    result = parse_nik(typed, TODAY)
    assert result.error is None
    assert result.value == MAN
    assert len(result.value) == 16 and result.value.isdigit()


@pytest.mark.parametrize("typed", ["NIK 7371011506900001", "NIK saya: 7371 0115 0690 0001"])
def test_parse_nik_accepts_a_label_before_the_number(typed):
    assert parse_nik(typed, TODAY) == Parsed(value=MAN)


def test_parse_nik_accepts_29_february_in_a_leap_year_for_men_and_women():
    assert parse_nik(make_nik(day=29, month=2, yy=92), TODAY).value is not None
    assert parse_nik(make_nik(day=69, month=2, yy=92), TODAY).value is not None


def test_parse_nik_accepts_a_baby_born_today():
    nik = make_nik(day=1, month=3, yy=26)
    assert parse_nik(nik, TODAY).value == nik


# --- parse_nik: errors ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [15, 17])
def test_parse_nik_wrong_length_reports_the_count(count):
    typed = (MAN + "1234")[:count]
    result = parse_nik(typed, TODAY)
    assert result.value is None
    assert result.error == T.NIK_LENGTH
    assert result.args == (("count", str(count)),)
    assert dict(result.args)["count"] == str(count)


def test_parse_nik_wrong_length_counts_digits_not_separators():
    result = parse_nik("7371 0115 0690 001", TODAY)
    assert result.error == T.NIK_LENGTH
    assert dict(result.args) == {"count": "15"}


@pytest.mark.parametrize(
    "typed",
    [
        "73710115069O0001",  # a letter O among the digits
        "7371011506900001a",
        "abcdefghijklmnop",
        "NIK saya belum ada",
        "7371011506900001 atau 7306014505850002",  # two numbers and a word
        "",
        "  ",
    ],
)
def test_parse_nik_rejects_letters(typed):
    result = parse_nik(typed, TODAY)
    assert result == Parsed(error=T.NIK_NOT_DIGITS)


@pytest.mark.parametrize(
    "region",
    [
        "997101",  # province 99 does not exist
        "007101",  # province 00 does not exist
        "207101",  # province 20 does not exist
        "730001",  # regency 00
        "737100",  # district 00
    ],
)
def test_parse_nik_rejects_unknown_region(region):
    result = parse_nik(make_nik(region=region), TODAY)
    assert result == Parsed(error=T.NIK_REGION)


@pytest.mark.parametrize(
    ("day", "month", "yy"),
    [
        (32, 6, 90),  # day 32
        (72, 6, 90),  # a woman's day 32
        (0, 6, 90),  # day 0
        (40, 6, 90),  # day 40: not a man's day, and a woman's day 0
        (15, 13, 90),  # month 13
        (15, 0, 90),  # month 0
        (30, 2, 90),  # 30 February
        (70, 2, 90),  # a woman's 30 February
        (29, 2, 90),  # 29 February 1990, not a leap year
        (29, 2, 1),  # 29 February 2001, not a leap year
        (31, 4, 90),  # 31 April
    ],
)
def test_parse_nik_rejects_impossible_birth_dates(day, month, yy):
    nik = make_nik(day=day, month=month, yy=yy)
    assert parse_nik(nik, TODAY) == Parsed(error=T.NIK_DATE)


def test_parse_nik_rejects_serial_0000():
    assert parse_nik(make_nik(serial="0000"), TODAY) == Parsed(error=T.NIK_SERIAL)


def test_parse_nik_error_order_region_before_date():
    # Both the region and the date are wrong; the first wrong part is reported.
    nik = make_nik(region="997101", day=32)
    assert parse_nik(nik, TODAY).error == T.NIK_REGION


def test_parse_nik_does_not_raise_on_non_decimal_unicode_digits():
    """ "²" is a digit for str.isdigit() but not for int(): the parser must reject it, not crash."""
    result = parse_nik("²" * 16, TODAY)
    assert result.value is None
    assert result.error == T.NIK_NOT_DIGITS


def test_parse_nik_value_is_always_ascii_digits():
    """Arabic-Indic digits pass str.isdigit(); a NIK handed to the office must be ASCII."""
    arabic = MAN.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    result = parse_nik(arabic, TODAY)
    assert result.value is None or result.value == MAN


# --- nik_birth_date ---------------------------------------------------------------------------


def test_nik_birth_date_man():
    assert nik_birth_date(MAN, TODAY) == date(1990, 6, 15)


def test_nik_birth_date_woman_subtracts_40():
    assert nik_birth_date(WOMAN, TODAY) == date(1985, 5, 5)
    assert nik_birth_date(make_nik(day=71, month=12, yy=99), TODAY) == date(1999, 12, 31)


@pytest.mark.parametrize(
    ("yy", "year"),
    [
        (0, 2000),
        (5, 2005),
        (25, 2025),
        (26, 2026),  # January 2026 is before TODAY
        (27, 1927),
        (50, 1950),
        (90, 1990),
        (99, 1999),
    ],
)
def test_nik_birth_date_two_digit_year_pivots_on_today(yy, year):
    assert nik_birth_date(make_nik(day=10, month=1, yy=yy), TODAY) == date(year, 1, 10)


def test_nik_birth_date_pivot_moves_with_today():
    nik = make_nik(day=10, month=1, yy=30)
    assert nik_birth_date(nik, date(2026, 3, 1)) == date(1930, 1, 10)
    assert nik_birth_date(nik, date(2031, 3, 1)) == date(2030, 1, 10)


@pytest.mark.parametrize(
    "nik", [make_nik(day=32), make_nik(day=72), make_nik(month=13), make_nik(day=30, month=2)]
)
def test_nik_birth_date_none_for_impossible_dates(nik):
    assert nik_birth_date(nik, TODAY) is None


# --- parse_kk ---------------------------------------------------------------------------------

KK = "7306011203100004"  # synthetic: Gowa region, issued 12-03-2010, serial 0004


@pytest.mark.parametrize(
    "typed", [KK, "7306 0112 0310 0004", "7306.0112.0310.0004", "7306-0112-0310-0004"]
)
def test_parse_kk_valid(typed):
    assert parse_kk(typed) == Parsed(value=KK)


@pytest.mark.parametrize("count", [15, 17])
def test_parse_kk_wrong_length(count):
    result = parse_kk((KK + "9999")[:count])
    assert result.value is None
    assert result.error == T.KK_LENGTH
    assert result.args == (("count", str(count)),)


@pytest.mark.parametrize("typed", ["73060112031OOOO4", "7306011203100004x", "belum punya KK", ""])
def test_parse_kk_letters(typed):
    assert parse_kk(typed) == Parsed(error=T.KK_NOT_DIGITS)


@pytest.mark.parametrize(
    "typed", ["9906011203100004", "0006011203100004", "7300011203100004", "7306001203100004"]
)
def test_parse_kk_bad_region(typed):
    assert parse_kk(typed) == Parsed(error=T.KK_FORMAT)


def test_parse_kk_serial_0000():
    assert parse_kk("7306011203100000") == Parsed(error=T.KK_FORMAT)


def test_parse_kk_does_not_raise_on_non_decimal_unicode_digits():
    result = parse_kk("²" * 16)
    assert result.value is None
    assert result.error == T.KK_NOT_DIGITS


# --- parse_phone ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("08123456789", "+628123456789"),
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("0812.3456.7890", "+6281234567890"),
        ("(0812) 3456 7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("+62-812-3456-7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("81234567890", "+6281234567890"),
        ("812 3456 7890", "+6281234567890"),
        ("0812345678", "+62812345678"),  # 9 digits after the 0: shortest accepted
        ("0812345678901", "+62812345678901"),  # 12 digits after the 0: longest accepted
    ],
)
def test_parse_phone_normalises(typed, expected):
    assert parse_phone(typed) == Parsed(value=expected)


@pytest.mark.parametrize(
    "typed",
    [
        "0411 448313",  # Makassar landline
        "(0411) 448313",
        "021 1234 5678",  # Jakarta landline
        "+62 411 448313",
        "62 21 1234 5678",
        "112",
        "0",
    ],
)
def test_parse_phone_rejects_landlines(typed):
    assert parse_phone(typed) == Parsed(error=T.PHONE_PREFIX)


@pytest.mark.parametrize(
    "typed",
    [
        "0812 345",  # too short
        "081234567",  # 8 digits after the 0
        "+62 812",
        "0812 3456 7890 123",  # too long
        "08123456789012",  # 13 digits after the 0
        "+62 812 3456 7890 12",
    ],
)
def test_parse_phone_rejects_wrong_length(typed):
    assert parse_phone(typed) == Parsed(error=T.PHONE_LENGTH)


@pytest.mark.parametrize(
    "typed", ["0812 abcd 7890", "nomor saya 08123456789", "08l23456789", "", "+"]
)
def test_parse_phone_rejects_letters(typed):
    assert parse_phone(typed) == Parsed(error=T.PHONE_NOT_DIGITS)


def test_parse_phone_value_is_always_ascii():
    """Superscript digits pass str.isdigit(); the office must never get "+628¹²³..." back."""
    result = parse_phone("08¹²³⁴⁵⁶⁷⁸⁹")
    assert result.value is None or result.value.isascii()


# --- parse_yes_no -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iya", True),
        ("ya pak", True),
        ("iyaa bu", True),
        ("iyaaaaa", True),
        ("sudah", True),
        ("sdh", True),
        ("sdh terdaftar", True),
        ("ok", True),
        ("betul", True),
        ("Ya!", True),
        ("YA", True),
        ("yes", True),
        ("1", True),
        (" 1 ", True),
        ("tidak", False),
        ("gak", False),
        ("ga", False),
        ("nggak", False),
        ("blm", False),
        ("belum", False),
        ("tidak ada", False),
        ("gak ada pak", False),
        ("belum terdaftar", False),
        ("no", False),
        ("not yet", False),
        ("Tidak.", False),
        ("2", False),
        ("", None),
        ("   ", None),
        ("hmm", None),
        ("mungkin", None),
        ("apa itu?", None),
        ("pak", None),
        ("3", None),
        ("?!", None),
    ],
)
def test_parse_yes_no(text, expected):
    assert parse_yes_no(text) is expected


def test_parse_yes_no_negation_wins_over_yes_words():
    assert parse_yes_no("ya belum") is False
    assert parse_yes_no("sudah tidak ada") is False


def test_parse_yes_no_understands_dont():
    """ "don't" is listed in _NO_PHRASES, but normalize() has already turned the apostrophe into
    a space, so the phrase never matches: "I don't have it" reads as yes because of "have"."""
    assert parse_yes_no("dont have") is False  # control: the apostrophe-less spelling works
    assert parse_yes_no("I don't have it") is False  # currently True: a "no" read as yes
    assert parse_yes_no("don't") is False
    assert parse_yes_no("I don’t have it") is False


# --- parse_choice -----------------------------------------------------------------------------

JENIS = (
    Choice("baru", ("Pendaftaran baru", "New registration"), ("baru", "daftar")),
    Choice(
        "peralihan",
        ("Peralihan dari BPJS Mandiri", "Transfer from BPJS Mandiri"),
        ("pindah", "alih", "bpjs mandiri"),
    ),
)
DTKS = (
    Choice("sudah", ("Sudah terdaftar", "Already registered"), ("sudah", "sdh"), means=True),
    Choice(
        "belum", ("Belum terdaftar", "Not registered yet"), ("belum", "blm", "tidak"), means=False
    ),
    Choice("tidak_tahu", ("Tidak tahu", "Don't know"), ("tidak tahu", "gak tau", "entah")),
)


@pytest.mark.parametrize(
    ("text", "expected"), [("1", "sudah"), ("2", "belum"), ("3", "tidak_tahu")]
)
def test_parse_choice_by_number(text, expected):
    assert parse_choice(text, DTKS) == expected


@pytest.mark.parametrize("text", ["0", "4", "10", "99"])
def test_parse_choice_out_of_range_number(text):
    assert parse_choice(text, DTKS) is None


@pytest.mark.parametrize("text", ["²", "¹", "①", "1²"])
def test_parse_choice_non_decimal_digits_do_not_crash(text):
    """ "¹" passes str.isdigit() but int() refuses it: this used to raise inside step()."""
    assert parse_choice(text, DTKS) is None


def test_parse_choice_digits_of_other_scripts():
    assert parse_choice("٢", DTKS) == "belum"  # Arabic-Indic 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pendaftaran baru", "baru"),
        ("pendaftaran BARU", "baru"),
        ("New registration", "baru"),
        ("new registration.", "baru"),
        ("Peralihan dari BPJS Mandiri", "peralihan"),
        ("Transfer from BPJS Mandiri", "peralihan"),
    ],
)
def test_parse_choice_by_label_in_either_language(text, expected):
    assert parse_choice(text, JENIS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daftar", "baru"),
        ("mau daftar pak", "baru"),
        ("pindah", "peralihan"),
        ("saya dari bpjs mandiri", "peralihan"),
        ("peralihan", "peralihan"),  # the value itself counts as a synonym
    ],
)
def test_parse_choice_by_synonym(text, expected):
    assert parse_choice(text, JENIS) == expected


def test_parse_choice_by_value_with_underscore_read_as_space():
    assert parse_choice("tidak tahu", DTKS) == "tidak_tahu"
    assert parse_choice("Tidak Tahu!", DTKS) == "tidak_tahu"


@pytest.mark.parametrize("text", ["tidak tahu", "Tidak tahu, pak", "saya tidak tahu", "gak tau"])
def test_parse_choice_longest_synonym_wins(text):
    # "tidak" (a synonym of belum) is inside "tidak tahu"; the longer synonym decides.
    assert parse_choice(text, DTKS) == "tidak_tahu"


def test_parse_choice_shorter_synonym_alone_still_works():
    assert parse_choice("tidak", DTKS) == "belum"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iya", "sudah"),
        ("ya pak", "sudah"),
        ("ok", "sudah"),
        ("gak", "belum"),
        ("nggak bu", "belum"),
    ],
)
def test_parse_choice_yes_no_fallback_via_means(text, expected):
    assert parse_choice(text, DTKS) == expected


def test_parse_choice_yes_no_fallback_needs_means():
    assert parse_choice("iya", JENIS) is None


def test_parse_choice_ambiguous_synonyms_of_equal_length():
    choices = (
        Choice("nelayan", ("Nelayan",), ("laut",)),
        Choice("petani", ("Petani",), ("tani",)),
    )
    assert parse_choice("laut", choices) == "nelayan"
    assert parse_choice("tani laut", choices) is None


def test_parse_choice_ambiguous_yes_no():
    choices = (
        Choice("a", ("Pilihan A",), means=True),
        Choice("b", ("Pilihan B",), means=True),
    )
    assert parse_choice("ya", choices) is None


TUNGGAKAN = (  # as in flows/makassar-kis-pbi.yaml: "Is there still unpaid BPJS Mandiri?"
    Choice("ya", ("Ya, masih ada tunggakan",), ("nunggak", "menunggak", "masih"), means=True),
    Choice("tidak", ("Tidak ada, sudah lunas",), ("lunas",), means=False),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("masih nunggak", "ya"),
        ("belum lunas", "ya"),  # "not yet paid off"
        ("sudah lunas", "tidak"),
        ("tidak nunggak", "tidak"),
        ("gak menunggak pak", "tidak"),
    ],
)
def test_parse_choice_negation_right_before_a_synonym(text, expected):
    assert parse_choice(text, TUNGGAKAN) == expected


@pytest.mark.parametrize(
    "text",
    [
        "tidak pernah nunggak",  # "never in arrears"
        "saya tidak pernah menunggak",
        "gak pernah nunggak pak",
        "tidak ada yang nunggak",
    ],
)
def test_parse_choice_negation_a_few_words_before_a_synonym(text):
    """The negation check looks only at the word right before the synonym, so "tidak pernah
    nunggak" (never in arrears) reads as "ya, masih ada tunggakan"."""
    assert parse_choice(text, TUNGGAKAN) in (None, "tidak")


def test_parse_choice_partial_label():
    assert parse_choice("registration", JENIS) == "baru"
    assert parse_choice("regis", JENIS) == "baru"


@pytest.mark.parametrize("text", ["", "  ", "?", "hmm", "xyz"])
def test_parse_choice_unclear(text):
    assert parse_choice(text, JENIS) is None


# --- normalize and mask -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  IYA  ", "iya"),
        ("Ya!!!", "ya"),
        ("iyaaaaa", "iyaa"),
        ("Tidak,   ada", "tidak ada"),
        ("Halo\n\tBu", "halo bu"),
        ("Tidak—ada", "tidak ada"),
        ("tidak_tahu", "tidak_tahu"),
        ("0812-3456", "0812 3456"),
        ("", ""),
        ("?!.", ""),
        ("MASSS", "mass"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_normalize_treats_both_apostrophes_alike():
    assert normalize("don’t") == normalize("don't") == "don t"


def test_normalize_is_idempotent():
    for text in ["Iyaaa Pak!!", "Tidak—ada", "  Sdh   terdaftar. ", "gak tauuuu"]:
        once = normalize(text)
        assert normalize(once) == once


def test_mask_keeps_last_four():
    assert mask(MAN) == "************0001"
    assert len(mask(MAN)) == len(MAN)


def test_mask_other_keep():
    assert mask("+6281234567890", keep=2) == "************90"
    assert mask("abcdef", keep=6) == "abcdef"


def test_mask_short_values():
    assert mask("abc") == "abc"
    assert mask("") == ""


def test_mask_keep_zero_hides_everything():
    assert mask("7371011506900001", keep=0) == "*" * 16


@pytest.mark.parametrize(
    ("ddmmyy", "born"),
    [
        ("151226", date(1926, 12, 15)),  # after TODAY in the 2000s, so a 99-year-old
        ("020326", date(1926, 3, 2)),  # tomorrow in 2026 is impossible: 1926
        ("010326", date(2026, 3, 1)),  # born today
    ],
)
def test_nik_birth_date_takes_the_latest_date_not_after_today(ddmmyy: str, born: date) -> None:
    nik = f"737101{ddmmyy}0001"
    assert nik_birth_date(nik, TODAY) == born
    assert parse_nik(nik, TODAY).value == nik
