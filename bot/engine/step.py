"""The conversation: step(flows, session, event, now) -> Turn(session, actions).
Pure: no I/O, no clock (the caller passes `now`), no randomness (references come from the seed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.engine import texts as T
from bot.engine.answers import (
    Choice,
    Parsed,
    normalize,
    parse_choice,
    parse_kk,
    parse_nik,
    parse_phone,
    parse_yes_no,
)
from bot.engine.flow import SUMMARY, Flow, Step
from bot.engine.flowset import FlowSet
from bot.engine.i18n import Translator
from bot.engine.model import (
    Action,
    AnswerItem,
    AskChoice,
    ChoiceMade,
    ContactShared,
    Dossier,
    Event,
    MediaRef,
    Option,
    PhotoReceived,
    PhotoRejected,
    RequestContact,
    RequestPhoto,
    SendText,
    Session,
    SubmitDossier,
    TextReceived,
    Turn,
    Unsupported,
)
from bot.engine.reference import make_reference
from bot.engine.texts import ENGINE_TEXTS

__all__ = ["ENGINE_TEXTS", "new_session", "step", "wants_photo"]

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
DONE_WORDS = frozenset(
    {"selesai", "sudah", "sdh", "udah", "done", "cukup", "lanjut", "next", "keep"}
)
SKIP_WORDS = frozenset({"lewati", "lewat", "skip", "lompat"})
LATER_WORDS = frozenset({"nanti", "besok", "nyusul", "menyusul", "later", "tomorrow", "belum"})
# Stages where a conversation for a service is under way and can be resumed or cancelled.
DRAFT_STAGES = frozenset({"requirements", "flow", "summary", "edit"})


def new_session(channel: str, chat_id: str, seed: str) -> Session:
    return Session(channel=channel, chat_id=chat_id, seed=seed)


def wants_photo(flows: FlowSet, session: Session) -> bool:
    """True when the conversation is waiting for a photo: only then is media downloaded."""
    flow = flows.flows.get(session.flow_id or "")
    if session.stage != "flow" or flow is None or not session.step:
        return False
    return flow.has_step(session.step) and flow.step(session.step).kind == "photo"


# Stages that stand in front of a conversation under way and remember it in `resume_stage`.
_ASIDE = frozenset({"cancel", "language", "office", "service"})


def position(session: Session) -> tuple[str, str] | None:
    """Where an application under way stands, as (flow id, step): the flow step being asked,
    or `requirements` / `summary`; None when no service has been chosen or nothing is under way.
    No personal data: the session store keeps it beyond the session to count expiries."""
    stage = session.stage
    if stage in _ASIDE and session.resume_stage:
        stage = session.resume_stage
    if session.flow_id is None or stage not in DRAFT_STAGES:
        return None
    if stage == "flow":
        return (session.flow_id, session.step) if session.step else None
    return session.flow_id, "summary" if stage == "edit" else stage


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


class _Ctx:
    __slots__ = ("flows", "now", "out", "s", "tr")

    def __init__(self, flows: FlowSet, session: Session, now: datetime) -> None:
        self.flows = flows
        self.s = session
        self.now = now
        self.out: list[Action] = []
        self.tr: Translator = flows.tr(session.lang)

    def t(self, msgid: str, **kwargs: object) -> str:
        return self.tr.t(msgid, **kwargs)

    def say(self, text: str) -> None:
        self.out.append(SendText(text))

    @property
    def flow(self) -> Flow:
        assert self.s.flow_id is not None
        return self.flows.flows[self.s.flow_id]

    def choices(self, pairs: Sequence[tuple[str, str]]) -> list[Choice]:
        """Engine-made options: (value, msgid) pairs, understood in every language."""
        return [Choice(v, self._labels(m)) for v, m in pairs]

    def _labels(self, msgid: str) -> tuple[str, ...]:
        return tuple({msgid, self.t(msgid)})

    def ask(self, text: str, pairs: Sequence[tuple[str, str]]) -> None:
        self.out.append(AskChoice(text, tuple(Option(v, self.t(m)) for v, m in pairs)))


def _join(*parts: str | None) -> str:
    return "\n\n".join(p for p in parts if p)


def step(flows: FlowSet, session: Session, event: Event, now: datetime) -> Turn:
    """Advance one conversation by one event. Never raises for anything a citizen can send."""
    ctx = _Ctx(flows, session.copy(), now)
    s = ctx.s
    if s.flow_id is not None and s.flow_id not in flows.flows:
        _reset(s)  # the service was removed since this session was saved
        s.stage = "office"
    if s.stage == "new":
        if isinstance(event, TextReceived) and command_of(event.text) == "language":
            _switch_language(ctx, event.text, announce=False)
        _greet(ctx)
    elif isinstance(event, TextReceived) and (cmd := command_of(event.text)):
        _COMMANDS[cmd](ctx, event.text)
    elif isinstance(event, Unsupported):
        _prompt(ctx, ctx.t(T.UNSUPPORTED.get(event.kind, T.UNSUPPORTED_OTHER)))
    elif isinstance(event, PhotoRejected):
        _prompt(ctx, ctx.t(T.REJECTED.get(event.reason, T.REJECTED_FORMAT)))
    else:
        _STAGES[s.stage](ctx, event)
    ctx.s.updated_at = now
    return Turn(ctx.s, tuple(ctx.out))


# --- picking an option --------------------------------------------------------------------------


def _pick(event: Event, choices: Sequence[Choice]) -> str | None:
    if isinstance(event, ChoiceMade):
        return event.value if any(c.value == event.value for c in choices) else None
    if isinstance(event, TextReceived):
        return parse_choice(event.text, choices)
    return None


def _unclear(ctx: _Ctx, event: Event, how: str = T.HOW_CHOICE) -> str:
    if isinstance(event, PhotoReceived):
        return ctx.t(T.NEED_TEXT)
    if isinstance(event, ChoiceMade):
        return ctx.t(T.STALE_BUTTON)
    return f"{ctx.t(T.NOT_UNDERSTOOD)} {ctx.t(how)}"


# --- greeting and consent -----------------------------------------------------------------------

_CONSENT = (("ya", T.CONSENT_YES), ("tidak", T.CONSENT_NO))


def _greet(ctx: _Ctx) -> None:
    ctx.s.stage = "consent"
    ctx.say(_join(ctx.t(T.GREETING), ctx.t(T.LANGUAGE_HINT)))
    _prompt(ctx, ctx.t(T.PRIVACY))


def _on_consent(ctx: _Ctx, event: Event) -> None:
    choices = ctx.choices(_CONSENT)
    choices = [Choice(c.value, c.labels, means=c.value == "ya") for c in choices]
    value = _pick(event, choices)
    if value == "ya":
        _enter_menu(ctx)
    elif value == "tidak":
        lang, s = ctx.s.lang, ctx.s
        ctx.s = Session(channel=s.channel, chat_id=s.chat_id, seed=s.seed, lang=lang)
        ctx.say(ctx.t(T.DECLINED))
    else:
        _prompt(ctx, ctx.t(T.CONSENT_UNCLEAR))


# --- menu: office and service -------------------------------------------------------------------


def _has_draft(s: Session) -> bool:
    """Something worth resuming: answers given, and not stopped at an end step."""
    return s.flow_id is not None and bool(s.answers) and (s.resume_stage or s.stage) in DRAFT_STAGES


def _enter_menu(ctx: _Ctx, note: str | None = None) -> None:
    s = ctx.s
    if s.stage in DRAFT_STAGES:
        s.resume_stage = s.stage
    offices = ctx.flows.offices
    if len(offices) == 1 and not _has_draft(s):
        _enter_service(ctx, offices[0].id, note)
        return
    s.stage = "office"
    _prompt(ctx, note)


def _office_pairs(ctx: _Ctx) -> list[tuple[str, str]]:
    pairs = [(f"office:{o.id}", o.name) for o in ctx.flows.offices]
    if _has_draft(ctx.s):
        pairs.append(("resume", T.RESUME))  # last, so the offices keep their numbers
    return pairs


def _on_office(ctx: _Ctx, event: Event) -> None:
    value = _pick(event, ctx.choices(_office_labels(ctx)))
    if value == "resume":
        _resume(ctx)
    elif value is not None:
        _enter_service(ctx, value.removeprefix("office:"))
    else:
        _prompt(ctx, _unclear(ctx, event))


def _enter_service(ctx: _Ctx, office_id: str, note: str | None = None) -> None:
    services = ctx.flows.flows_of(office_id)
    ctx.s.office_id = office_id
    if len(services) == 1:
        _select_flow(ctx, services[0], note)
        return
    ctx.s.stage = "service"
    _prompt(ctx, note)


def _on_service(ctx: _Ctx, event: Event) -> None:
    flows = ctx.flows.flows_of(ctx.s.office_id or "")
    value = _pick(event, ctx.choices([(f.id, f.service.title) for f in flows]))
    if value is None:
        _prompt(ctx, _unclear(ctx, event))
    else:
        _select_flow(ctx, ctx.flows.flows[value])


def _select_flow(ctx: _Ctx, flow: Flow, note: str | None = None) -> None:
    s = ctx.s
    if s.flow_id == flow.id and _has_draft(s):
        _resume(ctx)
        return
    if _has_draft(s) and s.answers:
        old = ctx.flows.flows[s.flow_id or ""].service.title
        note = _join(note, ctx.t(T.DRAFT_DISCARDED, service=ctx.t(old)))
    _reset(s)
    s.flow_id, s.office_id, s.started_at = flow.id, flow.office.id, ctx.now
    s.stage = "requirements"
    sv = flow.service
    items = "\n".join(f"{i}. {ctx.t(r)}" for i, r in enumerate(sv.requirements, 1))
    text = ctx.t(
        T.REQUIREMENTS,
        service=ctx.t(sv.title),
        office=ctx.t(flow.office.name),
        items=items,
        cost=ctx.t(sv.cost),
        duration=ctx.t(sv.duration),
    )
    ctx.say(_join(note, text))
    _prompt(ctx)


def _reset(s: Session) -> None:
    s.flow_id = s.office_id = s.step = s.resume_stage = None
    s.answers, s.pending, s.editing, s.started_at = {}, [], False, None


def _resume(ctx: _Ctx) -> None:
    s = ctx.s
    s.stage = s.resume_stage or "requirements"
    s.resume_stage = None
    _prompt(ctx)


_REQUIREMENTS = (("begin", T.START), ("menu", T.BACK_TO_MENU))


def _on_requirements(ctx: _Ctx, event: Event) -> None:
    value = _pick(event, ctx.choices(_REQUIREMENTS))
    if value is None and isinstance(event, TextReceived):
        value = {True: "begin", False: "later", None: None}[parse_yes_no(event.text)]
    if value == "later":
        _prompt(ctx, ctx.t(T.NOT_READY))
    elif value == "begin":
        ctx.s.stage = "flow"
        _goto(ctx, ctx.flow.steps[0].id)
    elif value == "menu":
        _menu(ctx)
    elif isinstance(event, PhotoReceived):
        _prompt(ctx, ctx.t(T.PHOTO_TOO_EARLY))
    else:
        _prompt(ctx, _unclear(ctx, event))


# --- the flow's questions -----------------------------------------------------------------------


def _goto(ctx: _Ctx, step_id: str, note: str | None = None) -> None:
    if step_id == SUMMARY:
        _enter_summary(ctx, note)
        return
    s = ctx.s
    s.stage, s.step, s.pending = "flow", step_id, []
    step = ctx.flow.step(step_id)
    if s.editing and step.kind not in ("photo", "end") and s.answers.get(step_id) is not None:
        current = display(step, s.answers[step_id], ctx.t)
        note = _join(note, ctx.t(T.CURRENT_ANSWER, answer=current))
    _prompt(ctx, note)


def _step_choices(ctx: _Ctx, step: Step) -> list[Choice]:
    return [
        Choice(
            o.value,
            tuple({o.label, ctx.t(o.label)}),
            o.match,
            None if o.means is None else o.means == "yes",
        )
        for o in step.choices
    ]


def _ask_step(ctx: _Ctx, note: str | None) -> None:
    s, step = ctx.s, ctx.flow.step(ctx.s.step or "")
    text = _join(note, ctx.t(step.ask))
    if step.kind == "photo" and step.max_photos > 1 and not s.pending:
        hint = T.HOW_PHOTOS if step.ask_more else T.HOW_PAGES
        text = f"{text} {ctx.t(hint, max=step.max_photos)}"
    if step.kind in ("choice", "yesno"):
        ctx.out.append(
            AskChoice(text, tuple(Option(o.value, ctx.t(o.label)) for o in step.choices))
        )
    elif step.kind == "end":
        ctx.ask(text, (("back", T.BACK), ("menu", T.MENU)))
    elif step.kind == "photo":
        opts = []
        if s.pending:
            opts.append(Option("done", ctx.t(T.DONE)))
        elif s.answers.get(step.id):
            opts.append(Option("keep", ctx.t(T.KEEP_PHOTO)))
        if step.optional:
            opts.append(Option("skip", ctx.t(T.SKIP)))
        ctx.out.append(RequestPhoto(text, tuple(opts)))
    elif step.kind == "phone":
        ctx.out.append(RequestContact(text, ctx.t(T.SHARE_CONTACT)))
    else:
        ctx.say(_join(text, ctx.t(T.HOW_SKIP) if step.optional else None))


def _on_flow(ctx: _Ctx, event: Event) -> None:
    step = ctx.flow.step(ctx.s.step or "")
    if step.kind == "end":
        pairs = (("back", T.BACK), ("menu", T.MENU))
        value = _pick(event, ctx.choices(pairs))
        if value == "back":
            _back(ctx)
        elif value == "menu":
            _menu(ctx)
        else:
            ctx.ask(ctx.t(T.END_HOW), pairs)
    elif step.kind in ("choice", "yesno"):
        choice = _pick(event, _step_choices(ctx, step))
        how = T.HOW_YES_NO if step.kind == "yesno" else T.HOW_CHOICE
        if choice is None:
            _prompt(ctx, _join(_unclear(ctx, event, how), ctx.t(step.help) if step.help else None))
        else:
            _answer(ctx, step, choice)
    elif step.kind == "photo":
        _on_photo(ctx, step, event)
    else:
        _on_typed(ctx, step, event)


def _on_typed(ctx: _Ctx, step: Step, event: Event) -> None:
    if isinstance(event, ContactShared):
        text = event.phone
    elif isinstance(event, TextReceived):
        text = event.text
    elif isinstance(event, ChoiceMade) and event.value == "skip" and step.optional:
        _answer(ctx, step, None)
        return
    else:
        _prompt(ctx, _unclear(ctx, event, T.HOW_TEXT))
        return
    if step.optional and normalize(text) in SKIP_WORDS:
        _answer(ctx, step, None)
        return
    parsed = _parse(step, text, ctx.now)
    if parsed.value is None:
        error = ctx.t(parsed.error or T.NOT_UNDERSTOOD, **dict(parsed.args))
        if step.kind == "phone":
            ctx.out.append(RequestContact(error, ctx.t(T.SHARE_CONTACT)))
        else:
            ctx.say(error)
        return
    _answer(ctx, step, parsed.value)


def _parse(step: Step, text: str, now: datetime) -> Parsed:
    if step.kind == "nik":
        return parse_nik(text, now.date())
    if step.kind == "kk":
        return parse_kk(text)
    if step.kind == "phone":
        return parse_phone(text)
    clean = " ".join(text.split())
    if len(clean) < step.min_length:
        return Parsed(error=T.TEXT_TOO_SHORT)
    if len(clean) > step.max_length:
        return Parsed(error=T.TEXT_TOO_LONG, args=(("max", str(step.max_length)),))
    return Parsed(value=clean)


def _on_photo(ctx: _Ctx, step: Step, event: Event) -> None:
    s = ctx.s
    how = _join(ctx.t(T.HOW_PHOTO), ctx.t(T.HOW_PHOTOS) if step.max_photos > 1 else None)
    if isinstance(event, PhotoReceived) and event.media:
        media = [m.to_dict() for m in event.media]
        if step.max_photos == 1 or not step.ask_more:
            kept = media[: step.max_photos]
            extra = None
            if len(media) > len(kept):
                extra = ctx.t(T.PHOTO_EXTRA, count=len(media), kept=len(kept))
            _answer(ctx, step, kept, extra)
            return
        s.pending = [*s.pending, *media][: step.max_photos]
        if len(s.pending) >= step.max_photos:
            _answer(ctx, step, s.pending, ctx.t(T.PHOTO_LIMIT, count=len(s.pending)))
        else:
            received = ctx.t(T.PHOTO_RECEIVED, count=len(s.pending))
            ctx.out.append(RequestPhoto(received, (Option("done", ctx.t(T.DONE)),)))
        return
    word = ""
    if isinstance(event, TextReceived):
        word = normalize(event.text)
        buttons = {"done": T.DONE, "keep": T.KEEP_PHOTO, "skip": T.SKIP}
        for value, msgid in buttons.items():
            if word in (normalize(msgid), normalize(ctx.t(msgid))):
                word = value  # a keyboard button's label came back as text
    elif isinstance(event, ChoiceMade):
        word = event.value
    if word in DONE_WORDS or word in ("done", "keep"):
        if s.pending:
            _answer(ctx, step, s.pending)
        elif s.answers.get(step.id):
            _answer(ctx, step, s.answers[step.id])
        else:
            _prompt(ctx, _join(ctx.t(T.PHOTO_NONE_YET), how))
    elif step.optional and (word in SKIP_WORDS or word == "skip"):
        _answer(ctx, step, None)
    elif isinstance(event, TextReceived) and (
        parse_yes_no(event.text) is False or LATER_WORDS & set(normalize(event.text).split())
    ):
        _prompt(ctx, ctx.t(step.missing or T.MISSING_DEFAULT))
    else:
        _prompt(ctx, _join(ctx.t(T.NEED_PHOTO), how, ctx.t(T.CHANGE_EARLIER)))


def _answer(ctx: _Ctx, step: Step, value: Any, note: str | None = None) -> None:
    s = ctx.s
    s.answers[step.id] = value
    machine = ctx.flows.machines[ctx.flow.id]
    if s.editing:
        _goto(ctx, machine.path(s.answers)[-1], note)  # the first step the change left unanswered
    else:
        _goto(ctx, machine.next(step.id, value), note)


# --- summary and submission ---------------------------------------------------------------------


def _path(ctx: _Ctx) -> list[Step]:
    machine = ctx.flows.machines[ctx.flow.id]
    return [ctx.flow.step(sid) for sid in machine.path(ctx.s.answers) if sid != SUMMARY]


def display(step: Step, value: Any, t: Callable[[str], str]) -> str:
    """An answer as a person reads it, in the translator's language."""
    if value is None:
        return t(T.SKIPPED)
    if step.kind == "photo":
        return t(T.PHOTO_COUNT).format(count=len(value))
    if step.kind in ("choice", "yesno"):
        label = next((o.label for o in step.choices if o.value == value), str(value))
        return t(label)
    if step.kind == "phone":
        return "0" + str(value).removeprefix("+62")
    return str(value)


