"""The conversation: step(flows, session, event, now) -> Turn(session, actions).
Pure: no I/O, no clock (the caller passes `now`), no randomness (references come from the seed)."""

from __future__ import annotations

from datetime import datetime

from bot.engine import texts as T
from bot.engine.answers import normalize
from bot.engine.asides import COMMANDS as RUN_COMMAND
from bot.engine.asides import switch_language
from bot.engine.context import Context
from bot.engine.flowset import FlowSet
from bot.engine.model import Event, PhotoRejected, Session, TextReceived, Turn, Unsupported
from bot.engine.stages import Stage, position
from bot.engine.texts import ENGINE_TEXTS
from bot.engine.welcome import reset

__all__ = ["ENGINE_TEXTS", "new_session", "position", "step", "wants_photo"]

COMMANDS: dict[str, frozenset[str]] = {
    "menu": frozenset({"menu", "/start", "mulai lagi", "home", "beranda", "menu utama"}),
    "back": frozenset({"kembali", "back", "balik", "mundur", "sebelumnya", "undo"}),
    "cancel": frozenset({"batal", "batalkan", "cancel"}),
    "help": frozenset({"bantuan", "help", "tolong", "bantu", "info", "panduan"}),
    "language": frozenset(
        {
            "bahasa",
            "language",
            "english",
            "inggris",
            "bahasa inggris",
            "bahasa indonesia",
            "indonesia",
        }
    ),
}


def new_session(channel: str, chat_id: str, seed: str) -> Session:
    return Session(channel=channel, chat_id=chat_id, seed=seed)


def wants_photo(flows: FlowSet, session: Session) -> bool:
    """True when the conversation is waiting for a photo: only then is media downloaded."""
    flow = flows.flows.get(session.flow_id or "")
    if session.stage != Stage.FLOW or flow is None or not session.step:
        return False
    return flow.has_step(session.step) and flow.step(session.step).kind == "photo"


def command_of(text: str) -> str | None:
    """The command a message is, if it is one: a command word alone, or Telegram's /start."""
    raw = text.strip().casefold()
    if raw == "/start":
        return "menu"
    t = normalize(raw.lstrip("/"))
    for name, words in COMMANDS.items():
        if t in words:
            return name
    return None


def step(flows: FlowSet, session: Session, event: Event, now: datetime) -> Turn:
    """Advance one conversation by one event. Never raises for anything a citizen can send."""
    ctx = Context(flows, session.copy(), now)
    s = ctx.s
    if s.flow_id is not None and s.flow_id not in flows.flows:
        reset(s)  # the service was removed since this session was saved
        s.stage = Stage.OFFICE
    if s.stage == Stage.NEW:
        if isinstance(event, TextReceived) and command_of(event.text) == "language":
            switch_language(ctx, event.text, announce=False)
        ctx.fire("greet")
    elif isinstance(event, TextReceived) and (cmd := command_of(event.text)):
        RUN_COMMAND[cmd](ctx, event.text)
    elif isinstance(event, Unsupported):
        ctx.reask(ctx.t(T.UNSUPPORTED.get(event.kind, T.UNSUPPORTED_OTHER)))
    elif isinstance(event, PhotoRejected):
        ctx.reask(ctx.t(T.REJECTED.get(event.reason, T.REJECTED_FORMAT)))
    else:
        ctx.machine.state(ctx.state).read(ctx, event)
    ctx.s.updated_at = now
    return Turn(ctx.s, tuple(ctx.out))
