"""What a citizen can say at any time (menu, back, cancel, help, language) and the two asides
they open: "cancel this application?" and, with more than two languages, "which language?"."""

from __future__ import annotations

from bot.engine import office, privacy
from bot.engine import texts as T
from bot.engine.context import Context, join
from bot.engine.model import Event
from bot.engine.picking import Offer, choices, clarify, offer, pick, unclear
from bot.engine.stages import Stage
from bot.engine.understanding import Choice, language_named
from bot.engine.welcome import go_to_menu, reset

CANCEL = (
    Offer(
        "ya",
        T.CANCEL_YES,
        ("batal", "batalkan", "hapus", "hapus saja", "cancel", "stop", "sudah batal"),
        "yes",
        careful=True,
    ),
    Offer(
        "tidak",
        T.CANCEL_NO,
        (
            "lanjut",
            "lanjutkan",
            "teruskan",
            "terus",
            "tidak jadi",
            "tidak jadi batal",
            "jangan",
            "jangan batal",
            "jangan dihapus",
            "keep",
            "lanjut saja",
            "tetap",
            "tidak usah",
            "usah",
        ),
        "no",
    ),
)


def menu(ctx: Context, text: str = "") -> None:
    go_to_menu(ctx)


def back(ctx: Context, text: str = "") -> None:
    if ctx.s.stage == Stage.REVISION:  # not now: where the citizen was, the document later
        office.not_now(ctx)
        return
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


def cancel_options(ctx: Context) -> list[Choice]:
    return choices(ctx, CANCEL)


def ask_cancel(ctx: Context) -> None:
    offer(ctx, join(ctx.take_note(), ctx.t(T.CANCEL_ASK)), CANCEL)


def read_cancel(ctx: Context, event: Event) -> None:
    """Deletes only on an unambiguous yes; "lanjut" keeps the application going."""
    options = cancel_options(ctx)
    reading = pick(ctx, event, options)
    if reading.value == "ya":
        reset(ctx.s)
        ctx.note(ctx.t(T.CANCELLED))
        ctx.fire("confirm_cancel")
    elif reading.value == "tidak":
        ctx.fire("resume")
    elif reading.readings:
        clarify(ctx, reading.readings, options)
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
    named = language_named(text)
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


def _language_offers(ctx: Context) -> list[Offer]:
    return [Offer(lang, ctx.flows.tr(lang).name) for lang in ctx.flows.languages]


def language_options(ctx: Context) -> list[Choice]:
    return choices(ctx, _language_offers(ctx))


def ask_language(ctx: Context) -> None:
    offer(ctx, join(ctx.take_note(), ctx.t(T.CHOOSE_LANGUAGE)), _language_offers(ctx))


def read_language(ctx: Context, event: Event) -> None:
    value = pick(ctx, event, language_options(ctx)).value
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
    "status": office.status_unavailable,  # the runtime looks it up first (StatusLooked)
    "document": office.send_document,
    "quiet": office.stop_reminders,
    "mydata": privacy.data_unavailable,  # the runtime looks it up first (DataLooked)
    "erase": privacy.erase,
}