def _enter_summary(ctx: _Ctx, note: str | None = None) -> None:
    s = ctx.s
    unanswered = ctx.flows.machines[ctx.flow.id].path(s.answers)[-1]
    if unanswered != SUMMARY:  # never summarise (or submit) an unfinished application
        s.editing = True
        _goto(ctx, unanswered, note)
        return
    s.stage, s.step, s.editing, s.pending = "summary", None, False, []
    _prompt(ctx, note)


_SUMMARY = (("submit", T.SUBMIT), ("edit", T.EDIT))


def _edit_pairs(ctx: _Ctx) -> list[tuple[str, str]]:
    return [(f"edit:{st.id}", st.label or st.id) for st in _path(ctx)]


def _on_summary(ctx: _Ctx, event: Event) -> None:
    value = _pick(event, ctx.choices(_SUMMARY))
    if value == "submit":
        _submit(ctx)
    elif value == "edit":
        ctx.s.stage = "edit"
        _prompt(ctx)
    else:
        ctx.ask(_join(_unclear(ctx, event), ctx.t(T.SUMMARY_ASK)), _SUMMARY)


def _on_edit(ctx: _Ctx, event: Event) -> None:
    value = _pick(event, ctx.choices(_edit_pairs(ctx)))
    if value is None:
        _prompt(ctx, _unclear(ctx, event))
    else:
        ctx.s.editing = True
        _goto(ctx, value.removeprefix("edit:"))


