"""The citizen's own data, as UU PDP 27/2022 lets them ask: "data saya" shows what the office keeps
about this chat (the answers and the list of documents, never the photos), and "hapus data saya"
asks, once, for an unambiguous yes before a deletion request is filed; the office's admin decides
and the citizen is told. Pure like the rest of the engine: the runtime looks up and files, and
hands in what it found or did as events (DataLooked, ErasureFiled); the decision comes back from
the desk as an office event (ErasureDecided)."""

from __future__ import annotations

from bot.engine import texts as T
from bot.engine.context import Context, join
from bot.engine.model import (
    CaseData,
    DataLooked,
    ErasureDecided,
    ErasureFiled,
    Event,
    FileErasure,
    Tell,
    TextReceived,
)
from bot.engine.picking import Offer, choices, clarify, offer, pick, unclear
from bot.engine.stages import ASIDES, DRAFT, Stage
from bot.engine.understanding import Choice, command_of
from bot.engine.welcome import reset

ERASE = (
    Offer(
        "ya",
        T.ERASE_YES,
        ("hapus", "hapus saja", "hapus data", "hapus data saya", "delete", "yes delete"),
        "yes",
        careful=True,
    ),
    Offer(
        "tidak",
        T.ERASE_NO,
        (
            "lanjut",
            "lanjutkan",
            "tidak jadi",
            "jangan",
            "jangan dihapus",
            "jangan hapus",
            "batal",
            "keep",
            "tidak usah",
            "tetap",
        ),
        "no",
    ),
)
DECISIONS = {
    "pending": T.DOCUMENT_PENDING,
    "accepted": T.DOCUMENT_ACCEPTED,
    "refused": T.DOCUMENT_REFUSED_SHORT,
}


# --- what the runtime asks before a turn ---------------------------------------------------------


def wants_data(event: Event) -> bool:
    """ "data saya": the runtime looks up what the office keeps about this chat first."""
    return isinstance(event, TextReceived) and command_of(event.text) == "mydata"


# --- the office's words --------------------------------------------------------------------------


def _office_name(ctx: Context, office_id: str) -> str:
    office = next((o for o in ctx.flows.offices if o.id == office_id), None)
    return ctx.t(office.name) if office is not None else office_id


def _offices(ctx: Context, ids: tuple[str, ...]) -> str:
    return ", ".join(_office_name(ctx, i) for i in ids)


def _service(ctx: Context, flow_id: str) -> str:
    flow = ctx.flows.flows.get(flow_id)
    return ctx.t(flow.service.title) if flow is not None else flow_id


def _label(ctx: Context, flow_id: str, step_id: str, kept: str) -> str:
    """A step's label in the citizen's language (the one kept, when the flow no longer has it)."""
    flow = ctx.flows.flows.get(flow_id)
    label = flow.step(step_id).label if flow is not None and flow.has_step(step_id) else None
    return ctx.t(label) if label else (kept or step_id)


def _status(ctx: Context, flow_id: str, status: str) -> str:
    flow = ctx.flows.flows.get(flow_id)
    spec = flow.status(status) if flow is not None else None
    return ctx.t(spec.label) if spec is not None else status


# --- "data saya" ---------------------------------------------------------------------------------


def _case_data(ctx: Context, case: CaseData) -> str:
    service = _service(ctx, case.flow_id)
    if case.purged:
        return ctx.t(T.DATA_PURGED, reference=case.reference, service=service)
    lines = [
        ctx.t(
            T.DATA_CASE,
            reference=case.reference,
            service=service,
            office=_office_name(ctx, case.office_id),
            status=_status(ctx, case.flow_id, case.status),
        )
    ]
    if case.answers:
        lines.append(ctx.t(T.DATA_ANSWERS))
        lines += [
            f"- {_label(ctx, case.flow_id, step, label)}: {value}"
            for step, label, value in case.answers
        ]
    if case.documents:
        lines.append(ctx.t(T.DATA_DOCUMENTS))
        lines += [
            f"- {_label(ctx, case.flow_id, step, label)}: "
            + ctx.t(DECISIONS.get(decision, T.DOCUMENT_PENDING))
            for step, label, decision in case.documents
        ]
    return "\n".join(lines)


def data_looked(ctx: Context, event: DataLooked) -> str:
    draft = ctx.t(T.DATA_DRAFT, service=ctx.t(ctx.flow.service.title)) if ctx.has_draft() else None
    if event.cases is None:
        text = ctx.t(T.DATA_UNAVAILABLE)
    elif not event.cases:
        text = join(ctx.t(T.DATA_NONE) if draft is None else None, draft)
    else:
        text = join(
            ctx.t(T.DATA_HEAD),
            *(_case_data(ctx, c) for c in event.cases),
            draft,
            ctx.t(T.DATA_HOW_TO_ERASE) if any(not c.purged for c in event.cases) else None,
        )
    return text


