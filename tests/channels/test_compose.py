"""Folding a turn's replies into few messages, and cutting long ones."""

from __future__ import annotations

from bot.channels.compose import combine, split
from bot.engine.model import AskChoice, Option, RequestPhoto, SendText


def test_a_text_joins_the_question_after_it() -> None:
    ask = AskChoice("Setuju?", (Option("ya", "Ya"),))
    assert combine([SendText("Halo"), ask], 100) == [AskChoice("Halo\n\nSetuju?", ask.options)]


def test_texts_that_do_not_fit_stay_apart() -> None:
    out = combine([SendText("a" * 60), RequestPhoto("b" * 60)], 100)
    assert [type(m).__name__ for m in out] == ["SendText", "RequestPhoto"]


def test_split_cuts_at_line_breaks_within_the_limit() -> None:
    parts = split("aaaa\nbbbb\ncccc", 10)
    assert parts == ["aaaa\nbbbb", "cccc"]
    assert all(len(p) <= 10 for p in split("x" * 25, 10))