def _submit(ctx: _Ctx) -> None:
    s, flow = ctx.s, ctx.flow
    s.submissions += 1
    reference = make_reference(flow.reference_prefix, s.seed, s.submissions)
    steps = _path(ctx)
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
        _join(
            ctx.t(T.SUBMITTED, office=ctx.t(flow.office.name), reference=reference),
            ctx.t(T.NEXT, after=ctx.t(sv.after_submit)),
            ctx.t(T.FREE),
            ctx.t(T.COMPLAINTS, items="\n".join(f"- {ctx.t(c)}" for c in sv.complaints)),
        )
    )
    _reset(s)  # the dossier carries the answers now; the session keeps none of them
    s.stage, s.reference = "submitted", reference


def _id(msgid: str) -> str:
    return msgid


def _on_submitted(ctx: _Ctx, event: Event) -> None:
    ctx.say(ctx.t(T.ALREADY_SUBMITTED, reference=ctx.s.reference or ""))


# --- commands available at any time -------------------------------------------------------------


def _menu(ctx: _Ctx, text: str = "") -> None:
    s = ctx.s
    if s.stage == "flow" and s.flow_id and ctx.flow.step(s.step or "").kind == "end":
        _reset(s)  # a stopped application is not a draft: nothing of it is kept
        s.stage = "office"
    if s.stage == "consent":
        _greet(ctx)
        return
    if s.stage in ("cancel", "language"):
        s.stage = s.resume_stage or "office"
        s.resume_stage = None
    if s.stage == "submitted":
        s.stage, s.reference = "office", None
    _enter_menu(ctx)


