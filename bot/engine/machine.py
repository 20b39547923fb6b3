"""One `transitions` state machine per flow, built once when the flows load, shared by sessions.
The machine only decides where an answer leads; it keeps no conversation of its own."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from transitions import EventData, Machine

from bot.engine.flow import SUMMARY, Flow

# transitions logs every state change at INFO; a conversation step is not a log event (and the
# lines cost more CPU than the step itself)
logging.getLogger("transitions").setLevel(logging.WARNING)

REQUIREMENTS = "requirements"
SUBMITTED = "submitted"


class _Cursor:
    """A throw-away model: the shared machine moves it and we read where it landed."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def _answer_is(value: str) -> Callable[[EventData], bool]:
    def condition(event: EventData) -> bool:
        return bool(event.kwargs.get("value") == value)

    condition.__name__ = f"answer_is_{value}"
    return condition


def transitions_of(flow: Flow) -> list[dict[str, Any]]:
    """The flow as `transitions` definitions: `answered` moves a step on, conditioned on the
    answer's value for branches, unconditionally for the default."""
    out: list[dict[str, Any]] = [
        {"trigger": "begin", "source": REQUIREMENTS, "dest": flow.steps[0].id},
        {"trigger": "submit", "source": SUMMARY, "dest": SUBMITTED},
    ]
    for step in flow.steps:
        targets = flow.targets(step)
        for value, dest in targets.items():
            if value is not None:
                out.append(
                    {
                        "trigger": "answered",
                        "source": step.id,
                        "dest": dest,
                        "conditions": [_answer_is(value)],
                    }
                )
        if None in targets:
            out.append({"trigger": "answered", "source": step.id, "dest": targets[None]})
    return out


def states_of(flow: Flow) -> list[str]:
    return [REQUIREMENTS, *(s.id for s in flow.steps), SUMMARY, SUBMITTED]


class FlowMachine:
    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._machine = Machine(
            model=None,
            states=states_of(flow),
            transitions=transitions_of(flow),
            initial=REQUIREMENTS,
            auto_transitions=False,
            send_event=True,
        )
        self._answered = self._machine.events["answered"]

    def next(self, state: str, value: Any) -> str:
        """Where answering `state` with `value` leads."""
        cursor = _Cursor(state)
        self._answered.trigger(cursor, value=value)
        return cursor.state

    def path(self, answers: Mapping[str, Any]) -> list[str]:
        """The steps the current answers walk through, up to the first unanswered one (or the
        summary, or an end step). Answers to steps off this path no longer count."""
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
