"""The office's side of a case, in the citizen's chat: a document asked again (the one step it
reopens, as an aside, and the revision it hands over), a status the flow tells, reminders said
once, and the status the citizen asks for. Pure like the rest of the engine: the runtime hands
these in as events; the office's own words come from the flow file and the catalogs."""

from __future__ import annotations

from datetime import datetime

from bot.engine import privacy
from bot.engine import texts as T
from bot.engine.context import Context, join
from bot.engine.flow import Flow, Step
from bot.engine.model import (
    CaseStatus,
    DocumentRequested,
    Event,
    PhotoReceived,
    ReminderDue,
    RequestPhoto,
    Revision,
    StatusChanged,
    StatusLooked,
    SubmitRevision,
    Tell,
    TextReceived,
)
from bot.engine.stages import DRAFT, Stage, position
from bot.engine.understanding import hear
from bot.engine.understanding import lexicon as L
from bot.engine.understanding.commands import status_asked
from bot.engine.understanding.meaning import dont_know_span, polarity

# Events that are not the citizen's message (privacy.py's are looked up, filed or decided for it).
OFFICE_EVENTS = (DocumentRequested, StatusChanged, ReminderDue, StatusLooked,
                 *privacy.PRIVACY_EVENTS)  # fmt: skip
REASONS = {
    "blurred": T.REASON_BLURRED,
    "cut_off": T.REASON_CUT_OFF,
    "wrong_document": T.REASON_WRONG_DOCUMENT,
    "expired": T.REASON_EXPIRED,
}
# --- what the runtime asks before a turn ---------------------------------------------------------


def wants_status(event: Event) -> str | None:
    """The reference a message asks the status of ("" for all of the chat's), or None."""
    return status_asked(event.text) if isinstance(event, TextReceived) else None


# --- the flow's words for a case -----------------------------------------------------------------


def _flow(ctx: Context, flow_id: str) -> Flow | None:
    return ctx.flows.flows.get(flow_id)


def _step(ctx: Context, flow_id: str, step_id: str) -> Step | None:
    flow = _flow(ctx, flow_id)
    return flow.step(step_id) if flow is not None and flow.has_step(step_id) else None


def _document(ctx: Context, flow_id: str, step_id: str) -> str:
    st = _step(ctx, flow_id, step_id)
    return ctx.t(st.label) if st is not None and st.label else step_id


def _office(ctx: Context, flow_id: str) -> str:
    flow = _flow(ctx, flow_id)
    return ctx.t(flow.office.name) if flow is not None else ""


def _head(ctx: Context, flow_id: str, reference: str) -> str:
    return ctx.t(T.FROM_OFFICE, office=_office(ctx, flow_id), reference=reference)


def _status_label(ctx: Context, flow_id: str, status: str) -> str:
    flow = _flow(ctx, flow_id)
    spec = flow.status(status) if flow is not None else None
    return ctx.t(spec.label) if spec is not None else status


def _busy(ctx: Context) -> bool:
    """An application under way, or an aside open: the office's message must not disturb it."""
    asides = (Stage.CANCEL, Stage.LANGUAGE, Stage.REVISION, Stage.ERASE)
    return ctx.has_draft() or ctx.s.stage in asides


def _reason(ctx: Context, event: DocumentRequested) -> tuple[str, str]:
    """Why, in the citizen's words, and staff's note when it adds to that."""
    msgid = REASONS.get(event.reason)
    if msgid is None:  # "other": what staff wrote is the reason
        return (event.note or ctx.t(T.REASON_OTHER)), ""
    return ctx.t(msgid), event.note


def _tell(ctx: Context, kind: str, **values: str) -> None:
    ctx.out.append(Tell(kind, tuple(sorted(values.items()))))


# --- a document asked again ----------------------------------------------------------------------


def document_requested(ctx: Context, event: DocumentRequested) -> None:
    s = ctx.s
    entry = {"ref": event.reference, "flow": event.flow_id, "step": event.step}
    s.awaiting = [e for e in s.awaiting if e != entry] + [entry]
    document = _document(ctx, event.flow_id, event.step)
    reason, note = _reason(ctx, event)
    _tell(
        ctx,
        "document_request",
        reference=event.reference,
        document=document,
        reason=reason,
        office=_office(ctx, event.flow_id),
    )
    told = join(
        _head(ctx, event.flow_id, event.reference)
        + "\n"
        + ctx.t(T.DOCUMENT_REFUSED, document=document, reason=reason),
        ctx.t(T.STAFF_NOTE, note=note) if note else None,
    )
    if s.stage == Stage.REVISION:  # already waiting for a photo: this one comes next
        ctx.reask(told)
    elif _busy(ctx):
        ctx.reask(join(told, ctx.t(T.SEND_IT_LATER, document=document)))
    else:
        ctx.note(told)
        ctx.fire("revise")


