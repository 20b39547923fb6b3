"""The flow's questions: asking a step, reading its answer by kind (choice, yes/no, typed text
and numbers, photos, end steps), and moving on along the machine's `answered` transitions."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.engine import texts as T
from bot.engine.context import Context, join
from bot.engine.flow import SUMMARY, Step
from bot.engine.guards import repeated
from bot.engine.model import (
    AskChoice,
    ChoiceMade,
    ContactShared,
    Event,
    Option,
    PhotoReceived,
    RequestContact,
    RequestPhoto,
    TextReceived,
)
from bot.engine.picking import Offer, choices, clarify, offer, pick, unclear
from bot.engine.understanding import (
    Choice,
    Parsed,
    check_text,
    hear,
    is_question,
    parse_kk,
    parse_name,
    parse_nik,
    parse_phone,
    says_dont_know,
)
from bot.engine.understanding import lexicon as L
from bot.engine.understanding.meaning import dont_know_span
from bot.engine.understanding.options import matcher
from bot.engine.welcome import go_to_menu

_DIGIT = re.compile(r"\d")
END_OPTIONS = (Offer("back", T.BACK, ("balik", "ubah", "ganti")), Offer("menu", T.MENU))
PHOTO_BUTTONS = (
    Offer("done", T.DONE, ("sudah", "cukup", "itu saja", "sudah semua")),
    Offer("keep", T.KEEP_PHOTO, ("pakai yang tadi", "pakai yang lama", "foto lama", "sama")),
    Offer("skip", T.SKIP, tuple(L.SKIP)),
)


def display(step: Step, value: Any, t: Callable[[str], str]) -> str:
    """An answer as a person reads it, in the translator's language."""
    if value is None:
        return t(T.SKIPPED)
    if step.kind == "photo":
        return t(T.PHOTO_COUNT).format(count=len(value))
    if step.kind in ("choice", "yesno"):
        label = next((o.label for o in step.choices if o.value == value), str(value))
        return t(label)
    if step.kind == "phone":
        return "0" + str(value).removeprefix("+62")
    return str(value)


# --- asking -------------------------------------------------------------------------------------


def arrive(ctx: Context) -> None:
    """Entering a step: no photos pending yet; while editing, the answer it has now."""
    s, step = ctx.s, ctx.current_step
    s.pending = []
    if s.editing and step.kind not in ("photo", "end") and s.answers.get(step.id) is not None:
        ctx.note(ctx.t(T.CURRENT_ANSWER, answer=display(step, s.answers[step.id], ctx.t)))
    ask(ctx)


def ask(ctx: Context) -> None:
    s, step = ctx.s, ctx.current_step
    text = join(ctx.take_note(), ctx.t(step.ask))
    if step.kind == "photo" and step.max_photos > 1 and not s.pending:
        hint = T.HOW_PHOTOS if step.ask_more else T.HOW_PAGES
        text = f"{text} {ctx.t(hint, max=step.max_photos)}"
    if step.kind in ("choice", "yesno"):
        options = tuple(Option(o.value, ctx.t(o.label)) for o in step.choices)
        ctx.out.append(AskChoice(text, options))
    elif step.kind == "end":
        offer(ctx, text, END_OPTIONS)
    elif step.kind == "photo":
        opts = []
        if s.pending:
            opts.append(Option("done", ctx.t(T.DONE)))
        elif s.answers.get(step.id):
            opts.append(Option("keep", ctx.t(T.KEEP_PHOTO)))
        if step.optional:
            opts.append(Option("skip", ctx.t(T.SKIP)))
        ctx.out.append(RequestPhoto(text, tuple(opts)))
    elif step.kind == "phone":
        ctx.out.append(RequestContact(text, ctx.t(T.SHARE_CONTACT)))
    else:
        ctx.say(join(text, ctx.t(T.HOW_SKIP) if step.optional else None))


# --- reading an answer --------------------------------------------------------------------------


def options(ctx: Context) -> list[Choice] | None:
    """The options of the step being asked, if it has any."""
    step = ctx.current_step
    if step.kind == "end":
        return choices(ctx, END_OPTIONS)
    if step.kind in ("choice", "yesno"):
        return step_choices(ctx, step)
    return None


