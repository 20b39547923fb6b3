"""Normalisation (bot/engine/understanding/heard.py): case, emoji, punctuation, stretched letters,
particles fused or not, honorifics, slang, idioms; digits untouched."""

from __future__ import annotations

import pytest

from bot.engine.understanding import hear, normalize


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("  IYA  ", ("ya",)),
        ("Setujuuu pak 🙏", ("setuju",)),
        ("iye sudahmi", ("ya", "sudah")),
        ("belumpi", ("belum",)),
        ("belum pi", ("belum",)),
        ("cukup mi", ("cukup",)),
        ("nda apa2 ji", ("oke",)),
        ("Ya, tidak apa-apa", ("ya", "oke")),
        ("gak papa kak", ("oke",)),
        ("udh bayar bu", ("sudah", "bayar")),
        ("blm lunas", ("belum", "lunas")),
        ("gk tw", ("tidak", "tahu")),
        ("nda tau ka", ("tidak", "tahu")),
        ("I don't know", ("tidak", "tahu")),
        ("I don’t have it", ("tidak", "ada")),
        ("sy mau yg baru aja", ("mau", "yang", "baru")),
        ("sdh 3 bln ga bayar", ("selama", "3", "bulan", "tidak", "bayar")),
        ("no 2", ("nomor", "2")),
        ("no hp 0812", ("nomor", "hp", "0812")),
        ("no", ("no",)),
        ("dinsos gowa", ("dinas", "sosial", "gowa")),
        ("ganti foto kk", ("ganti", "foto", "kartu", "keluarga")),
        ("Iyaa bu", ("ya",)),
        ("1️⃣", ("1",)),
        ("Tidak—ada", ("tidak", "ada")),
        ("tidak_tahu", ("tidak", "tahu")),
    ],
)
def test_what_the_answer_says(text: str, words: tuple[str, ...]) -> None:
    assert hear(text).content == words


def test_honorifics_and_particles_are_set_apart_not_lost() -> None:
    heard = hear("kembali pak")
    assert heard.words == ("kembali", "pak") and heard.content == ("kembali",)


def test_clauses_are_kept_apart() -> None:
    heard = hear("tidak, sudah lunas")
    assert heard.clauses[0] != heard.clauses[-1]


@pytest.mark.parametrize(
    "text", ["0812-3456-7890", "NIK 7371 0145 0690 0001", "WA +62 812 3456 7890 🙏", "٧٣٧١"]
)
def test_digits_are_never_changed(text: str) -> None:
    digits = "".join(c for c in text if c.isdecimal())
    assert "".join(w for w in hear(text).words if w.isdecimal()) == digits


def test_normalize_is_idempotent_on_everyday_answers() -> None:
    for text in ["Iyaaa Pak!!", "Tidak—ada", "  Sdh   terdaftar. ", "gak tauuuu", "no 2"]:
        once = normalize(text)
        assert normalize(once) == once, text


def test_the_same_text_is_heard_once() -> None:
    assert hear("iya pak") is hear("iya pak")