def _back(ctx: _Ctx, text: str = "") -> None:
    s = ctx.s
    if s.stage in ("flow", "summary") and s.flow_id:
        complete = ctx.flows.machines[ctx.flow.id].path(s.answers)[-1] == SUMMARY
        if s.editing and s.stage == "flow" and complete:
            _enter_summary(ctx)  # leave the answer as it was
            return
        path = [st.id for st in _path(ctx)]
        if s.stage == "summary":
            target: str | None = path[-1]
        else:
            i = path.index(s.step) if s.step in path else len(path)
            target = path[i - 1] if i > 0 else None
        if target is None:
            s.stage = "requirements"
            _prompt(ctx, ctx.t(T.FIRST_STEP))
        else:
            _goto(ctx, target)
    elif s.stage == "edit":
        _enter_summary(ctx)
    elif s.stage == "requirements":
        _enter_menu(ctx)
    elif s.stage == "service":
        s.stage = "office"
        _prompt(ctx)
    elif s.stage in ("cancel", "language"):
        _resume(ctx)
    elif s.stage == "office":
        _prompt(ctx, ctx.t(T.ALREADY_MENU))
    else:
        _prompt(ctx)


def _cancel(ctx: _Ctx, text: str = "") -> None:
    s = ctx.s
    if s.stage not in DRAFT_STAGES:
        _prompt(ctx, ctx.t(T.NOTHING_TO_CANCEL))
        return
    s.resume_stage, s.stage = s.stage, "cancel"
    _prompt(ctx)