def read(ctx: Context, event: Event) -> None:
    step = ctx.current_step
    if step.kind == "end":
        reading = pick(ctx, event, choices(ctx, END_OPTIONS))
        if reading.value == "back":
            ctx.fire("back")
        elif reading.value == "menu":
            go_to_menu(ctx)
        else:
            offer(ctx, ctx.t(T.END_HOW), END_OPTIONS)
    elif step.kind in ("choice", "yesno"):
        _read_choice(ctx, step, event)
    elif step.kind == "photo":
        _read_photo(ctx, step, event)
    else:
        _read_typed(ctx, step, event)


def step_choices(ctx: Context, step: Step) -> list[Choice]:
    """A step's options as the reader sees them. An option that stops the application (its
    branch ends the flow) is picked only by an unambiguous answer."""
    key = ("step_choices", ctx.flow.id, step.id, ctx.tr.lang)
    if key not in ctx.flows.memo:
        ctx.flows.memo[key] = _step_choices(ctx, step)
    return list(ctx.flows.memo[key])


def _step_choices(ctx: Context, step: Step) -> tuple[Choice, ...]:
    leads = ctx.flow.targets(step)
    ends = {v for v, dest in leads.items() if dest != SUMMARY and ctx.flow.step(dest).kind == "end"}
    return tuple(
        Choice(
            o.value,
            (o.label,) if ctx.t(o.label) == o.label else (o.label, ctx.t(o.label)),
            o.match,
            o.means,
            o.value in ends,
        )
        for o in step.choices
    )


def _read_choice(ctx: Context, step: Step, event: Event) -> None:
    options = step_choices(ctx, step)
    reading = pick(ctx, event, options)
    how = T.HOW_YES_NO if step.kind == "yesno" else T.HOW_CHOICE
    helps = ctx.t(step.help) if step.help else None
    if reading.value is not None:
        answer(ctx, step, reading.value)
    elif reading.readings:
        clarify(ctx, reading.readings, options)
    elif reading.asked:
        ctx.reask(helps or ctx.t(T.WHY_ASKED))
    elif reading.dont_know:
        ctx.reask(join(helps, ctx.t(T.DONT_KNOW_NOTE)))
    else:
        ctx.reask(join(unclear(ctx, event, how), helps))


def _read_typed(ctx: Context, step: Step, event: Event) -> None:
    if isinstance(event, ContactShared):
        text = event.phone
    elif isinstance(event, TextReceived):
        text = event.text
    elif isinstance(event, ChoiceMade) and event.value == "skip" and step.optional:
        answer(ctx, step, None)
        return
    else:
        ctx.reask(unclear(ctx, event, T.HOW_TEXT))
        return
    heard = hear(text)
    if step.optional and (
        L.SKIP.intersection(heard.content) or heard.content in (("tidak",), ("tidak", "ada"))
    ):
        answer(ctx, step, None)
        return
    helps = ctx.t(step.help) if step.help else None
    if not _DIGIT.search(text):  # a number is never a question: parse it
        if is_question(heard):
            ctx.reask(helps or ctx.t(T.WHY_ASKED))
            return
        if helps and says_dont_know(text):
            ctx.reask(helps)
            return
    parsed = parse_typed(step, text, ctx.now)
    if parsed.value is not None and (why := repeated(ctx.flow, step, parsed.value, ctx.s.answers)):
        parsed = Parsed(error=why)
    if parsed.value is None:
        error = ctx.t(parsed.error or T.NOT_UNDERSTOOD, **dict(parsed.args))
        if step.kind == "phone":
            ctx.out.append(RequestContact(error, ctx.t(T.SHARE_CONTACT)))
        elif parsed.error in (T.TEXT_VAGUE, T.TEXT_NOT_AN_ANSWER, T.NAME_NOT_A_NAME):
            ctx.reask(error)
        else:
            ctx.say(error)
        return
    answer(ctx, step, parsed.value)


