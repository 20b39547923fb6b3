"""A turn in progress: the session it changes, the replies so far, and a way to move along the
shared machine of the session's flow (the Context is that machine's model for one turn)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.engine.flow import SUMMARY, Flow, Step
from bot.engine.i18n import Translator
from bot.engine.model import Action, AskChoice, Option, SendText, Session
from bot.engine.stages import DRAFT, STAGE_NAMES, Stage

if TYPE_CHECKING:
    from bot.engine.flowset import FlowSet
    from bot.engine.machine import FlowMachine


def join(*parts: str | None) -> str:
    """Paragraphs of one message, the empty ones left out."""
    return "\n\n".join(p for p in parts if p)


class Context:
    __slots__ = ("_notes", "flows", "keep", "now", "offered", "out", "s", "tr")

    def __init__(self, flows: FlowSet, session: Session, now: datetime) -> None:
        self.flows = flows
        self.s = session
        self.now = now
        self.out: list[Action] = []
        self.keep = True  # False: the citizen declined, nothing of the conversation is stored
        self.tr: Translator = flows.tr(session.lang)
        self._notes: list[str] = []
        # the options of the clarifying question the citizen is answering, if one was asked
        self.offered: tuple[str, ...] = tuple(session.clarify)
        session.clarify = []

    # --- the machine's model ------------------------------------------------------------------

    @property
    def state(self) -> str:
        """Where the conversation stands, as the machine names it: a stage, or a step's id."""
        s = self.s
        return s.step if s.stage == Stage.FLOW and s.step else str(s.stage)

    @state.setter
    def state(self, name: str) -> None:
        if name in STAGE_NAMES:
            self.s.stage = Stage(name)
        else:
            self.s.stage, self.s.step = Stage.FLOW, name

    @property
    def machine(self) -> FlowMachine:
        return self.flows.machine_of(self.s.flow_id)

    def fire(self, trigger: str, **kwargs: Any) -> bool:
        """Move along `trigger` from where the conversation stands; the state entered asks its
        question. False when no such move leaves here (or none of its conditions holds)."""
        return self.machine.fire(self, trigger, **kwargs)

    def reask(self, note: str | None = None) -> None:
        """Ask the question where the conversation stands again, after `note`."""
        self.note(note)
        self.machine.state(self.state).ask(self)

    # --- what the bot says --------------------------------------------------------------------

    def note(self, text: str | None) -> None:
        """Something to say before the next question (several are joined in order)."""
        if text:
            self._notes.append(text)

    def take_note(self) -> str | None:
        notes, self._notes = self._notes, []
        return join(*notes) or None

    def t(self, msgid: str, **kwargs: object) -> str:
        return self.tr.t(msgid, **kwargs)

    def say(self, text: str) -> None:
        self.out.append(SendText(text))

    def ask(self, text: str, pairs: Sequence[tuple[str, str]]) -> None:
        """A question with engine-made options: (value, msgid) pairs."""
        self.out.append(AskChoice(text, tuple(Option(v, self.t(m)) for v, m in pairs)))

    # --- the application under way ------------------------------------------------------------

    @property
    def flow(self) -> Flow:
        assert self.s.flow_id is not None
        return self.flows.flows[self.s.flow_id]

    @property
    def current_step(self) -> Step:
        return self.flow.step(self.s.step or "")

    def path(self) -> list[str]:
        """The steps the answers walk through (see FlowMachine.path)."""
        return self.flows.machines[self.flow.id].path(self.s.answers)

    def path_steps(self) -> list[Step]:
        """The answered path's steps, without the summary."""
        return [self.flow.step(sid) for sid in self.path() if sid != SUMMARY]

    def complete(self) -> bool:
        return self.path()[-1] == SUMMARY

    def has_draft(self) -> bool:
        """Something worth resuming: answers given, and not stopped at an end step."""
        s = self.s
        return s.flow_id is not None and bool(s.answers) and (s.resume_stage or s.stage) in DRAFT
