"""The way in: greeting and consent, the office and service menus, the service's requirements.
Each stage asks (`ask_*`) and reads a reply (`read_*`); machine.py says where they lead."""

from __future__ import annotations

from bot.engine import texts as T
from bot.engine.context import Context, join
from bot.engine.flow import Flow
from bot.engine.model import Event, PhotoReceived, Session, TextReceived
from bot.engine.picking import Offer, choices, clarify, offer, pick, unclear
from bot.engine.stages import DRAFT, Stage
from bot.engine.understanding import Choice, hear
from bot.engine.understanding import lexicon as L

CONSENT = (
    Offer("ya", T.CONSENT_YES, ("setuju", "boleh", "silakan", "bersedia", "izinkan"), "yes"),
    Offer("tidak", T.CONSENT_NO, ("tolak", "menolak", "keberatan"), "no", careful=True),
)
REQUIREMENTS = (
    Offer("begin", T.START, ("mulai", "siap", "ayo", "gas", "bisa"), "yes"),
    Offer("menu", T.BACK_TO_MENU),
)


# --- greeting and consent -----------------------------------------------------------------------


def say_greeting(ctx: Context) -> None:
    ctx.say(join(ctx.t(T.GREETING), ctx.t(T.LANGUAGE_HINT)))
    ctx.note(ctx.t(T.PRIVACY))


def consent_options(ctx: Context) -> list[Choice]:
    return choices(ctx, CONSENT)


def ask_consent(ctx: Context) -> None:
    offer(ctx, join(ctx.take_note(), ctx.t(T.CONSENT_ASK)), CONSENT)


def read_consent(ctx: Context, event: Event) -> None:
    options = consent_options(ctx)
    reading = pick(ctx, event, options)
    if reading.value == "ya":
        ctx.fire("agree")
    elif reading.value == "tidak":
        ctx.fire("decline")
    elif reading.readings:
        clarify(ctx, reading.readings, options)
    elif reading.asked or reading.dont_know:
        ctx.reask(ctx.t(T.CONSENT_HELP))
    else:
        ctx.reask(ctx.t(T.CONSENT_UNCLEAR))


def forget_everything(ctx: Context) -> None:
    """No consent, no data: a fresh session in the citizen's language."""
    s = ctx.s
    ctx.s = Session(channel=s.channel, chat_id=s.chat_id, seed=s.seed, lang=s.lang)
    ctx.keep = False  # no consent: nothing is kept, not even that there was a conversation
    ctx.say(ctx.t(T.DECLINED))


# --- the office and service menus ---------------------------------------------------------------


def go_to_menu(ctx: Context) -> None:
    """The menu, from anywhere after consent: an application stopped at an end step is
    dropped, an aside gives way, a submitted one is done with; one under way is kept."""
    s = ctx.s
    if s.stage == Stage.FLOW and s.flow_id and ctx.current_step.kind == "end":
        reset(s)
        s.stage = Stage.OFFICE
    if s.stage in (Stage.CANCEL, Stage.LANGUAGE, Stage.REVISION, Stage.ERASE):
        s.stage, s.resume_stage = s.resume_stage or Stage.OFFICE, None
    if s.stage == Stage.NEW:  # a document sent before any conversation: consent comes first
        ctx.fire("greet")
        return
    if s.stage == Stage.SUBMITTED:
        s.stage, s.reference = Stage.OFFICE, None
    ctx.fire("menu")


def remember_draft(ctx: Context) -> None:
    """Entering the menu from an application under way keeps it to resume."""
    if ctx.s.stage in DRAFT:
        ctx.s.resume_stage = ctx.s.stage


def office_offers(ctx: Context) -> list[Offer]:
    offers = [Offer(f"office:{o.id}", o.name, o.match) for o in ctx.flows.offices]
    if ctx.has_draft():  # last, so the offices keep their numbers
        title = ctx.t(T.RESUME, service=ctx.t(ctx.flow.service.title))
        offers.append(Offer("resume", title, ("lanjut", "lanjutkan", "teruskan", "resume")))
    return offers


