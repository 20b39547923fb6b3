"""Every move of a conversation, as `transitions` definitions: where answering, going back,
the menu, cancelling, resuming, submitting and changing an answer lead, and the named conditions
and callbacks of each. machine.py builds one machine per flow from them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from transitions import EventData

from bot.engine import asides, privacy, summary, welcome
from bot.engine import texts as T
from bot.engine.context import Context
from bot.engine.flow import SUMMARY, Flow
from bot.engine.stages import Stage

Check = Callable[[EventData], bool]
S = Stage


def event_context(event: EventData) -> Context:
    """The model an event moves: always a turn's Context."""
    return cast(Context, event.model)


# --- conditions and callbacks: named, so a drawing of the machine reads as its rules -------------


def _check(name: str, test: Callable[[Context, Mapping[str, Any]], bool]) -> Check:
    def check(event: EventData) -> bool:
        return test(event_context(event), event.kwargs)

    check.__name__ = name
    return check


def _do(action: Callable[[Context], None]) -> Callable[[EventData], None]:
    def callback(event: EventData) -> None:
        action(event_context(event))

    callback.__name__ = action.__name__
    return callback


def _note(msgid: str) -> Callable[[EventData], None]:
    def callback(event: EventData) -> None:
        ctx = event_context(event)
        ctx.note(ctx.t(msgid))

    return callback


def _returning(event: EventData) -> None:
    """Coming back from an aside: the state asks its question again, it is not entered anew
    (photos sent so far at a step stay)."""
    event.kwargs["resume"] = True


def _only_office(ctx: Context, kwargs: Mapping[str, Any]) -> str:
    return str(kwargs.get("office") or ctx.flows.offices[0].id)


straight_to_service = _check(
    "one office", lambda ctx, kw: len(ctx.flows.offices) == 1 and not ctx.has_draft()
)
one_service = _check(
    "one service", lambda ctx, kw: len(ctx.flows.flows_of(_only_office(ctx, kw))) == 1
)
editing_complete = _check("editing", lambda ctx, kw: ctx.s.editing and ctx.complete())
complete = _check("complete", lambda ctx, kw: ctx.complete())


def _answer_is(value: str) -> Check:
    return _check(value, lambda ctx, kw: kw.get("value") == value)


def _back_to(target: str | None) -> Check:
    return _check(
        f"from {target}" if target else "first", lambda ctx, kw: back_target(ctx) == target
    )


def _resumes_at(target: str, default: Stage) -> Check:
    return _check(f"was {target}", lambda ctx, kw: resume_target(ctx, default) == target)


def _changes(target: str) -> Check:
    return _check(target, lambda ctx, kw: kw.get("to") == target)


def back_target(ctx: Context) -> str | None:
    """The step before this one on the answered path (the last one, from the summary); None
    from the first step."""
    s, path = ctx.s, [st.id for st in ctx.path_steps()]
    if s.stage == S.SUMMARY:
        return path[-1]
    i = path.index(s.step) if s.step in path else len(path)
    return path[i - 1] if i > 0 else None


def resume_target(ctx: Context, default: Stage) -> str:
    """Where an aside goes back to: the stage (or step) it remembered."""
    s = ctx.s
    stage = s.resume_stage or default
    return s.step if stage == S.FLOW and s.step else str(stage)


def _select_chosen_flow(event: EventData) -> None:
    ctx = event_context(event)
    welcome.select_flow(ctx, ctx.flows.flows[event.kwargs["flow"]])


def _select_only_flow(event: EventData) -> None:
    ctx = event_context(event)
    welcome.select_flow(ctx, ctx.flows.flows_of(_only_office(ctx, event.kwargs))[0])


def _set_office(event: EventData) -> None:
    ctx = event_context(event)
    welcome.set_office(ctx, _only_office(ctx, event.kwargs))


def _edge(trigger: str, source: str | Sequence[str], dest: str, **more: Any) -> dict[str, Any]:
    """A transition; stage names as plain strings (transitions names an Enum by its .name)."""
    sources = str(source) if isinstance(source, str) else [str(s) for s in source]
    return {"trigger": trigger, "source": sources, "dest": str(dest), **more}


def _to_menu(trigger: str, sources: Sequence[str], **more: Any) -> list[dict[str, Any]]:
    """The menu: the office menu, or straight on when there is one office (and one service)."""
    before = [_do(welcome.remember_draft), *more.pop("before", [])]
    return [
        _edge(trigger, sources, S.OFFICE, unless=[straight_to_service], before=before, **more),
        _edge(
            trigger,
            sources,
            S.REQUIREMENTS,
            conditions=[straight_to_service, one_service],
            before=[*before, _select_only_flow],
            **more,
        ),
        _edge(
            trigger,
            sources,
            S.SERVICE,
            conditions=[straight_to_service],
            before=[*before, _set_office],
            **more,
        ),
    ]