def data_unavailable(ctx: Context, text: str = "") -> None:
    """ "data saya" where no lookup was made (the terminal chat without a case store)."""
    ctx.reask(ctx.t(T.DATA_UNAVAILABLE))


# --- "hapus data saya" ---------------------------------------------------------------------------


def remember_stage(ctx: Context) -> None:
    """Where "no" goes back to: from another aside (cancel, the menu over a draft, ...), where
    that aside would have gone back to, so a draft under it is still seen (and deleted on yes)."""
    s = ctx.s
    if s.stage not in ASIDES or s.resume_stage is None:
        s.resume_stage = s.stage


def erase(ctx: Context, text: str = "") -> None:
    if not ctx.fire("erase"):  # asked already: the question again
        ctx.reask()


def erase_options(ctx: Context) -> list[Choice]:
    return choices(ctx, ERASE)


def ask_erase(ctx: Context) -> None:
    offer(ctx, join(ctx.take_note(), ctx.t(T.ERASE_ASK)), ERASE)


def read_erase(ctx: Context, event: Event) -> None:
    """Files the request only on an unambiguous yes; "lanjut" or "tidak" changes nothing."""
    options = erase_options(ctx)
    reading = pick(ctx, event, options)
    if reading.value == "ya":
        s = ctx.s
        back = s.resume_stage
        if ctx.has_draft():  # deleted at once: it never reached the office
            ctx.say(ctx.t(T.ERASE_DRAFT_DELETED))
        if back is None or back in DRAFT:
            reset(s)
            back = Stage.OFFICE
        s.stage, s.resume_stage = back, None
        ctx.out.append(FileErasure())  # the runtime files it, then says what it did
    elif reading.value == "tidak" and ctx.s.resume_stage in (None, Stage.NEW):
        ctx.s.stage, ctx.s.resume_stage = Stage.NEW, None  # nothing asked before: nothing to ask
        ctx.say(ctx.t(T.ERASE_KEPT))
    elif reading.value == "tidak":
        ctx.note(ctx.t(T.ERASE_KEPT))
        ctx.fire("resume")
    elif reading.readings:
        clarify(ctx, reading.readings, options)
    else:
        ctx.reask(unclear(ctx, event, T.HOW_YES_NO))


def erasure_filed(ctx: Context, event: ErasureFiled) -> str:
    """What became of the confirmed request (the runtime's part), said after the draft's fate."""
    if event.offices is None:
        text = ctx.t(T.ERASE_UNAVAILABLE)
    elif not event.offices and not event.pending:
        text = ctx.t(T.ERASE_NOTHING)
    else:
        text = join(
            ctx.t(T.ERASE_FILED, offices=_offices(ctx, event.offices)) if event.offices else None,
            ctx.t(T.ERASE_ALREADY, offices=_offices(ctx, event.pending)) if event.pending else None,
        )
    return text


def erasure_decided(ctx: Context, event: ErasureDecided) -> str:
    """The admin's decision, from the desk: told wherever the conversation stands."""
    office = _office_name(ctx, event.office_id)
    references = ", ".join(event.references)
    outcome = ctx.t(T.ERASE_OUTCOME_APPROVED if event.approved else T.ERASE_OUTCOME_REFUSED)
    values = {"office": office, "outcome": outcome, "reason": event.reason,
              "references": references}  # fmt: skip
    ctx.out.append(Tell("privacy_request", tuple(sorted(values.items()))))
    if event.approved:  # the office no longer waits for anything of those cases
        ctx.s.awaiting = [e for e in ctx.s.awaiting if e["ref"] not in event.references]
        text = ctx.t(T.ERASE_APPROVED, office=office, references=references)
    else:
        text = join(
            ctx.t(T.ERASE_REFUSED, office=office),
            ctx.t(T.ERASE_REFUSED_REASON, reason=event.reason) if event.reason else None,
        )
    return text


PRIVACY_EVENTS = (DataLooked, ErasureFiled, ErasureDecided)


def told(ctx: Context, event: DataLooked | ErasureFiled | ErasureDecided) -> str:
    """What to say for one of these events; office.py says it, between whatever is under way."""
    if isinstance(event, DataLooked):
        return data_looked(ctx, event)
    if isinstance(event, ErasureFiled):
        return erasure_filed(ctx, event)
    return erasure_decided(ctx, event)