def parse_typed(step: Step, text: str, now: datetime) -> Parsed:
    if step.kind == "nik":
        return parse_nik(text, now.date())
    if step.kind == "kk":
        return parse_kk(text)
    if step.kind == "phone":
        return parse_phone(text)
    if step.kind == "name":
        return parse_name(text, step.min_length, step.max_length)
    return check_text(text, step.min_length, step.max_length)


def _read_photo(ctx: Context, step: Step, event: Event) -> None:
    s = ctx.s
    how = join(ctx.t(T.HOW_PHOTO), ctx.t(T.HOW_PHOTOS) if step.max_photos > 1 else None)
    if isinstance(event, PhotoReceived) and event.media:
        media = [m.to_dict() for m in event.media]
        if step.max_photos == 1 or not step.ask_more:
            kept = media[: step.max_photos]
            if len(media) > len(kept):
                ctx.note(ctx.t(T.PHOTO_EXTRA, count=len(media), kept=len(kept)))
            answer(ctx, step, kept)
            return
        s.pending = [*s.pending, *media][: step.max_photos]
        if len(s.pending) >= step.max_photos:
            ctx.note(ctx.t(T.PHOTO_LIMIT, count=len(s.pending)))
            answer(ctx, step, s.pending)
        else:
            received = ctx.t(T.PHOTO_RECEIVED, count=len(s.pending))
            ctx.out.append(RequestPhoto(received, (Option("done", ctx.t(T.DONE)),)))
        return
    if isinstance(event, ChoiceMade):
        word = event.value
    elif isinstance(event, TextReceived):
        word = _photo_word(ctx, step, event.text)
    else:
        word = ""
    if word in ("done", "keep"):
        if s.pending:
            answer(ctx, step, s.pending)
        elif s.answers.get(step.id):
            answer(ctx, step, s.answers[step.id])
        else:
            ctx.reask(join(ctx.t(T.PHOTO_NONE_YET), how))
    elif word == "skip" and step.optional:
        answer(ctx, step, None)
    elif word == "later" and s.pending:
        ctx.out.append(RequestPhoto(ctx.t(T.PHOTO_WAITING), (Option("done", ctx.t(T.DONE)),)))
    elif word == "later":
        ctx.reask(ctx.t(step.missing or T.MISSING_DEFAULT))
    elif word == "asked":
        ctx.reask(join(ctx.t(step.help) if step.help else ctx.t(T.WHY_ASKED), how))
    else:
        ctx.reask(join(ctx.t(T.NEED_PHOTO), how, ctx.t(T.CHANGE_EARLIER)))


def _photo_word(ctx: Context, step: Step, text: str) -> str:
    """What a text sent at a photo step says: done ("sudah pak", "udah itu aja", "cukup mi"),
    keep the earlier photo, skip, not yet / not at hand, a question; else ""."""
    heard = hear(text)
    words = set(heard.content)
    buttons = choices(ctx, PHOTO_BUTTONS)
    exact = matcher(tuple(buttons)).exact.get(heard.key)
    if exact in ("keep", "skip"):  # a button's label came back as text
        return exact
    if is_question(heard):
        return "asked"
    if words & L.LATER or dont_know_span(heard.content) is not None:
        return "later"
    if exact == "done" or (words and words <= L.DONE and words & L.DONE_CORE):
        return "done"
    if words and words <= L.DONE | L.YES:
        return "done"
    return ""


# --- moving on ----------------------------------------------------------------------------------


def answer(ctx: Context, step: Step, value: Any) -> None:
    """Keep the answer and move along `answered`. While editing from the summary, pass through
    the steps already answered (quietly) to the first the change left open, or the summary."""
    s = ctx.s
    s.answers[step.id] = value
    if not s.editing:
        ctx.fire("answered", value=value)
        return
    machine, flow = ctx.machine, ctx.flow
    at = step.id
    while True:
        dest = machine.next(at, s.answers[at])
        if dest == SUMMARY or dest not in s.answers or flow.step(dest).kind == "end":
            ctx.fire("answered", value=s.answers[at])
            return
        ctx.fire("answered", value=s.answers[at], quiet=True)
        at = dest
