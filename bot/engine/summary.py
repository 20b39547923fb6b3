"""The end of an application: the summary of every answer, choosing one to change, and the
hand-over of the dossier (after which the session keeps none of the answers)."""

from __future__ import annotations

from bot.engine import texts as T
from bot.engine.context import Context, join
from bot.engine.model import (
    AnswerItem,
    ChoiceMade,
    Dossier,
    Event,
    MediaRef,
    SubmitDossier,
    TextReceived,
)
from bot.engine.picking import Offer, choices, clarify, offer, pick, unclear
from bot.engine.questions import display
from bot.engine.reference import make_reference
from bot.engine.understanding import Choice, hear, read_choice
from bot.engine.welcome import reset

SUMMARY = (
    Offer(
        "submit",
        T.SUBMIT,
        ("kirim", "kirimkan", "ajukan", "sudah benar", "benar semua"),
        "yes",
        careful=True,
    ),
    Offer(
        "edit",
        T.EDIT,
        (
            "ubah",
            "ganti",
            "salah",
            "ralat",
            "perbaiki",
            "koreksi",
            "keliru",
            "ada yang salah",
            "belum benar",
            "edit",
            "tidak benar",
        ),
        "no",
    ),
)
# Words that ask to change something ("ubah nik", "ganti foto kk", "nomor hp salah").
CHANGE_WORDS = frozenset(
    {
        "ubah",
        "ganti",
        "salah",
        "ralat",
        "perbaiki",
        "koreksi",
        "keliru",
        "edit",
        "betulkan",
        "benarkan",
        "perbaikan",
        "revisi",
        "tukar",
        "update",
        "perbarui",
        "bukan",
    }
)


def arrive_summary(ctx: Context) -> None:
    s = ctx.s
    s.step, s.editing, s.pending = None, False, []
    ask_summary(ctx)


def ask_summary(ctx: Context) -> None:
    flow, s = ctx.flow, ctx.s
    lines = [
        f"{i}. {ctx.t(st.label or st.id)}: {display(st, s.answers.get(st.id), ctx.t)}"
        for i, st in enumerate(ctx.path_steps(), 1)
    ]
    text = ctx.t(
        T.SUMMARY,
        service=ctx.t(flow.service.title),
        office=ctx.t(flow.office.name),
        items="\n".join(lines),
    )
    offer(ctx, join(ctx.take_note(), text, ctx.t(T.SUMMARY_ASK)), SUMMARY)


def summary_options(ctx: Context) -> list[Choice]:
    return choices(ctx, SUMMARY)


def read_summary(ctx: Context, event: Event) -> None:
    """ "Kirim" submits only on a clear yes; naming an answer ("ubah nik", "ganti foto kk",
    "nomor hp salah") goes straight to changing it."""
    if _change_shortcut(ctx, event):
        return
    options = summary_options(ctx)
    reading = pick(ctx, event, options)
    if reading.value == "submit" and ctx.fire("submit"):
        return
    if reading.value == "edit":
        ctx.fire("edit")
    elif reading.readings:
        clarify(ctx, reading.readings, options)
    else:
        offer(ctx, join(unclear(ctx, event), ctx.t(T.SUMMARY_ASK)), SUMMARY)


def _change_shortcut(ctx: Context, event: Event) -> bool:
    """ "ubah nik" -> change the NIK now; "ubah kk" -> which: the KK number or its photo?"""
    items = edit_options(ctx)
    if ctx.offered and ctx.offered[0].startswith("edit:"):
        reading = pick(ctx, event, items)  # the answer to "which did you mean?"
    elif isinstance(event, ChoiceMade) and event.value.startswith("edit:"):
        reading = pick(ctx, event, items)
    elif isinstance(event, TextReceived):
        heard = hear(event.text)
        if not CHANGE_WORDS.intersection(heard.content):
            return False
        rest = tuple(w for w in heard.content if w not in CHANGE_WORDS)
        if not rest:
            return False  # "salah", "ubah": the list of what can be changed
        reading = read_choice(" ".join(rest), items)
    else:
        return False
    if reading.value is not None:
        return ctx.fire("change", to=reading.value.removeprefix("edit:"))
    if reading.readings:
        clarify(ctx, reading.readings, items)
        return True
    return False


def edit_offers(ctx: Context) -> list[Offer]:
    return [
        Offer(f"edit:{st.id}", st.label or st.id, (st.id.replace("_", " "), *st.match))
        for st in ctx.path_steps()
    ]


def edit_options(ctx: Context) -> list[Choice]:
    return choices(ctx, edit_offers(ctx))


def ask_edit(ctx: Context) -> None:
    offer(ctx, join(ctx.take_note(), ctx.t(T.EDIT_ASK)), edit_offers(ctx))


def read_edit(ctx: Context, event: Event) -> None:
    options = edit_options(ctx)
    reading = pick(ctx, event, options)
    if reading.value is not None:
        ctx.fire("change", to=reading.value.removeprefix("edit:"))
    elif reading.readings:
        clarify(ctx, reading.readings, options)
    else:
        ctx.reask(unclear(ctx, event))


def start_editing(ctx: Context) -> None:
    ctx.s.editing = True


def hand_over(ctx: Context) -> None:
    """The dossier, with a new reference, handed to the runtime to deliver; then the session
    forgets the answers (the dossier carries them)."""
    s, flow = ctx.s, ctx.flow
    s.submissions += 1
    reference = make_reference(flow.reference_prefix, s.seed, s.submissions)
    steps = ctx.path_steps()
    items = tuple(
        AnswerItem(
            st.id, st.label or st.id, s.answers.get(st.id), display(st, s.answers.get(st.id), _id)
        )
        for st in steps
    )
    photos = tuple(
        (st.id, MediaRef.from_dict(m))
        for st in steps
        if st.kind == "photo"
        for m in (s.answers.get(st.id) or [])
    )
    dossier = Dossier(
        reference=reference,
        flow_id=flow.id,
        flow_version=flow.version,
        office=flow.office.name,
        service=flow.service.title,
        language=s.lang,
        channel=s.channel,
        chat_id=s.chat_id,
        submitted_at=ctx.now,
        started_at=s.started_at or ctx.now,
        answers=items,
        photos=photos,
    )
    ctx.out.append(SubmitDossier(dossier))
    sv = flow.service
    ctx.say(
        join(
            ctx.t(T.SUBMITTED, office=ctx.t(flow.office.name), reference=reference),
            ctx.t(T.NEXT, after=ctx.t(sv.after_submit)),
            ctx.t(T.FREE),
            ctx.t(T.COMPLAINTS, items="\n".join(f"- {ctx.t(c)}" for c in sv.complaints)),
        )
    )
    reset(s)  # the dossier carries the answers now; the session keeps none of them
    s.reference = reference


def _id(msgid: str) -> str:
    return msgid


def ask_submitted(ctx: Context) -> None:
    ctx.say(join(ctx.take_note(), ctx.t(T.ALREADY_SUBMITTED, reference=ctx.s.reference or "")))


def read_submitted(ctx: Context, event: Event) -> None:
    ask_submitted(ctx)