_CANCEL = (("ya", T.CANCEL_YES), ("tidak", T.CANCEL_NO))


def _on_cancel(ctx: _Ctx, event: Event) -> None:
    choices = [Choice(c.value, c.labels, means=c.value == "ya") for c in ctx.choices(_CANCEL)]
    value = _pick(event, choices)
    if value == "ya":
        _reset(ctx.s)
        ctx.s.stage = "office"
        _enter_menu(ctx, ctx.t(T.CANCELLED))
    elif value == "tidak":
        _resume(ctx)
    else:
        _prompt(ctx, _unclear(ctx, event, T.HOW_YES_NO))


def _help(ctx: _Ctx, text: str = "") -> None:
    s, parts = ctx.s, []
    if s.stage == "flow" and s.flow_id and s.step:
        st = ctx.flow.step(s.step)
        parts.append(ctx.t(st.help) if st.help else None)
        how = {"choice": T.HOW_CHOICE, "yesno": T.HOW_YES_NO, "photo": T.HOW_PHOTO}
        parts.append(ctx.t(how.get(st.kind, T.HOW_TEXT)))
        if st.kind == "photo" and st.max_photos > 1:
            hint = T.HOW_PHOTOS if st.ask_more else T.HOW_PAGES
            parts.append(ctx.t(hint, max=st.max_photos))
    parts.append(ctx.t(T.HELP_COMMANDS))
    _prompt(ctx, _join(*parts))


