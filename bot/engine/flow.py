"""The schema of a service flow (flows/*.yaml): offices, services, steps and where each leads.
Pure data and validation; reading files is loader.py's job."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.engine.stages import STAGE_NAMES, Stage

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
FlowId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=60)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]

StepKind = Literal["text", "name", "nik", "kk", "phone", "yesno", "choice", "photo", "end"]
ELSE = "else"  # in a `next` map: where every other answer leads
SUMMARY = str(Stage.SUMMARY)  # the built-in review step every flow ends in
RESERVED = STAGE_NAMES  # a step is a state of the conversation's machine, beside the stages


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionSpec(_Strict):
    value: Slug
    label: Text
    match: tuple[str, ...] = Field(default=(), description="Other words that pick this option")
    means: Literal["yes", "no", "dont_know"] | None = Field(
        default=None,
        description='Picked when the citizen answers a plain yes, no or "don\'t know"',
    )


class Step(_Strict):
    id: Slug
    kind: StepKind
    ask: Text = Field(description="The question; for an `end` step, the closing message")
    label: Text | None = Field(default=None, description="Short name in the summary and dossier")
    help: Text | None = Field(
        default=None, description="Guidance when the answer is not understood"
    )
    missing: Text | None = Field(
        default=None, description="What to do when the citizen does not have this document yet"
    )
    options: tuple[OptionSpec, ...] = ()
    next: Slug | dict[Slug, Slug] | None = Field(
        default=None,
        description=(
            "Next step id, or a map from option value to step id (key `else` for every other"
            " answer); default: the step below"
        ),
    )
    match: tuple[str, ...] = Field(
        default=(), description='Other words that name this step ("ubah puskesmas")'
    )
    optional: bool = False
    max_photos: int = Field(default=1, ge=1, le=20)
    ask_more: bool = Field(
        default=True,
        description=(
            "With max_photos > 1: keep asking for photos until the citizen says `selesai`"
            " (house photos); false: one photo or one album of pages completes the step (letters)"
        ),
    )
    min_length: int = Field(default=2, ge=1)
    max_length: int = Field(default=200, le=2000)

    @model_validator(mode="after")
    def _kind_rules(self) -> Step:
        if self.kind != "end" and self.label is None:
            raise ValueError("a question step needs a `label` for the summary")
        if self.kind == "choice" and len(self.options) < 2:
            raise ValueError("a choice step needs at least two options")
        yes_no_values = sorted(o.value for o in self.options)
        if self.kind == "yesno" and self.options and yes_no_values != ["tidak", "ya"]:
            raise ValueError("a yesno step's options must have the values `ya` and `tidak`")
        if self.kind not in ("choice", "yesno") and self.options:
            raise ValueError(f"a {self.kind} step takes no options")
        if self.kind == "end" and self.next is not None:
            raise ValueError("an end step has no `next`")
        if any(o.value == ELSE for o in self.options):
            raise ValueError(f"`{ELSE}` is reserved and cannot be an option value")
        if self.kind != "photo" and self.max_photos != 1:
            raise ValueError("`max_photos` is for photo steps")
        if isinstance(self.next, dict) and self.kind not in ("choice", "yesno"):
            raise ValueError("only choice and yesno steps can branch on the answer")
        return self

    @cached_property
    def choices(self) -> tuple[OptionSpec, ...]:
        if self.kind == "yesno" and not self.options:
            return YES_NO
        if self.kind == "yesno":
            return tuple(
                o if o.means else o.model_copy(update={"means": "yes" if o.value == "ya" else "no"})
                for o in self.options
            )
        return self.options


YES_NO = (
    OptionSpec(value="ya", label="Ya", means="yes"),
    OptionSpec(value="tidak", label="Tidak", means="no"),
)


class Office(_Strict):
    id: Slug
    name: Text
    match: tuple[str, ...] = Field(default=(), description="Other words that name the office")
    address: Text
    phone: Text | None = None
    website: str | None = None
    retention_days: int = Field(
        default=365,
        ge=1,
        le=36500,
        description="Days a closed case's personal data is kept at the desk, then deleted",
    )


class Service(_Strict):
    title: Text
    product: Text
    cost: Text
    duration: Text
    requirements: tuple[Text, ...] = Field(min_length=1)
    procedure: tuple[Text, ...] = Field(min_length=1)
    after_submit: Text = Field(description="What happens after submission, and when")
    complaints: tuple[Text, ...] = Field(min_length=1, description="Every complaint channel")
    source: str | None = Field(default=None, description="Where the service standard comes from")


class StatusSpec(_Strict):
    """A case status at the office desk. `label` is staff-facing (the desk's catalog,
    locales/*/LC_MESSAGES/desk.po); `message` is what the citizen is told when `tell` is on."""

    id: Slug
    label: Text = Field(description="The status as staff read it at the desk")
    final: bool = Field(default=False, description="The case is closed in this status")
    reason: bool = Field(default=False, description="Staff must give a reason (a rejection)")
    tell: bool = Field(default=False, description="The citizen is told of this status")
    message: Text | None = Field(default=None, description="What the citizen is told (with tell)")

    @model_validator(mode="after")
    def _message_needs_tell(self) -> StatusSpec:
        if self.message is not None and not self.tell:
            raise ValueError("a status `message` is only sent with `tell: true`")
        return self


DEFAULT_STATUSES = (
    StatusSpec(id="received", label="Diterima"),
    StatusSpec(id="in_review", label="Sedang diperiksa"),
    StatusSpec(id="needs_documents", label="Menunggu dokumen"),
    StatusSpec(id="done", label="Selesai", final=True),
    StatusSpec(id="rejected", label="Ditolak", final=True, reason=True),
    StatusSpec(id="withdrawn", label="Dihapus atas permintaan warga", final=True),
)
# The status a citizen's approved deletion request closes an open case with (bot/desk/privacy.py).
WITHDRAWN = "withdrawn"


class Flow(_Strict):
    id: FlowId
    version: int = Field(ge=1)
    reference_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}$")]
    office: Office
    service: Service
    steps: tuple[Step, ...] = Field(min_length=1)
    statuses: tuple[StatusSpec, ...] = Field(
        default=DEFAULT_STATUSES,
        min_length=1,
        description="Case statuses at the desk, the first is a new case's; default: received, "
        "in review, needs documents, done, rejected",
    )

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, statuses: tuple[StatusSpec, ...]) -> tuple[StatusSpec, ...]:
        ids = [st.id for st in statuses]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"the status id(s) {twice} are used twice")
        if statuses[0].final:
            raise ValueError("the first status (a new case's) cannot be final")
        if not any(st.final for st in statuses):
            raise ValueError("at least one status must be final (it closes the case)")
        return statuses

    def status(self, status_id: str) -> StatusSpec | None:
        return next((st for st in self.statuses if st.id == status_id), None)

    @cached_property
    def index(self) -> dict[str, Step]:
        """Steps by id (a plain dict lookup: this is on every engine step's path)."""
        return {s.id: s for s in self.steps}

    def step(self, step_id: str) -> Step:
        return self.index[step_id]

    def has_step(self, step_id: str) -> bool:
        return step_id in self.index

    def default_next(self, step_id: str) -> str:
        """The step below this one, skipping `end` steps; the summary after the last."""
        ids = [s.id for s in self.steps]
        for s in self.steps[ids.index(step_id) + 1 :]:
            if s.kind != "end":
                return s.id
        return SUMMARY

    def targets(self, step: Step) -> dict[str | None, str]:
        """Where a step leads: {option value: step id} plus the default under the key None."""
        if step.kind == "end":
            return {}
        if isinstance(step.next, str):
            return {None: step.next}
        branches: dict[str, str] = dict(step.next or {})
        out: dict[str | None, str] = {k: v for k, v in branches.items() if k != ELSE}
        out[None] = branches.get(ELSE) or self.default_next(step.id)
        return out

    def texts(self) -> list[tuple[str, str]]:
        """Every citizen-facing text with where it stands, for translation checks and extraction."""
        out: list[tuple[str, str]] = [("office.name", self.office.name)]
        out.append(("office.address", self.office.address))
        sv = self.service
        out += [("service.title", sv.title), ("service.product", sv.product)]
        out += [("service.cost", sv.cost), ("service.duration", sv.duration)]
        out += [("service.after_submit", sv.after_submit)]
        out += [(f"service.requirements[{i}]", t) for i, t in enumerate(sv.requirements)]
        out += [(f"service.procedure[{i}]", t) for i, t in enumerate(sv.procedure)]
        out += [(f"service.complaints[{i}]", t) for i, t in enumerate(sv.complaints)]
        for s in self.steps:
            for name in ("ask", "label", "help", "missing"):
                value = getattr(s, name)
                if value:
                    out.append((f"step '{s.id}' {name}", value))
            out += [(f"step '{s.id}' option '{o.value}'", o.label) for o in s.options]
        # a citizen asking for their status reads its label too (office.py)
        out += [(f"status '{st.id}' label", st.label) for st in self.statuses]
        out += [(f"status '{st.id}' message", st.message) for st in self.statuses if st.message]
        return out
