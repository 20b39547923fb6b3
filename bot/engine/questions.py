"""The flow's questions: asking a step, reading its answer by kind (choice, yes/no, typed text
and numbers, photos, end steps), and moving on along the machine's `answered` transitions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.engine import texts as T
from bot.engine.answers import (
    Choice,
    Parsed,
    normalize,
    parse_kk,
    parse_nik,
    parse_phone,
    parse_yes_no,
)
from bot.engine.context import Context, join
from bot.engine.flow import SUMMARY, Step
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
from bot.engine.picking import pick, unclear
from bot.engine.welcome import go_to_menu

DONE_WORDS = frozenset(
    {"selesai", "sudah", "sdh", "udah", "done", "cukup", "lanjut", "next", "keep"}
)
SKIP_WORDS = frozenset({"lewati", "lewat", "skip", "lompat"})
LATER_WORDS = frozenset({"nanti", "besok", "nyusul", "menyusul", "later", "tomorrow", "belum"})
END_OPTIONS = (("back", T.BACK), ("menu", T.MENU))


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
        ctx.ask(text, END_OPTIONS)
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


def read(ctx: Context, event: Event) -> None:
    step = ctx.current_step
    if step.kind == "end":
        value = pick(event, ctx.choices(END_OPTIONS))
        if value == "back":
            ctx.fire("back")
        elif value == "menu":
            go_to_menu(ctx)
        else:
            ctx.ask(ctx.t(T.END_HOW), END_OPTIONS)
    elif step.kind in ("choice", "yesno"):
        choice = pick(event, step_choices(ctx, step))
        how = T.HOW_YES_NO if step.kind == "yesno" else T.HOW_CHOICE
        if choice is None:
            ctx.reask(join(unclear(ctx, event, how), ctx.t(step.help) if step.help else None))
        else:
            answer(ctx, step, choice)
    elif step.kind == "photo":
        _read_photo(ctx, step, event)
    else:
        _read_typed(ctx, step, event)


def step_choices(ctx: Context, step: Step) -> list[Choice]:
    return [
        Choice(
            o.value,
            tuple({o.label, ctx.t(o.label)}),
            o.match,
            None if o.means is None else o.means == "yes",
        )
        for o in step.choices
    ]


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
    if step.optional and normalize(text) in SKIP_WORDS:
        answer(ctx, step, None)
        return
    parsed = parse_typed(step, text, ctx.now)
    if parsed.value is None:
        error = ctx.t(parsed.error or T.NOT_UNDERSTOOD, **dict(parsed.args))
        if step.kind == "phone":
            ctx.out.append(RequestContact(error, ctx.t(T.SHARE_CONTACT)))
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
    clean = " ".join(text.split())
    if len(clean) < step.min_length:
        return Parsed(error=T.TEXT_TOO_SHORT)
    if len(clean) > step.max_length:
        return Parsed(error=T.TEXT_TOO_LONG, args=(("max", str(step.max_length)),))
    return Parsed(value=clean)


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
    word = ""
    if isinstance(event, TextReceived):
        word = normalize(event.text)
        buttons = {"done": T.DONE, "keep": T.KEEP_PHOTO, "skip": T.SKIP}
        for value, msgid in buttons.items():
            if word in (normalize(msgid), normalize(ctx.t(msgid))):
                word = value  # a keyboard button's label came back as text
    elif isinstance(event, ChoiceMade):
        word = event.value
    if word in DONE_WORDS or word in ("done", "keep"):
        if s.pending:
            answer(ctx, step, s.pending)
        elif s.answers.get(step.id):
            answer(ctx, step, s.answers[step.id])
        else:
            ctx.reask(join(ctx.t(T.PHOTO_NONE_YET), how))
    elif step.optional and (word in SKIP_WORDS or word == "skip"):
        answer(ctx, step, None)
    elif isinstance(event, TextReceived) and (
        parse_yes_no(event.text) is False or LATER_WORDS & set(normalize(event.text).split())
    ):
        ctx.reask(ctx.t(step.missing or T.MISSING_DEFAULT))
    else:
        ctx.reask(join(ctx.t(T.NEED_PHOTO), how, ctx.t(T.CHANGE_EARLIER)))


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
