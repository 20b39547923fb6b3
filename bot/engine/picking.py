"""Reading a reply to a question with options (a button, or typed text through the
understanding layer), asking which one when it could mean two, and saying that it was not
understood in a way that fits the question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.engine import texts as T
from bot.engine.context import Context, join
from bot.engine.model import AskChoice, ChoiceMade, Event, Option, PhotoReceived, TextReceived
from bot.engine.understanding import Choice, Reading, read_choice


@dataclass(frozen=True, slots=True)
class Offer:
    """An option the engine itself offers: its value, its label (a msgid), the words that also
    pick it, what a plain yes/no means here, and whether picking it cannot be undone."""

    value: str
    label: str
    match: tuple[str, ...] = ()
    means: str | None = None
    careful: bool = False


def choices(ctx: Context, offers: Sequence[Offer]) -> list[Choice]:
    """Offers as the reader sees them, understood in every language."""
    return [Choice(o.value, _labels(ctx, o.label), o.match, o.means, o.careful) for o in offers]


def _labels(ctx: Context, msgid: str) -> tuple[str, ...]:
    shown = ctx.t(msgid)
    return (msgid,) if shown == msgid else (msgid, shown)


def offer(ctx: Context, text: str, offers: Sequence[Offer]) -> None:
    ctx.out.append(AskChoice(text, tuple(Option(o.value, ctx.t(o.label)) for o in offers)))


def pick(ctx: Context, event: Event, options: Sequence[Choice]) -> Reading:
    """What a reply picked: a button's value if it is one of these options (or of the
    clarifying question just asked), else the reading of the typed text."""
    if isinstance(event, ChoiceMade):
        known = {c.value for c in options}
        return Reading(event.value) if event.value in known else Reading()
    if isinstance(event, TextReceived):
        return read_choice(event.text, options, ctx.offered)
    return Reading()


def clarify(ctx: Context, readings: Sequence[str], options: Sequence[Choice]) -> None:
    """ "Which did you mean?", with the readings as the options; their numbers count next."""
    labels = {c.value: ctx.t(c.labels[0]) for c in options}
    ctx.s.clarify = list(readings)
    text = join(ctx.take_note(), ctx.t(T.CLARIFY))
    ctx.out.append(AskChoice(text, tuple(Option(v, labels[v]) for v in readings)))


def unclear(ctx: Context, event: Event, how: str = T.HOW_CHOICE) -> str:
    if isinstance(event, PhotoReceived):
        return ctx.t(T.NEED_TEXT)
    if isinstance(event, ChoiceMade):
        return ctx.t(T.STALE_BUTTON)
    return f"{ctx.t(T.NOT_UNDERSTOOD)} {ctx.t(how)}"
