"""Identity and phone numbers as typed (bot/engine/understanding/identity.py): NIK, KK number,
mobile number, with separators, labels and trailing words; and masking.

Every identity number here is synthetic: a real region code (so the format is valid) with a
made-up birth date and serial. None of them belongs to a real person."""

from __future__ import annotations

from datetime import date

import pytest

from bot.engine import texts as T
from bot.engine.understanding import (
    Parsed,
    mask,
    nik_birth_date,
    parse_kk,
    parse_nik,
    parse_phone,
)

TODAY = date(2026, 3, 1)

MAKASSAR = "737101"  # Sulawesi Selatan, Kota Makassar, Kecamatan Mariso
GOWA = "730601"  # Sulawesi Selatan, Kabupaten Gowa, Kecamatan Bontonompo


def make_nik(
    region: str = MAKASSAR, day: int = 15, month: int = 6, yy: int = 90, serial: str = "0001"
) -> str:
    """A synthetic NIK: region (6) + ddmmyy (women: day + 40) + serial (4)."""
    return f"{region}{day:02d}{month:02d}{yy:02d}{serial}"


MAN = make_nik(MAKASSAR, 15, 6, 90, "0001")  # man born 15 June 1990
WOMAN = make_nik(GOWA, 45, 5, 85, "0002")  # woman born 5 May 1985 (day 5 + 40)


# --- parse_nik: valid -------------------------------------------------------------------------


def test_synthetic_niks_have_16_digits() -> None:
    assert MAN == "7371011506900001"
    assert WOMAN == "7306014505850002"


@pytest.mark.parametrize("nik", [MAN, WOMAN])
def test_parse_nik_accepts_valid(nik: str) -> None:
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
def test_parse_nik_normalises_separators_to_16_digits(typed: str) -> None:
    result = parse_nik(typed, TODAY)
    assert result.error is None
    assert result.value == MAN
    assert len(result.value) == 16 and result.value.isdigit()


@pytest.mark.parametrize(
    "typed",
    [
        "NIK 7371011506900001",
        "NIK saya: 7371 0115 0690 0001",
        "nmr 7371011506900001",
        "a.n. 7371011506900001",
        "itu nik saya 7371011506900001",
        "7371011506900001 itu nik saya pak 🙏",
        "nik suami 7371011506900001",
    ],
)
def test_parse_nik_accepts_a_label_before_the_number(typed: str) -> None:
    assert parse_nik(typed, TODAY) == Parsed(value=MAN)


def test_parse_nik_accepts_29_february_in_a_leap_year_for_men_and_women() -> None:
    assert parse_nik(make_nik(day=29, month=2, yy=92), TODAY).value is not None
    assert parse_nik(make_nik(day=69, month=2, yy=92), TODAY).value is not None


def test_parse_nik_accepts_a_baby_born_today() -> None:
    nik = make_nik(day=1, month=3, yy=26)
    assert parse_nik(nik, TODAY).value == nik


# --- parse_nik: errors ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [15, 17])
def test_parse_nik_wrong_length_reports_the_count(count: int) -> None:
    typed = (MAN + "1234")[:count]
    result = parse_nik(typed, TODAY)
    assert result.value is None
    assert result.error == T.NIK_LENGTH
    assert result.args == (("count", str(count)),)
    assert dict(result.args)["count"] == str(count)


def test_parse_nik_wrong_length_counts_digits_not_separators() -> None:
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
def test_parse_nik_rejects_letters(typed: str) -> None:
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
def test_parse_nik_rejects_unknown_region(region: str) -> None:
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
def test_parse_nik_rejects_impossible_birth_dates(day: int, month: int, yy: int) -> None:
    nik = make_nik(day=day, month=month, yy=yy)
    assert parse_nik(nik, TODAY) == Parsed(error=T.NIK_DATE)


def test_parse_nik_rejects_serial_0000() -> None:
    assert parse_nik(make_nik(serial="0000"), TODAY) == Parsed(error=T.NIK_SERIAL)


def test_parse_nik_error_order_region_before_date() -> None:
    # Both the region and the date are wrong; the first wrong part is reported.
    nik = make_nik(region="997101", day=32)
    assert parse_nik(nik, TODAY).error == T.NIK_REGION


def test_parse_nik_does_not_raise_on_non_decimal_unicode_digits() -> None:
    """ "²" is a digit for str.isdigit() but not for int(): the parser must reject it, not crash."""
    result = parse_nik("²" * 16, TODAY)
    assert result.value is None
    assert result.error == T.NIK_NOT_DIGITS