LANGUAGE_NAMES = {
    "english": "en",
    "inggris": "en",
    "bahasa inggris": "en",
    "indonesia": "id",
    "bahasa indonesia": "id",
}


def _switch_language(ctx: _Ctx, text: str = "", announce: bool = True) -> None:
    langs = ctx.flows.languages
    named = LANGUAGE_NAMES.get(normalize(text))
    if named in langs:
        _set_language(ctx, named, announce)
        return
    if len(langs) > 2 and announce:
        ctx.s.resume_stage, ctx.s.stage = ctx.s.stage, "language"
        _prompt(ctx)
        return
    i = langs.index(ctx.s.lang) if ctx.s.lang in langs else 0
    _set_language(ctx, langs[(i + 1) % len(langs)], announce)


def _set_language(ctx: _Ctx, lang: str, announce: bool) -> None:
    ctx.s.lang = lang
    ctx.tr = ctx.flows.tr(lang)
    if announce:
        _prompt(ctx, ctx.t(T.LANGUAGE_SET))


def _on_language(ctx: _Ctx, event: Event) -> None:
    pairs = [(lang, ctx.flows.tr(lang).name) for lang in ctx.flows.languages]
    value = _pick(event, ctx.choices(pairs))
    if value is None:
        _prompt(ctx, _unclear(ctx, event))
        return
    ctx.s.stage, ctx.s.resume_stage = ctx.s.resume_stage or "office", None
    _set_language(ctx, value, announce=True)


