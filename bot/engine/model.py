"""The project's vocabulary: events (facts in the past tense), actions (commands), the session
and a turn's result. Small frozen dataclasses (the session is the one mutable record, plain
JSON); nothing here does I/O or knows about a channel."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.engine.records import AnswerItem, Dossier, MediaRef, Revision
from bot.engine.stages import Stage

__all__ = ["AnswerItem", "Dossier", "MediaRef", "Revision"]  # the records, named here too

# --- events: what happened --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextReceived:
    text: str


@dataclass(frozen=True, slots=True)
class ChoiceMade:
    """A button was pressed; `value` is the option's value as the engine gave it."""

    value: str


@dataclass(frozen=True, slots=True)
class PhotoReceived:
    """One or more photos/PDFs, already stored; an album arrives as one event."""

    media: tuple[MediaRef, ...]


@dataclass(frozen=True, slots=True)
class ContactShared:
    phone: str


@dataclass(frozen=True, slots=True)
class PhotoRejected:
    """The media intake refused a file; `reason` is one of REJECT_REASONS."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unsupported:
    """Something the bot cannot read: `kind` is sticker, voice, location, video, ..."""

    kind: str


# --- events from the office: they come through the chat's journal, never from the citizen -----


@dataclass(frozen=True, slots=True)
class DocumentRequested:
    """Staff asked for one document of a submitted case again (`reason`: a desk reason id,
    `note`: what staff wrote)."""

    reference: str
    flow_id: str
    step: str
    reason: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The case reached a status its flow tells the citizen (`reason`: staff's, for a refusal)."""

    reference: str
    flow_id: str
    status: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReminderDue:
    """Time to remind the citizen, once: of an unfinished application or an awaited document."""

    kind: str  # "draft" | "document"
    since: str = ""  # draft: the session's updated_at it was planned from (ISO)
    reference: str = ""
    step: str = ""


@dataclass(frozen=True, slots=True)
class CaseStatus:
    """One of the chat's cases as the office has it now, and the last thing it told the citizen."""

    reference: str
    flow_id: str
    status: str
    reason: str = ""
    waiting_for: tuple[str, ...] = ()  # steps of documents asked again and not yet sent
    last: DocumentRequested | StatusChanged | None = None


@dataclass(frozen=True, slots=True)
class StatusLooked:
    """The citizen asked for their status: the chat's cases the runtime found (None: it could not
    look now); `reference` the one asked about, "" for all."""

    reference: str
    cases: tuple[CaseStatus, ...] | None


# --- the citizen's own data (UU PDP): what the office keeps, and deleting it (privacy.py) -------


@dataclass(frozen=True, slots=True)
class CaseData:
    """What the office keeps of one of the chat's cases: the answers as (step, label, value) and
    the documents as (step, label, decision), never the photos; `purged`: its personal data was
    deleted already (retention, or a deletion request)."""

    reference: str
    flow_id: str
    status: str
    office_id: str
    answers: tuple[tuple[str, str, str], ...] = ()
    documents: tuple[tuple[str, str, str], ...] = ()
    purged: bool = False


@dataclass(frozen=True, slots=True)
class DataLooked:
    """The citizen asked what is kept about them ("data saya"): the chat's cases the runtime
    found (None: it could not look now)."""

    cases: tuple[CaseData, ...] | None


@dataclass(frozen=True, slots=True)
class ErasureFiled:
    """The runtime filed the deletion the citizen confirmed: the offices a request went to,
    those where one was already waiting (None: it could not be filed now). Both empty: no
    office keeps anything of this chat."""

    offices: tuple[str, ...] | None
    pending: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErasureDecided:
    """An office's admin decided the chat's deletion request: approved (the cases' personal
    data is deleted) or refused with a reason."""

    office_id: str
    approved: bool
    reason: str = ""
    references: tuple[str, ...] = ()


OfficeEvent = DocumentRequested | StatusChanged | ReminderDue | ErasureDecided
CitizenEvent = (
    TextReceived | ChoiceMade | PhotoReceived | ContactShared | PhotoRejected | Unsupported
)
Event = CitizenEvent | OfficeEvent | StatusLooked | DataLooked | ErasureFiled

REJECT_REASONS = (
    "format",
    "too_large",
    "too_many_pixels",
    "too_small",
    "too_dark",
    "blurry",
    "unavailable",
)

# --- actions: what to do ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class SendText:
    text: str