def test_parse_nik_value_is_always_ascii_digits() -> None:
    """Arabic-Indic digits pass str.isdigit(); a NIK handed to the office must be ASCII."""
    arabic = MAN.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    result = parse_nik(arabic, TODAY)
    assert result.value is None or result.value == MAN


# --- nik_birth_date ---------------------------------------------------------------------------


def test_nik_birth_date_man() -> None:
    assert nik_birth_date(MAN, TODAY) == date(1990, 6, 15)


def test_nik_birth_date_woman_subtracts_40() -> None:
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
def test_nik_birth_date_two_digit_year_pivots_on_today(yy: int, year: int) -> None:
    assert nik_birth_date(make_nik(day=10, month=1, yy=yy), TODAY) == date(year, 1, 10)


def test_nik_birth_date_pivot_moves_with_today() -> None:
    nik = make_nik(day=10, month=1, yy=30)
    assert nik_birth_date(nik, date(2026, 3, 1)) == date(1930, 1, 10)
    assert nik_birth_date(nik, date(2031, 3, 1)) == date(2030, 1, 10)


@pytest.mark.parametrize(
    "nik", [make_nik(day=32), make_nik(day=72), make_nik(month=13), make_nik(day=30, month=2)]
)
def test_nik_birth_date_none_for_impossible_dates(nik: str) -> None:
    assert nik_birth_date(nik, TODAY) is None


# --- parse_kk ---------------------------------------------------------------------------------

KK = "7306011203100004"  # synthetic: Gowa region, issued 12-03-2010, serial 0004


@pytest.mark.parametrize(
    "typed", [KK, "7306 0112 0310 0004", "7306.0112.0310.0004", "7306-0112-0310-0004"]
)
def test_parse_kk_valid(typed: str) -> None:
    assert parse_kk(typed) == Parsed(value=KK)


@pytest.mark.parametrize("count", [15, 17])
def test_parse_kk_wrong_length(count: int) -> None:
    result = parse_kk((KK + "9999")[:count])
    assert result.value is None
    assert result.error == T.KK_LENGTH
    assert result.args == (("count", str(count)),)


@pytest.mark.parametrize("typed", ["73060112031OOOO4", "7306011203100004x", "belum punya KK", ""])
def test_parse_kk_letters(typed: str) -> None:
    assert parse_kk(typed) == Parsed(error=T.KK_NOT_DIGITS)


@pytest.mark.parametrize(
    "typed", ["9906011203100004", "0006011203100004", "7300011203100004", "7306001203100004"]
)
def test_parse_kk_bad_region(typed: str) -> None:
    assert parse_kk(typed) == Parsed(error=T.KK_FORMAT)


def test_parse_kk_serial_0000() -> None:
    assert parse_kk("7306011203100000") == Parsed(error=T.KK_FORMAT)


def test_parse_kk_does_not_raise_on_non_decimal_unicode_digits() -> None:
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
def test_parse_phone_normalises(typed: str, expected: str) -> None:
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
def test_parse_phone_rejects_landlines(typed: str) -> None:
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
def test_parse_phone_rejects_wrong_length(typed: str) -> None:
    assert parse_phone(typed) == Parsed(error=T.PHONE_LENGTH)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("nomor saya 08123456789", "+628123456789"),
        ("no hp 0813 4567 8901", "+6281345678901"),
        ("WA 0822-1234-5678 🙏", "+6282212345678"),
        ("0852 9988 7766 (WA)", "+6285299887766"),
        ("hp saya 0852 9988 7766 pak", "+6285299887766"),
    ],
)
def test_parse_phone_accepts_a_label_and_trailing_words(typed: str, expected: str) -> None:
    assert parse_phone(typed) == Parsed(value=expected)


@pytest.mark.parametrize(
    "typed",
    ["0812 abcd 7890", "pakai nomor anak 08123456789", "08l23456789", "", "+", "0812 / 0813"],
)
def test_parse_phone_rejects_letters(typed: str) -> None:
    assert parse_phone(typed) == Parsed(error=T.PHONE_NOT_DIGITS)


def test_parse_phone_value_is_always_ascii() -> None:
    """Superscript digits pass str.isdigit(); the office must never get "+628¹²³..." back."""
    result = parse_phone("08¹²³⁴⁵⁶⁷⁸⁹")
    assert result.value is None or result.value.isascii()


def test_mask_keeps_last_four() -> None:
    assert mask(MAN) == "************0001"
    assert len(mask(MAN)) == len(MAN)


def test_mask_other_keep() -> None:
    assert mask("+6281234567890", keep=2) == "************90"
    assert mask("abcdef", keep=6) == "abcdef"


def test_mask_short_values() -> None:
    assert mask("abc") == "abc"
    assert mask("") == ""


def test_mask_keep_zero_hides_everything() -> None:
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
