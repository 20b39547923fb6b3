"""One `transitions` machine per flow, built once when the flows load and shared by every
conversation: its states are the conversation's stages and the flow's steps, its transitions
every move a citizen can make. It keeps no conversation: each turn's Context is the model it
moves, and its callbacks only append replies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, cast

from transitions import EventData, Machine, State, Transition

from bot.engine import asides, office, privacy, questions, summary, welcome
from bot.engine.context import Context
from bot.engine.flow import SUMMARY, Flow
from bot.engine.model import Event
from bot.engine.moves import event_context, transitions_of
from bot.engine.stages import Stage
from bot.engine.understanding import Choice

# transitions logs every state change at INFO; a conversation step is not a log event (and the
# lines cost more CPU than the step itself)
logging.getLogger("transitions").setLevel(logging.WARNING)

Ask = Callable[[Context], None]
Read = Callable[[Context, Event], None]
Options = Callable[[Context], "list[Choice] | None"]
S = Stage


class _Move(Transition):
    """A transition run as `Transition.execute` runs it (prepare, conditions, before, the change
    of state with the source's exit and the destination's enter, after), without its debug
    logging: a turn is not a log event, and those lines cost more than the move itself. Every
    callback here is a function of the event, none a name to resolve; the machine has no
    machine-wide callbacks (checked when it is built)."""

    def execute(self, event_data: EventData) -> bool:
        for func in _calls(self.prepare):
            func(event_data)
        if not all(c.check(event_data) for c in self.conditions):
            return False
        for func in _calls(self.before):
            func(event_data)
        if self.dest:
            states = event_data.machine.states
            states[self.source].exit(event_data)
            event_context(event_data).state = self.dest
            event_data.state = dest = states[self.dest]
            dest.enter(event_data)
        for func in _calls(self.after):
            func(event_data)
        return True


_Calls = list[Callable[[EventData], None]]


def _calls(funcs: Any) -> _Calls:
    return cast(_Calls, funcs)


class _Machine(Machine):
    """The conversation's machine: its transitions are _Moves; callbacks are called directly."""

    transition_cls = _Move

    def callbacks(self, funcs: Any, event: EventData) -> None:
        for func in funcs:
            func(event)


class StageState(State):
    """A stage or a step. Entering it runs `arrive` (what entering says and resets), or only
    `ask` when the conversation comes back to it from an aside; `read` reads a reply there."""

    def __init__(
        self,
        name: str,
        ask: Ask,
        read: Read,
        arrive: Ask | None = None,
        options: Options | None = None,
    ) -> None:
        super().__init__(str(name))  # str: transitions names an Enum by its .name
        self.ask, self.read, self.arrive = ask, read, arrive or ask
        self.options = options or _no_options

    def enter(self, event: EventData) -> None:
        """The state's on-enter callback (transitions calls it as the state is entered)."""
        if event.kwargs.get("quiet"):
            return  # passing through (an edit moving on to the first open question)
        (self.ask if event.kwargs.get("resume") else self.arrive)(event_context(event))

    def exit(self, event: EventData) -> None:
        """Leaving a state says nothing."""


def _no_options(ctx: Context) -> list[Choice] | None:
    return None


def _nothing(ctx: Context) -> None:
    """Nothing to ask: the transition said what there was to say."""


def _ignore(ctx: Context, event: Event) -> None:
    """NEW reads nothing: step() greets whatever comes first."""


def states_of(flow: Flow | None) -> list[StageState]:
    steps = flow.steps if flow else ()
    return [
        StageState(S.NEW, ask=_nothing, read=_ignore),
        StageState(
            S.CONSENT, welcome.ask_consent, welcome.read_consent, options=welcome.consent_options
        ),
        StageState(
            S.OFFICE, welcome.ask_office, welcome.read_office, options=welcome.office_options
        ),
        StageState(
            S.SERVICE, welcome.ask_service, welcome.read_service, options=welcome.service_options
        ),
        StageState(
            S.REQUIREMENTS,
            welcome.ask_requirements,
            welcome.read_requirements,
            options=welcome.requirements_options,
        ),
        *(
            StageState(st.id, questions.ask, questions.read, questions.arrive, questions.options)
            for st in steps
        ),
        StageState(
            S.SUMMARY,
            summary.ask_summary,
            summary.read_summary,
            summary.arrive_summary,
            summary.summary_options,
        ),
        StageState(S.EDIT, summary.ask_edit, summary.read_edit, options=summary.edit_options),
        StageState(S.CANCEL, asides.ask_cancel, asides.read_cancel, options=asides.cancel_options),
        StageState(
            S.LANGUAGE, asides.ask_language, asides.read_language, options=asides.language_options
        ),
        StageState(S.SUBMITTED, summary.ask_submitted, summary.read_submitted, _nothing),
        StageState(S.REVISION, office.ask_revision, office.read_revision),
        StageState(S.ERASE, privacy.ask_erase, privacy.read_erase, options=privacy.erase_options),
    ]


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
        machine_wide = ("before_state_change", "after_state_change", "prepare_event")
        assert not any(getattr(self._machine, name) for name in machine_wide), "see _Move"
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