def office_options(ctx: Context) -> list[Choice]:
    return choices(ctx, office_offers(ctx))


def ask_office(ctx: Context) -> None:
    offer(ctx, join(ctx.take_note(), ctx.t(T.CHOOSE_OFFICE)), office_offers(ctx))


def read_office(ctx: Context, event: Event) -> None:
    options = office_options(ctx)
    reading = pick(ctx, event, options)
    value = reading.value
    if value == "resume":
        ctx.fire("resume")
    elif value is not None:
        office = value.removeprefix("office:")
        services = ctx.flows.flows_of(office)
        if len(services) == 1 and _is_the_draft(ctx, services[0]):
            ctx.fire("resume")
        else:
            ctx.fire("choose_office", office=office)
    elif reading.readings:
        clarify(ctx, reading.readings, options)
    else:
        ctx.reask(unclear(ctx, event))


def set_office(ctx: Context, office: str) -> None:
    ctx.s.office_id = office


def service_offers(ctx: Context) -> list[Offer]:
    return [Offer(f.id, f.service.title) for f in ctx.flows.flows_of(ctx.s.office_id or "")]


def service_options(ctx: Context) -> list[Choice]:
    return choices(ctx, service_offers(ctx))


def ask_service(ctx: Context) -> None:
    office = next(o for o in ctx.flows.offices if o.id == ctx.s.office_id)
    text = join(ctx.take_note(), ctx.t(T.CHOOSE_SERVICE, office=ctx.t(office.name)))
    offer(ctx, text, service_offers(ctx))


def read_service(ctx: Context, event: Event) -> None:
    options = service_options(ctx)
    reading = pick(ctx, event, options)
    if reading.value is not None and _is_the_draft(ctx, ctx.flows.flows[reading.value]):
        ctx.fire("resume")
    elif reading.value is not None:
        ctx.fire("choose_service", flow=reading.value)
    elif reading.readings:
        clarify(ctx, reading.readings, options)
    else:
        ctx.reask(unclear(ctx, event))


def _is_the_draft(ctx: Context, flow: Flow) -> bool:
    return ctx.s.flow_id == flow.id and ctx.has_draft()


def select_flow(ctx: Context, flow: Flow) -> None:
    """Start an application for `flow`: a draft of another service is dropped (and said so),
    then the service's requirements are shown."""
    s = ctx.s
    if ctx.has_draft():
        old = ctx.flows.flows[s.flow_id or ""].service.title
        ctx.note(ctx.t(T.DRAFT_DISCARDED, service=ctx.t(old)))
    reset(s)
    s.flow_id, s.office_id, s.started_at = flow.id, flow.office.id, ctx.now
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
    ctx.say(join(ctx.take_note(), text))


def reset(s: Session) -> None:
    """Forget the application: no service, no answers, no photos."""
    s.flow_id = s.office_id = s.step = s.resume_stage = None
    s.answers, s.pending, s.editing, s.started_at = {}, [], False, None


# --- the requirements ---------------------------------------------------------------------------


def requirements_options(ctx: Context) -> list[Choice]:
    return choices(ctx, REQUIREMENTS)


def ask_requirements(ctx: Context) -> None:
    offer(ctx, join(ctx.take_note(), ctx.t(T.REQUIREMENTS_ASK)), REQUIREMENTS)


def read_requirements(ctx: Context, event: Event) -> None:
    reading = pick(ctx, event, requirements_options(ctx))
    later = isinstance(event, TextReceived) and (
        bool(L.LATER.intersection(hear(event.text).content)) or reading.dont_know
    )
    if reading.value == "begin" and not later:
        ctx.fire("begin")
    elif reading.value == "menu":
        go_to_menu(ctx)
    elif later:
        ctx.reask(ctx.t(T.NOT_READY))
    elif isinstance(event, PhotoReceived):
        ctx.reask(ctx.t(T.PHOTO_TOO_EARLY))
    else:
        ctx.reask(unclear(ctx, event))
