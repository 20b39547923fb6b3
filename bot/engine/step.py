"""The conversation: step(flows, session, event, now) -> Turn(session, actions).
Pure: no I/O, no clock (the caller passes `now`), no randomness (references come from the seed)."""

from __future__ import annotations

from datetime import datetime

from bot.engine import office, privacy
from bot.engine import texts as T
from bot.engine.asides import COMMANDS as RUN_COMMAND
from bot.engine.asides import switch_language
from bot.engine.context import Context
from bot.engine.flowset import FlowSet
from bot.engine.model import (
    ErasureFiled,
    Event,
    FileErasure,
    PhotoRejected,
    Session,
    TextReceived,
    Turn,
    Unsupported,
)
from bot.engine.stages import Stage, position
from bot.engine.texts import ENGINE_TEXTS
from bot.engine.understanding import Heard, Reading, command_of, hear, read_choice
from bot.engine.understanding import lexicon as L
from bot.engine.understanding.options import matcher
from bot.engine.welcome import reset

# Words that may stand beside an option's own words when a command word answers the question.
_PLAIN = L.DROPPABLE | L.YES | L.NO

__all__ = [
    "ENGINE_TEXTS",
    "command_of",
    "filed",
    "new_session",
    "position",
    "step",
    "wants_data",
    "wants_photo",
    "wants_status",
]
wants_status = office.wants_status
wants_data = privacy.wants_data


def new_session(
    channel: str, chat_id: str, seed: str, expired_days: float | None = None
) -> Session:
    """A conversation from the start; `expired_days` when this chat's previous one expired after
    that many days (the engine tells the citizen in its first turn)."""
    return Session(channel=channel, chat_id=chat_id, seed=seed, expired_days=expired_days)


def wants_photo(flows: FlowSet, session: Session) -> bool:
    """True when the conversation is waiting for a photo: only then is media downloaded."""
    if session.stage == Stage.REVISION:
        return True  # a document the office asked for again (office.py)
    flow = flows.flows.get(session.flow_id or "")
    if session.stage != Stage.FLOW or flow is None or not session.step:
        return False
    return flow.has_step(session.step) and flow.step(session.step).kind == "photo"


def _command(ctx: Context, heard: Heard) -> str | None:
    """The command a message is, unless the question being asked has options whose own words
    it is ("stop" where "Tidak, berhenti dulu" also says "stop", "batal" when asked "Batalkan
    pengajuan ini?"): then it answers the question."""
    name = command_of(heard)
    if name is None:
        return None
    options = ctx.machine.state(ctx.state).options(ctx)
    if options:
        m = matcher(tuple(options))
        if heard.key in m.exact or (
            heard.content
            and all(w in m.words or w in _PLAIN for w in heard.content)
            and _reads_as_answer(read_choice(heard, options, ctx.offered))
        ):
            return None
    return name


def _reads_as_answer(reading: Reading) -> bool:
    """An option, or two the citizen will be asked to choose between ("ya berhenti" at "stop
    or go on?" asks which, never stops reminders instead)."""
    return reading.value is not None or bool(reading.readings)


def step(flows: FlowSet, session: Session, event: Event, now: datetime) -> Turn:
    """Advance one conversation by one event. Never raises for anything a citizen can send."""
    ctx = Context(flows, session.copy(), now)
    s = ctx.s
    if s.flow_id is not None and s.flow_id not in flows.flows:
        reset(s)  # the service was removed since this session was saved
        s.stage = Stage.OFFICE
    if isinstance(event, office.OFFICE_EVENTS):
        office.handle(ctx, event)  # not the citizen's message: their last one stays the last
        return Turn(ctx.s, tuple(ctx.out))
    if s.expired_days is not None:  # the runtime found only an expired conversation
        ctx.say(ctx.t(T.SESSION_EXPIRED, days=f"{s.expired_days:g}"))
        s.expired_days = None
    heard = hear(event.text) if isinstance(event, TextReceived) else None
    if s.stage == Stage.NEW and heard is not None and command_of(heard) == "erase":
        RUN_COMMAND["erase"](ctx, heard.text)  # a returning citizen's first words: no greeting
    elif s.stage == Stage.NEW:
        if heard is not None and command_of(heard) == "language":
            switch_language(ctx, event.text if isinstance(event, TextReceived) else "", False)
        ctx.fire("greet")
    elif heard is not None and (cmd := _command(ctx, heard)):
        RUN_COMMAND[cmd](ctx, heard.text)
    elif isinstance(event, Unsupported):
        ctx.reask(ctx.t(T.UNSUPPORTED.get(event.kind, T.UNSUPPORTED_OTHER)))
    elif isinstance(event, PhotoRejected):
        ctx.reask(ctx.t(T.REJECTED.get(event.reason, T.REJECTED_FORMAT)))
    else:
        ctx.machine.state(ctx.state).read(ctx, event)
    ctx.s.updated_at = now
    return Turn(ctx.s, tuple(ctx.out), keep=ctx.keep)


def filed(flows: FlowSet, turn: Turn, done: ErasureFiled, now: datetime) -> Turn:
    """A turn that asked to file a deletion request (FileErasure), finished with what the
    runtime did: the request's action replaced by what the engine says of it."""
    told = step(flows, turn.session, done, now)
    actions = [a for a in turn.actions if not isinstance(a, FileErasure)]
    return Turn(told.session, (*actions, *told.actions), turn.keep)
