"""Commands said naturally (bot/engine/understanding/commands.py), and command words inside
real answers that are not commands."""

from __future__ import annotations

import pytest

from bot.engine.understanding import command_of, language_named
from bot.engine.understanding import lexicon as L
from bot.engine.understanding.commands import PHRASES


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("kembali", "back"),
        ("kembali pak", "back"),
        ("balik", "back"),
        ("mundur", "back"),
        ("salah ketik", "back"),
        ("salah ketik tadi", "back"),
        ("batal", "cancel"),
        ("batal saja", "cancel"),
        ("gak jadi", "cancel"),
        ("stop", "cancel"),
        ("bantuan", "help"),
        ("bingung", "help"),
        ("tolong", "help"),
        ("?", "help"),
        ("menu", "menu"),
        ("ke menu", "menu"),
        ("/start", "menu"),
        ("english please", "language"),
        ("bahasa inggris", "language"),
        ("bahasa", "language"),
        ("status", "status"),
        ("cek pengajuan", "status"),
        ("sdh sampai mana pak", "status"),
        ("kirim dokumen", "document"),
        ("stop pengingat", "quiet"),
        ("berhenti", "quiet"),
        ("jangan ingatkan lagi", "quiet"),
    ],
)
def test_commands_said_naturally(text: str, command: str) -> None:
    assert command_of(text) == command


@pytest.mark.parametrize(
    "text",
    [
        "gak jadi sakit",
        "batal bayar bulan lalu",
        "tolong kirim formulir",
        "kembali sehat",
        "mulai",
        "berhenti kerja",
        "status pekerjaan buruh",
        "Siti Aminah",
        "menu makan",
    ],
)
def test_a_command_word_inside_an_answer_is_no_command(text: str) -> None:
    assert command_of(text) is None


def test_a_longer_phrase_is_a_command_of_its_own() -> None:
    """ "stop" cancels; "stop pengingat" (stop reminders) is a command of its own, and the
    longer phrase wins because a message is a command only when it is the whole phrase."""
    assert command_of("stop") == "cancel"
    assert command_of("stop pengingat") == "quiet"
    assert PHRASES[("stop", "pengingat")] == "quiet"


def test_no_phrase_belongs_to_two_commands() -> None:
    seen: dict[str, str] = {}
    for name, phrases in L.COMMANDS.items():
        for phrase in phrases:
            assert seen.setdefault(phrase, name) == name, phrase


@pytest.mark.parametrize(
    ("text", "lang"),
    [("english please", "en"), ("in english", "en"), ("bahasa indonesia", "id"), ("bahasa", None)],
)
def test_the_language_a_language_command_names(text: str, lang: str | None) -> None:
    assert language_named(text) == lang
