"""One `transitions` machine per flow, built once when the flows load and shared by every
conversation: its states are the conversation's stages and the flow's steps, its transitions
every move a citizen can make. It keeps no conversation: each turn's Context is the model it
moves, and its callbacks only append replies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from transitions import EventData, Machine, State

from bot.engine import asides, questions, summary, welcome
from bot.engine import texts as T
from bot.engine.context import Context
from bot.engine.flow import SUMMARY, Flow
from bot.engine.model import Event
from bot.engine.stages import Stage

# transitions logs every state change at INFO; a conversation step is not a log event (and the
# lines cost more CPU than the step itself)
logging.getLogger("transitions").setLevel(logging.WARNING)

Ask = Callable[[Context], None]
Read = Callable[[Context, Event], None]
Check = Callable[[EventData], bool]
S = Stage


class _Machine(Machine):
    """Every callback here is a function of the event (none is named by a string), and a turn
    is not a log event: callbacks are called directly, without resolving or logging each."""

    def callbacks(self, funcs: Any, event: EventData) -> None:
        for func in funcs:
            func(event)


class StageState(State):
    """A stage or a step. Entering it runs `arrive` (what entering says and resets), or only
    `ask` when the conversation comes back to it from an aside; `read` reads a reply there."""

    def __init__(self, name: str, ask: Ask, read: Read, arrive: Ask | None = None) -> None:
        super().__init__(str(name))  # str: transitions names an Enum by its .name
        self.ask, self.read, self.arrive = ask, read, arrive or ask

    def enter(self, event: EventData) -> None:
        """The state's on-enter callback (transitions calls it as the state is entered)."""
        if event.kwargs.get("quiet"):
            return  # passing through (an edit moving on to the first open question)
        (self.ask if event.kwargs.get("resume") else self.arrive)(_ctx(event))

    def exit(self, event: EventData) -> None:
        """Leaving a state says nothing."""


def _ctx(event: EventData) -> Context:
    """The model an event moves: always a turn's Context."""
    return cast(Context, event.model)


def _nothing(ctx: Context) -> None:
    """Nothing to ask: the transition said what there was to say."""


def _ignore(ctx: Context, event: Event) -> None:
    """NEW reads nothing: step() greets whatever comes first."""


# --- conditions and callbacks: named, so a drawing of the machine reads as its rules -------------


def _check(name: str, test: Callable[[Context, Mapping[str, Any]], bool]) -> Check:
    def check(event: EventData) -> bool:
        return test(_ctx(event), event.kwargs)

    check.__name__ = name
    return check


def _do(action: Callable[[Context], None]) -> Callable[[EventData], None]:
    def callback(event: EventData) -> None:
        action(_ctx(event))

    callback.__name__ = action.__name__
    return callback


def _note(msgid: str) -> Callable[[EventData], None]:
    def callback(event: EventData) -> None:
        ctx = _ctx(event)
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
    ctx = _ctx(event)
    welcome.select_flow(ctx, ctx.flows.flows[event.kwargs["flow"]])


def _select_only_flow(event: EventData) -> None:
    ctx = _ctx(event)
    welcome.select_flow(ctx, ctx.flows.flows_of(_only_office(ctx, event.kwargs))[0])


def _set_office(event: EventData) -> None:
    ctx = _ctx(event)
    welcome.set_office(ctx, _only_office(ctx, event.kwargs))


# --- the machine --------------------------------------------------------------------------------


def _edge(trigger: str, source: str | Sequence[str], dest: str, **more: Any) -> dict[str, Any]:
    """A transition; stage names as plain strings (transitions names an Enum by its .name)."""
    sources = str(source) if isinstance(source, str) else [str(s) for s in source]
    return {"trigger": trigger, "source": sources, "dest": str(dest), **more}


