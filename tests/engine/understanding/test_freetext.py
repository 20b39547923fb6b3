"""Free-text answers checked for what they are (bot/engine/understanding/freetext.py)."""

from __future__ import annotations

import pytest

from bot.engine import texts as T
from bot.engine.understanding import Parsed, check_text, parse_name, says_dont_know


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Siti Aminah", "Siti Aminah"),
        ("nama saya Syamsuddin", "Syamsuddin"),
        ("Nama saya Hasnah Daeng Ngai", "Hasnah Daeng Ngai"),  # "Daeng" is part of the name
        ("namaku Nurhayati", "Nurhayati"),
        ("nama: Sitti Rahmah", "Sitti Rahmah"),
        ("saya Rosmini pak", "Rosmini"),
        ("Jumriah 🙏", "Jumriah"),
        ("Andi Tenri Ajeng", "Andi Tenri Ajeng"),
        ("I Made Wirawan", "I Made Wirawan"),
        ("my name is Syarifah Ali", "Syarifah Ali"),
        ("Ma'ruf Amiruddin", "Ma'ruf Amiruddin"),
        ("atas nama Sitti Nurbaya", "Sitti Nurbaya"),
    ],
)
def test_a_name_without_its_lead_in(typed: str, name: str) -> None:
    assert parse_name(typed) == Parsed(value=name)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("iya", T.NAME_NOT_A_NAME),
        ("ga tau", T.NAME_NOT_A_NAME),
        ("terserah", T.NAME_NOT_A_NAME),
        ("batal saja", T.NAME_NOT_A_NAME),
        ("english please", T.NAME_NOT_A_NAME),
        ("Syamsuddin 7371014506900001", T.NAME_DIGITS),
        ("x", T.TEXT_TOO_SHORT),
    ],
)
def test_what_is_not_a_name(typed: str, error: str) -> None:
    assert parse_name(typed).error == error


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("terserah", T.TEXT_VAGUE),
        ("puskesmas terdekat", T.TEXT_VAGUE),
        ("yang dekat saja", T.TEXT_VAGUE),
        ("puskesmas", T.TEXT_VAGUE),
        ("iya", T.TEXT_NOT_AN_ANSWER),
        ("nda tau pak", T.TEXT_NOT_AN_ANSWER),
    ],
)
def test_a_free_text_answer_names_something(typed: str, error: str) -> None:
    assert check_text(typed).error == error


@pytest.mark.parametrize(
    "typed", ["Puskesmas Kassi-Kassi", "pkm tamalate", "puskesmas dekat pasar terong"]
)
def test_a_named_place_is_kept_as_typed(typed: str) -> None:
    assert check_text(typed) == Parsed(value=typed)


def test_dont_know_as_a_whole_answer() -> None:
    assert says_dont_know("nda tau ka")
    assert not says_dont_know("tidak tahu nomornya tapi ini KK 7306011203100004")