def transitions_of(flow: Flow | None) -> list[dict[str, Any]]:
    """Every move of the conversation for `flow` (None: before a service is chosen)."""
    steps = list(flow.steps) if flow else []
    ids = [st.id for st in steps]
    draft = [S.REQUIREMENTS, *ids, S.SUMMARY, S.EDIT]
    everywhere = [str(s) for s in S if s not in (S.NEW, S.FLOW)] + ids
    out = [
        _edge("greet", S.NEW, S.CONSENT, before=[_do(welcome.say_greeting)]),
        _edge("menu", S.CONSENT, S.CONSENT, before=[_do(welcome.say_greeting)]),
        _edge("decline", S.CONSENT, S.NEW, before=[_do(welcome.forget_everything)]),
        *_to_menu("agree", [S.CONSENT]),
        *_to_menu("menu", [n for n in everywhere if n != S.CONSENT]),
        *_to_menu("back", [S.REQUIREMENTS]),
        *_to_menu("confirm_cancel", [S.CANCEL]),
        _edge(
            "choose_office",
            S.OFFICE,
            S.REQUIREMENTS,
            conditions=[one_service],
            before=[_set_office, _select_only_flow],
        ),
        _edge("choose_office", S.OFFICE, S.SERVICE, before=[_set_office]),
        _edge("choose_service", S.SERVICE, S.REQUIREMENTS, before=[_select_chosen_flow]),
        _edge("back", S.SERVICE, S.OFFICE),
        _edge("cancel", draft, S.CANCEL, before=[_do(asides.remember_stage)]),
        _edge(
            "language",
            [n for n in everywhere if n != S.LANGUAGE],
            S.LANGUAGE,
            before=[_do(asides.remember_stage)],
        ),
        _edge(  # "hapus data saya": asked once, then filed or back (privacy.py)
            "erase",
            [str(S.NEW), *(n for n in everywhere if n != S.ERASE)],
            S.ERASE,
            before=[_do(privacy.remember_stage)],
        ),
        _edge(  # the office asked for a document again: its photo, then back (office.py)
            "revise",
            [str(S.NEW), *(n for n in everywhere if n not in (S.REVISION, S.LANGUAGE))],
            S.REVISION,
            before=[_do(asides.remember_stage)],
        ),
    ]
    for source, trigger, default, targets in (
        (S.OFFICE, "resume", S.REQUIREMENTS, draft),
        (S.SERVICE, "resume", S.REQUIREMENTS, draft),
        (S.CANCEL, "resume", S.REQUIREMENTS, draft),
        (S.CANCEL, "back", S.REQUIREMENTS, draft),
        (S.LANGUAGE, "resume", S.OFFICE, [n for n in everywhere if n != S.LANGUAGE]),
        (S.LANGUAGE, "back", S.REQUIREMENTS, [n for n in everywhere if n != S.LANGUAGE]),
        (S.ERASE, "resume", S.OFFICE, [str(S.NEW), *(n for n in everywhere if n != S.ERASE)]),
        (S.ERASE, "back", S.OFFICE, [str(S.NEW), *(n for n in everywhere if n != S.ERASE)]),
        (S.REVISION, "resume", S.NEW, [str(S.NEW), *(n for n in everywhere if n != S.REVISION)]),
    ):
        out += [
            _edge(
                trigger,
                source,
                t,
                conditions=[_resumes_at(t, default)],
                before=[_returning, _do(asides.forget_resume)],
            )
            for t in targets
        ]
    if flow is None:
        return out
    out.append(_edge("begin", S.REQUIREMENTS, ids[0]))
    for st in steps:
        leads = flow.targets(st)
        out += [
            _edge("answered", st.id, dest, conditions=[_answer_is(value)])
            for value, dest in leads.items()
            if value is not None
        ]
        if None in leads:
            out.append(_edge("answered", st.id, leads[None]))
    for dest in [*ids, SUMMARY]:
        came_from = [st.id for st in steps if dest in flow.targets(st).values()]
        if dest != SUMMARY:
            out.append(_edge("back", dest, S.SUMMARY, conditions=[editing_complete]))
        out += [_edge("back", dest, b, conditions=[_back_to(b)]) for b in came_from]
    out.append(
        _edge(
            "back",
            ids[0],
            S.REQUIREMENTS,
            conditions=[_back_to(None)],
            before=[_note(T.FIRST_STEP)],
        )
    )
    out += [
        _edge("back", S.EDIT, S.SUMMARY),
        _edge(
            "submit", S.SUMMARY, S.SUBMITTED, conditions=[complete], before=[_do(summary.hand_over)]
        ),
        _edge("edit", S.SUMMARY, S.EDIT),
    ]
    out += [
        _edge(
            "change",
            [S.EDIT, S.SUMMARY],
            st.id,
            conditions=[_changes(st.id)],
            before=[_do(summary.start_editing)],
        )
        for st in steps
        if st.kind != "end"
    ]
    return out