def states_of(flow: Flow | None) -> list[StageState]:
    steps = flow.steps if flow else ()
    return [
        StageState(S.NEW, ask=_nothing, read=_ignore),
        StageState(S.CONSENT, ask=welcome.ask_consent, read=welcome.read_consent),
        StageState(S.OFFICE, ask=welcome.ask_office, read=welcome.read_office),
        StageState(S.SERVICE, ask=welcome.ask_service, read=welcome.read_service),
        StageState(S.REQUIREMENTS, ask=welcome.ask_requirements, read=welcome.read_requirements),
        *(
            StageState(st.id, ask=questions.ask, read=questions.read, arrive=questions.arrive)
            for st in steps
        ),
        StageState(S.SUMMARY, summary.ask_summary, summary.read_summary, summary.arrive_summary),
        StageState(S.EDIT, ask=summary.ask_edit, read=summary.read_edit),
        StageState(S.CANCEL, ask=asides.ask_cancel, read=asides.read_cancel),
        StageState(S.LANGUAGE, ask=asides.ask_language, read=asides.read_language),
        StageState(S.SUBMITTED, summary.ask_submitted, summary.read_submitted, _nothing),
    ]


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
    everywhere = [st.name for st in states_of(flow) if st.name != S.NEW]
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
    ]
    for source, trigger, default, targets in (
        (S.OFFICE, "resume", S.REQUIREMENTS, draft),
        (S.SERVICE, "resume", S.REQUIREMENTS, draft),
        (S.CANCEL, "resume", S.REQUIREMENTS, draft),
        (S.CANCEL, "back", S.REQUIREMENTS, draft),
        (S.LANGUAGE, "resume", S.OFFICE, [n for n in everywhere if n != S.LANGUAGE]),
        (S.LANGUAGE, "back", S.REQUIREMENTS, [n for n in everywhere if n != S.LANGUAGE]),
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
            S.EDIT,
            st.id,
            conditions=[_changes(st.id)],
            before=[_do(summary.start_editing)],
        )
        for st in steps
        if st.kind != "end"
    ]
    return out


class FlowMachine:
    """The conversation for one flow (or, with no flow, up to choosing a service)."""

    def __init__(self, flow: Flow | None) -> None:
        self.flow = flow
        self.spec = transitions_of(flow)
        self._machine = _Machine(
            model=None,
            states=states_of(flow),
            transitions=self.spec,
            initial=str(S.NEW),
            auto_transitions=False,
            send_event=True,
        )
        self._events = self._machine.events
        self._states: Mapping[str, StageState] = self._machine.states  # type: ignore[assignment]
        self._next: dict[tuple[str, str | None], str] = {}
        self._branches = {
            st.id: frozenset(v for v in flow.targets(st) if v is not None)
            for st in (flow.steps if flow is not None else ())
            if flow is not None
        }

    def state(self, name: str) -> StageState:
        return self._states[name]

    @property
    def state_names(self) -> list[str]:
        """The stages (FLOW is not one: each step stands for it) and the flow's steps."""
        return list(self._states)

    def fire(self, ctx: Context, trigger: str, **kwargs: Any) -> bool:
        """Take the first of `trigger`'s transitions from where `ctx` stands whose conditions
        hold, as `Event.trigger` does, less its queue, its logging and its warning for a move
        that does not exist here (False)."""
        event = self._events.get(trigger)
        moves = event.transitions.get(ctx.state) if event is not None else None
        if not moves:
            return False
        data = EventData(self._states[ctx.state], event, self._machine, ctx, (), kwargs)
        for move in moves:
            data.transition = move
            if move.execute(data):
                return True
        return False

    def next(self, state: str, value: Any) -> str:
        """Where answering `state` with `value` leads: the machine's `answered` transitions,
        tried without moving anything (a pure function of the two, so it is remembered)."""
        branch = isinstance(value, str) and value in self._branches.get(state, ())
        key = (state, value if branch else None)
        dest = self._next.get(key)
        if dest is None:
            event = EventData(
                self.state(state),
                self._events["answered"],
                self._machine,
                None,
                (),
                {"value": value},
            )
            dest = next(
                str(t.dest)
                for t in self._events["answered"].transitions[state]
                if all(c.check(event) for c in t.conditions)
            )
            self._next[key] = dest
        return dest

    def path(self, answers: Mapping[str, Any]) -> list[str]:
        """The steps the current answers walk through, up to the first unanswered one (or the
        summary, or an end step). Answers to steps off this path no longer count."""
        assert self.flow is not None
        steps: list[str] = []
        state = self.flow.steps[0].id
        while state != SUMMARY:
            steps.append(state)
            if state not in answers or self.flow.step(state).kind == "end":
                break
            state = self.next(state, answers[state])
        else:
            steps.append(SUMMARY)
        return steps