@dataclass(frozen=True, slots=True)
class AskChoice:
    """A question with options: buttons on Telegram, a numbered list elsewhere."""

    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class RequestPhoto:
    """Ask for a photo or PDF; `options` are quick replies such as "Selesai" or "Lewati"."""

    text: str
    options: tuple[Option, ...] = ()


@dataclass(frozen=True, slots=True)
class RequestContact:
    """Ask for a phone number; Telegram can offer a share-contact button."""

    text: str
    button: str


@dataclass(frozen=True, slots=True)
class SubmitDossier:
    dossier: Dossier


@dataclass(frozen=True, slots=True)
class SubmitRevision:
    revision: Revision


@dataclass(frozen=True, slots=True)
class Tell:
    """This turn's replies are a message from the office of `kind`: where only pre-approved
    templates may go (WhatsApp, 24 hours on), its template stands in, filled with `values`."""

    kind: str
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class FileErasure:
    """The citizen confirmed "delete my data": the runtime files a request with every office
    that keeps a case of this chat, then hands the engine what it did (ErasureFiled)."""


Action = (
    SendText
    | AskChoice
    | RequestPhoto
    | RequestContact
    | SubmitDossier
    | SubmitRevision
    | Tell
    | FileErasure
)

# --- session ----------------------------------------------------------------------------------

SESSION_VERSION = 1


@dataclass(slots=True)
class Session:
    """Everything the engine remembers about one chat. JSON round-trips through to_json/from_json.

    `seed` is random bytes (hex) chosen by the runtime when the session is created: the engine
    derives unguessable reference numbers from it without needing randomness of its own.
    """

    channel: str
    chat_id: str
    seed: str
    lang: str = "id"
    stage: Stage = Stage.NEW
    flow_id: str | None = None
    office_id: str | None = None
    step: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    editing: bool = False
    resume_stage: Stage | None = None
    submissions: int = 0
    reference: str | None = None
    started_at: datetime | None = None
    updated_at: datetime | None = None
    clarify: list[str] = field(default_factory=list)  # the options of a "which did you mean?"
    # Set by the runtime on a fresh session when this chat's previous one expired (after this
    # many days): the engine says so in its next turn, then clears it.
    expired_days: float | None = None
    # The office's side (office.py): documents staff asked for again, [{ref, flow, step}], the
    # revisions sent so far (their keys count on), reminders wanted, the last one said.
    awaiting: list[dict[str, str]] = field(default_factory=list)
    revisions: int = 0
    reminders: bool = True
    reminded_at: datetime | None = None

    def copy(self) -> Session:
        """A copy the engine may change (answers and pending are copied, values shared)."""
        return Session(
            self.channel,
            self.chat_id,
            self.seed,
            self.lang,
            self.stage,
            self.flow_id,
            self.office_id,
            self.step,
            dict(self.answers),
            list(self.pending),
            self.editing,
            self.resume_stage,
            self.submissions,
            self.reference,
            self.started_at,
            self.updated_at,
            self.clarify,
            self.expired_days,
            list(self.awaiting),
            self.revisions,
            self.reminders,
            self.reminded_at,
        )

    def to_json(self) -> str:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if not d["clarify"]:
            del d["clarify"]  # written only while a "which did you mean?" waits for its answer
        if d["expired_days"] is None:
            del d["expired_days"]  # only between the runtime's finding and the engine's notice
        for name, default in _QUIET_DEFAULTS.items():  # the office's fields, only once used
            if d[name] == default:
                del d[name]
        d["v"] = SESSION_VERSION
        for k in ("started_at", "updated_at", "reminded_at"):
            if k not in d:
                continue
            d[k] = d[k].isoformat() if d[k] is not None else None
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_json(raw: str | bytes) -> Session:
        d = json.loads(raw)
        d.pop("v", None)
        for k in ("started_at", "updated_at", "reminded_at"):
            if d.get(k):
                d[k] = datetime.fromisoformat(d[k])
        d["stage"] = Stage(d.get("stage", Stage.NEW))
        if d.get("resume_stage") is not None:
            d["resume_stage"] = Stage(d["resume_stage"])
        return Session(**d)


_QUIET_DEFAULTS: dict[str, Any] = {
    "awaiting": [], "revisions": 0, "reminders": True, "reminded_at": None,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Turn:
    """One step's outcome. `keep` False: nothing of this conversation may be stored (the citizen
    declined consent), not even that it happened."""

    session: Session
    actions: tuple[Action, ...]
    keep: bool = True