def send_document(ctx: Context, text: str = "") -> None:
    """ "kirim dokumen": the photo the office waits for, now."""
    if not ctx.s.awaiting:
        ctx.reask(ctx.t(T.NO_DOCUMENT_ASKED))
    elif ctx.s.stage == Stage.REVISION:
        ctx.reask()
    else:
        ctx.fire("revise")


def ask_revision(ctx: Context) -> None:
    s = ctx.s
    if not s.awaiting:  # nothing (left) to send: back to where the citizen was
        leave_revision(ctx)
        return
    e = s.awaiting[0]
    st = _step(ctx, e["flow"], e["step"])
    note = ctx.take_note() or ctx.t(
        T.REVISION_ASK, document=_document(ctx, e["flow"], e["step"]), reference=e["ref"]
    )
    ask = ctx.t(st.ask) if st is not None else None
    ctx.out.append(RequestPhoto(join(note, ask, ctx.t(T.SEND_IT_HERE))))


def read_revision(ctx: Context, event: Event) -> None:
    s = ctx.s
    if not s.awaiting:
        leave_revision(ctx)
        return
    e = s.awaiting[0]
    if isinstance(event, PhotoReceived) and event.media:
        st = _step(ctx, e["flow"], e["step"])
        media = event.media[: st.max_photos if st is not None else 1]
        s.revisions += 1
        revision = Revision(
            key=f"{e['ref']}/{e['step']}/{s.revisions}",
            reference=e["ref"],
            step=e["step"],
            language=s.lang,
            channel=s.channel,
            chat_id=s.chat_id,
            sent_at=ctx.now,
            media=tuple(media),
        )
        ctx.out.append(SubmitRevision(revision))
        s.awaiting = s.awaiting[1:]
        document = _document(ctx, e["flow"], e["step"])
        ctx.note(ctx.t(T.REVISION_RECEIVED, document=document, reference=e["ref"]))
        if s.awaiting:
            ctx.reask()
        else:
            leave_revision(ctx)
        return
    if isinstance(event, TextReceived) and _later(event.text):
        not_now(ctx)
        return
    ctx.reask(ctx.t(T.NEED_PHOTO))


def not_now(ctx: Context) -> None:
    """ "nanti", "belum ada", or going back: the document is sent later ("kirim dokumen"), and
    the citizen is back where they were."""
    if ctx.s.awaiting:
        e = ctx.s.awaiting[0]
        st = _step(ctx, e["flow"], e["step"])
        ctx.note(join(ctx.t(st.missing) if st is not None and st.missing else None))
        ctx.note(ctx.t(T.REVISION_LATER))
    leave_revision(ctx)


def _later(text: str) -> bool:
    """ "nanti", "belum ada", "tidak tahu": not now."""
    heard = hear(text)
    _, no, _ = polarity(heard.content)
    return no or bool(L.LATER & set(heard.content)) or dont_know_span(heard.content) is not None


def leave_revision(ctx: Context) -> None:
    """Back where the citizen was: an application under way asks its question again; from
    anywhere else, only what there was to say is said."""
    s = ctx.s
    back = s.resume_stage or Stage.NEW
    if back in DRAFT:
        ctx.fire("resume")
        return
    ctx.fire("resume", quiet=True)
    note = ctx.take_note()
    if note:
        ctx.say(note)


# --- a status told -------------------------------------------------------------------------------


def status_changed(ctx: Context, event: StatusChanged) -> None:
    flow = _flow(ctx, event.flow_id)
    spec = flow.status(event.status) if flow is not None else None
    label = _status_label(ctx, event.flow_id, event.status)
    _tell(
        ctx,
        "status",
        reference=event.reference,
        status=label,
        office=_office(ctx, event.flow_id),
        reason=event.reason,
    )
    complaints = None
    if flow is not None and spec is not None and spec.final and spec.reason:
        items = "\n".join(f"- {ctx.t(c)}" for c in flow.service.complaints)
        complaints = ctx.t(T.COMPLAINTS, items=items)
    told = join(
        _head(ctx, event.flow_id, event.reference) + "\n" + ctx.t(T.STATUS_TOLD, status=label),
        ctx.t(spec.message) if spec is not None and spec.message else None,
        ctx.t(T.STATUS_REASON, reason=event.reason) if event.reason else None,
        complaints,
    )
    if spec is not None and spec.final:  # closed: nothing more is awaited for it
        ctx.s.awaiting = [e for e in ctx.s.awaiting if e["ref"] != event.reference]
    _say_between(ctx, told)


def _say_between(ctx: Context, text: str) -> None:
    """Said in the middle of whatever the citizen is doing: the question asked again after it
    when something is under way; alone otherwise."""
    if ctx.s.stage == Stage.REVISION and not ctx.s.awaiting:
        ctx.note(text)
        leave_revision(ctx)
    elif _busy(ctx):
        ctx.reask(text)
    else:
        ctx.say(text)


# --- reminders, once -----------------------------------------------------------------------------


