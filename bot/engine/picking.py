"""Reading which option a reply picked (a button, or typed text), and saying that it was not
understood in a way that fits the question."""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine import texts as T
from bot.engine.answers import Choice, parse_choice
from bot.engine.context import Context
from bot.engine.model import ChoiceMade, Event, PhotoReceived, TextReceived


def pick(event: Event, choices: Sequence[Choice]) -> str | None:
    if isinstance(event, ChoiceMade):
        return event.value if any(c.value == event.value for c in choices) else None
    if isinstance(event, TextReceived):
        return parse_choice(event.text, choices)
    return None


def unclear(ctx: Context, event: Event, how: str = T.HOW_CHOICE) -> str:
    if isinstance(event, PhotoReceived):
        return ctx.t(T.NEED_TEXT)
    if isinstance(event, ChoiceMade):
        return ctx.t(T.STALE_BUTTON)
    return f"{ctx.t(T.NOT_UNDERSTOOD)} {ctx.t(how)}"
