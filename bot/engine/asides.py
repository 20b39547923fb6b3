"""What a citizen can say at any time (menu, back, cancel, help, language) and the two asides
they open: "cancel this application?" and, with more than two languages, "which language?"."""

from __future__ import annotations

from bot.engine import texts as T
from bot.engine.answers import Choice, normalize
from bot.engine.context import Context, join
from bot.engine.model import Event
from bot.engine.picking import pick, unclear
from bot.engine.stages import Stage
from bot.engine.welcome import go_to_menu, reset

CANCEL = (("ya", T.CANCEL_YES), ("tidak", T.CANCEL_NO))
LANGUAGE_NAMES = {
    "english": "en",
    "inggris": "en",
    "bahasa inggris": "en",
    "indonesia": "id",
    "bahasa indonesia": "id",
}


def menu(ctx: Context, text: str = "") -> None:
    go_to_menu(ctx)


def back(ctx: Context, text: str = "") -> None:
    if ctx.fire("back"):
        return
    ctx.reask(ctx.t(T.ALREADY_MENU) if ctx.s.stage == Stage.OFFICE else None)


def cancel(ctx: Context, text: str = "") -> None:
    if not ctx.fire("cancel"):
        ctx.reask(ctx.t(T.NOTHING_TO_CANCEL))


def remember_stage(ctx: Context) -> None:
    """An aside remembers where the conversation stood, to go back there."""
    ctx.s.resume_stage = ctx.s.stage


def forget_resume(ctx: Context) -> None:
    ctx.s.resume_stage = None


def ask_cancel(ctx: Context) -> None:
    ctx.ask(join(ctx.take_note(), ctx.t(T.CANCEL_ASK)), CANCEL)


def read_cancel(ctx: Context, event: Event) -> None:
    choices = [Choice(c.value, c.labels, means=c.value == "ya") for c in ctx.choices(CANCEL)]
    value = pick(event, choices)
    if value == "ya":
        reset(ctx.s)
        ctx.note(ctx.t(T.CANCELLED))
        ctx.fire("confirm_cancel")
    elif value == "tidak":
        ctx.fire("resume")
    else:
        ctx.reask(unclear(ctx, event, T.HOW_YES_NO))


def help_(ctx: Context, text: str = "") -> None:
    s, parts = ctx.s, []
    if s.stage == Stage.FLOW and s.flow_id and s.step:
        st = ctx.current_step
        parts.append(ctx.t(st.help) if st.help else None)
        how = {"choice": T.HOW_CHOICE, "yesno": T.HOW_YES_NO, "photo": T.HOW_PHOTO}
        parts.append(ctx.t(how.get(st.kind, T.HOW_TEXT)))
        if st.kind == "photo" and st.max_photos > 1:
            hint = T.HOW_PHOTOS if st.ask_more else T.HOW_PAGES
            parts.append(ctx.t(hint, max=st.max_photos))
    parts.append(ctx.t(T.HELP_COMMANDS))
    ctx.reask(join(*parts))


def switch_language(ctx: Context, text: str = "", announce: bool = True) -> None:
    """A language named ("english") is set at once; with two languages "bahasa" switches to
    the other; with more, the citizen chooses."""
    langs = ctx.flows.languages
    named = LANGUAGE_NAMES.get(normalize(text))
    if named in langs:
        _set_language(ctx, named, announce)
        return
    if len(langs) > 2 and announce:
        ctx.fire("language")
        return
    i = langs.index(ctx.s.lang) if ctx.s.lang in langs else 0
    _set_language(ctx, langs[(i + 1) % len(langs)], announce)


def _set_language(ctx: Context, lang: str, announce: bool) -> None:
    ctx.s.lang = lang
    ctx.tr = ctx.flows.tr(lang)
    if announce:
        ctx.reask(ctx.t(T.LANGUAGE_SET))


def _language_pairs(ctx: Context) -> list[tuple[str, str]]:
    return [(lang, ctx.flows.tr(lang).name) for lang in ctx.flows.languages]


def ask_language(ctx: Context) -> None:
    ctx.ask(join(ctx.take_note(), ctx.t(T.CHOOSE_LANGUAGE)), _language_pairs(ctx))


def read_language(ctx: Context, event: Event) -> None:
    value = pick(event, ctx.choices(_language_pairs(ctx)))
    if value is None:
        ctx.reask(unclear(ctx, event))
        return
    ctx.s.lang = value
    ctx.tr = ctx.flows.tr(value)
    ctx.note(ctx.t(T.LANGUAGE_SET))
    ctx.fire("resume")


COMMANDS = {
    "menu": menu,
    "back": back,
    "cancel": cancel,
    "help": help_,
    "language": switch_language,
}