def reminder_due(ctx: Context, event: ReminderDue) -> None:
    s = ctx.s
    if not s.reminders:
        return
    if event.kind == "document":
        entry = next(
            (e for e in s.awaiting if (e["ref"], e["step"]) == (event.reference, event.step)),
            None,
        )
        if entry is None:
            return  # it came meanwhile
        document = _document(ctx, entry["flow"], entry["step"])
        _tell(
            ctx,
            "document_reminder",
            reference=entry["ref"],
            document=document,
            office=_office(ctx, entry["flow"]),
        )
        text = join(
            ctx.t(T.DOCUMENT_REMINDER, document=document, reference=entry["ref"]),
            ctx.t(T.HOW_TO_STOP_REMINDERS),
        )
        if s.stage == Stage.REVISION or _busy(ctx):
            ctx.reask(join(text, ctx.t(T.SEND_IT_LATER, document=document)))
        else:
            ctx.note(text)
            ctx.fire("revise")
    elif event.kind == "draft" and _draft_reminder_due(ctx, event.since):
        s.reminded_at = ctx.now
        flow, at = position(s) or ("", "")
        where = {
            "requirements": ctx.t(T.DRAFT_AT_START),
            "summary": ctx.t(T.DRAFT_AT_SUMMARY),
        }.get(at) or _document(ctx, flow, at)
        _tell(ctx, "draft_reminder")
        text = ctx.t(T.DRAFT_REMINDER, service=ctx.t(ctx.flow.service.title), where=where)
        ctx.reask(join(text, ctx.t(T.HOW_TO_STOP_REMINDERS)))


def _draft_reminder_due(ctx: Context, since: str) -> bool:
    """Still true: an application under way, no message since the one it was planned from,
    and not said already for that message."""
    s = ctx.s
    if position(s) is None or s.updated_at is None or not since:
        return False
    try:
        planned = datetime.fromisoformat(since)
    except ValueError:
        return False
    if abs((s.updated_at - planned).total_seconds()) > 1:
        return False
    return s.reminded_at is None or s.reminded_at < s.updated_at


def stop_reminders(ctx: Context, text: str = "") -> None:
    ctx.s.reminders = False
    _say_between(ctx, ctx.t(T.REMINDERS_STOPPED))


# --- the status asked for ------------------------------------------------------------------------


def status_looked(ctx: Context, event: StatusLooked) -> None:
    if event.cases is None:
        text = ctx.t(T.STATUS_UNAVAILABLE)
    elif not event.cases:
        text = (
            ctx.t(T.STATUS_NOT_FOUND, reference=event.reference)
            if event.reference
            else ctx.t(T.STATUS_NONE)
        )
    else:
        text = join(*(_case_status(ctx, c) for c in event.cases))
    _say_between(ctx, text)


def status_unavailable(ctx: Context, text: str = "") -> None:
    """ "status" where no lookup was made (the terminal chat without a case store)."""
    ctx.reask(ctx.t(T.STATUS_UNAVAILABLE))


def _case_status(ctx: Context, case: CaseStatus) -> str:
    flow = _flow(ctx, case.flow_id)
    service = ctx.t(flow.service.title) if flow is not None else case.flow_id
    lines = [
        ctx.t(
            T.STATUS_LINE,
            reference=case.reference,
            service=service,
            status=_status_label(ctx, case.flow_id, case.status),
        )
    ]
    if case.reason:
        lines.append(ctx.t(T.STATUS_REASON, reason=case.reason))
    for step_id in case.waiting_for:
        document = _document(ctx, case.flow_id, step_id)
        lines.append(ctx.t(T.STATUS_WAITING_DOCUMENT, document=document))
    last = _last(ctx, case)
    if last:
        lines.append(ctx.t(T.STATUS_LAST, message=last))
    return "\n".join(lines)


def _last(ctx: Context, case: CaseStatus) -> str:
    last = case.last
    if isinstance(last, DocumentRequested):
        reason, _ = _reason(ctx, last)
        document = _document(ctx, last.flow_id, last.step)
        return ctx.t(T.DOCUMENT_REFUSED, document=document, reason=reason)
    if isinstance(last, StatusChanged):
        flow = _flow(ctx, last.flow_id)
        spec = flow.status(last.status) if flow is not None else None
        if spec is not None and spec.message:
            return ctx.t(spec.message)
        return ctx.t(T.STATUS_TOLD, status=_status_label(ctx, last.flow_id, last.status))
    return ""


def handle(ctx: Context, event: Event) -> None:
    """An office event, at whatever stage the conversation stands."""
    if isinstance(event, DocumentRequested):
        document_requested(ctx, event)
    elif isinstance(event, StatusChanged):
        status_changed(ctx, event)
    elif isinstance(event, ReminderDue):
        reminder_due(ctx, event)
    elif isinstance(event, StatusLooked):
        status_looked(ctx, event)
    elif isinstance(event, privacy.PRIVACY_EVENTS):
        _say_between(ctx, privacy.told(ctx, event))
