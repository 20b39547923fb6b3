"""Understanding what a citizen typed, the way a counter clerk does: one layer for every
question and command. Pure functions of the text and the question; nothing here does I/O."""

from bot.engine.understanding.commands import command_of, language_named
from bot.engine.understanding.freetext import check_text, parse_name, says_dont_know
from bot.engine.understanding.heard import Heard, hear, normalize
from bot.engine.understanding.identity import (
    Parsed,
    ascii_digits,
    mask,
    nik_birth_date,
    parse_kk,
    parse_nik,
    parse_phone,
)
from bot.engine.understanding.meaning import is_question, option_number
from bot.engine.understanding.options import Choice, Reading, read_choice

__all__ = [
    "Choice",
    "Heard",
    "Parsed",
    "Reading",
    "ascii_digits",
    "check_text",
    "command_of",
    "hear",
    "is_question",
    "language_named",
    "mask",
    "nik_birth_date",
    "normalize",
    "option_number",
    "parse_kk",
    "parse_name",
    "parse_nik",
    "parse_phone",
    "read_choice",
    "says_dont_know",
]