# --- prompts: the question each stage is waiting on ---------------------------------------------


def _prompt(ctx: _Ctx, note: str | None = None) -> None:
    s = ctx.s
    if s.stage == "consent":
        ctx.ask(_join(note, ctx.t(T.CONSENT_ASK)), _CONSENT)
    elif s.stage == "office":
        ctx.ask(_join(note, ctx.t(T.CHOOSE_OFFICE)), _office_labels(ctx))
    elif s.stage == "service":
        office = next(o for o in ctx.flows.offices if o.id == s.office_id)
        flows = ctx.flows.flows_of(office.id)
        text = _join(note, ctx.t(T.CHOOSE_SERVICE, office=ctx.t(office.name)))
        ctx.ask(text, [(f.id, f.service.title) for f in flows])
    elif s.stage == "requirements":
        ctx.ask(_join(note, ctx.t(T.REQUIREMENTS_ASK)), _REQUIREMENTS)
    elif s.stage == "flow":
        _ask_step(ctx, note)
    elif s.stage == "summary":
        _ask_summary(ctx, note)
    elif s.stage == "edit":
        ctx.ask(_join(note, ctx.t(T.EDIT_ASK)), _edit_pairs(ctx))
    elif s.stage == "cancel":
        ctx.ask(_join(note, ctx.t(T.CANCEL_ASK)), _CANCEL)
    elif s.stage == "language":
        pairs = [(lang, ctx.flows.tr(lang).name) for lang in ctx.flows.languages]
        ctx.ask(_join(note, ctx.t(T.CHOOSE_LANGUAGE)), pairs)
    elif s.stage == "submitted":
        ctx.say(_join(note, ctx.t(T.ALREADY_SUBMITTED, reference=s.reference or "")))
    else:
        _greet(ctx)


def _office_labels(ctx: _Ctx) -> list[tuple[str, str]]:
    pairs = _office_pairs(ctx)
    if pairs and pairs[-1][0] == "resume":
        title = ctx.t(ctx.flow.service.title)
        pairs[-1] = ("resume", ctx.t(T.RESUME, service=title))
    return pairs


def _ask_summary(ctx: _Ctx, note: str | None) -> None:
    flow, s = ctx.flow, ctx.s
    lines = [
        f"{i}. {ctx.t(st.label or st.id)}: {display(st, s.answers.get(st.id), ctx.t)}"
        for i, st in enumerate(_path(ctx), 1)
    ]
    text = ctx.t(
        T.SUMMARY,
        service=ctx.t(flow.service.title),
        office=ctx.t(flow.office.name),
        items="\n".join(lines),
    )
    ctx.ask(_join(note, text, ctx.t(T.SUMMARY_ASK)), _SUMMARY)


_STAGES: dict[str, Callable[[_Ctx, Event], None]] = {
    "consent": _on_consent,
    "office": _on_office,
    "service": _on_service,
    "requirements": _on_requirements,
    "flow": _on_flow,
    "summary": _on_summary,
    "edit": _on_edit,
    "cancel": _on_cancel,
    "language": _on_language,
    "submitted": _on_submitted,
}
_COMMANDS: dict[str, Callable[[_Ctx, str], None]] = {
    "menu": _menu,
    "back": _back,
    "cancel": _cancel,
    "help": _help,
    "language": _switch_language,
}
