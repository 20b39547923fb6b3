"""The end of an application: the summary of every answer, choosing one to change, and the
hand-over of the dossier (after which the session keeps none of the answers)."""

from __future__ import annotations

from bot.engine import texts as T
from bot.engine.context import Context, join
from bot.engine.model import AnswerItem, Dossier, Event, MediaRef, SubmitDossier
from bot.engine.picking import pick, unclear
from bot.engine.questions import display
from bot.engine.reference import make_reference
from bot.engine.welcome import reset

SUMMARY = (("submit", T.SUBMIT), ("edit", T.EDIT))


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
    ctx.ask(join(ctx.take_note(), text, ctx.t(T.SUMMARY_ASK)), SUMMARY)


def read_summary(ctx: Context, event: Event) -> None:
    value = pick(event, ctx.choices(SUMMARY))
    if value == "submit" and ctx.fire("submit"):
        return
    if value == "edit":
        ctx.fire("edit")
    else:
        ctx.ask(join(unclear(ctx, event), ctx.t(T.SUMMARY_ASK)), SUMMARY)


def edit_pairs(ctx: Context) -> list[tuple[str, str]]:
    return [(f"edit:{st.id}", st.label or st.id) for st in ctx.path_steps()]


def ask_edit(ctx: Context) -> None:
    ctx.ask(join(ctx.take_note(), ctx.t(T.EDIT_ASK)), edit_pairs(ctx))


def read_edit(ctx: Context, event: Event) -> None:
    value = pick(event, ctx.choices(edit_pairs(ctx)))
    if value is None:
        ctx.reask(unclear(ctx, event))
    else:
        ctx.fire("change", to=value.removeprefix("edit:"))


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
