"""The stages of a conversation, as an enum whose values are what a stored session says, and
where an application under way stands. Names only: machine.py moves between them."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.engine.model import Session


class Stage(StrEnum):
    NEW = "new"  # nothing said yet: the next message is greeted
    CONSENT = "consent"  # the privacy notice, waiting for consent
    OFFICE = "office"  # the menu: choose an office (or resume the application under way)
    SERVICE = "service"  # choose one of the office's services
    REQUIREMENTS = "requirements"  # the service's requirements, waiting for "Mulai"
    FLOW = "flow"  # one of the flow's questions; Session.step says which
    SUMMARY = "summary"  # every answer shown, waiting for "Kirim" or "Ubah"
    EDIT = "edit"  # choose the answer or photo to change
    CANCEL = "cancel"  # aside: "cancel this application?"
    LANGUAGE = "language"  # aside: choose a language (when there are more than two)
    SUBMITTED = "submitted"  # the dossier was handed over
    REVISION = "revision"  # aside: the office asked for a document again, waiting for its photo
    ERASE = "erase"  # aside: "delete my data?" (privacy.py), waiting for an unambiguous yes


# Stages where an application for a service is under way and can be resumed or cancelled.
DRAFT = frozenset({Stage.REQUIREMENTS, Stage.FLOW, Stage.SUMMARY, Stage.EDIT})
# Stages that stand in front of an application under way and remember it in `resume_stage`.
ASIDES = frozenset(
    {Stage.CANCEL, Stage.LANGUAGE, Stage.OFFICE, Stage.SERVICE, Stage.REVISION, Stage.ERASE}
)
STAGE_NAMES = frozenset(s.value for s in Stage)


def position(session: Session) -> tuple[str, str] | None:
    """Where an application under way stands, as (flow id, step): the flow step being asked,
    or `requirements` / `summary`; None when no service has been chosen or nothing is under way.
    No personal data: the session store keeps it beyond the session to count expiries."""
    stage = session.stage
    if stage in ASIDES and session.resume_stage:
        stage = session.resume_stage
    if session.flow_id is None or stage not in DRAFT:
        return None
    if stage == Stage.FLOW:
        return (session.flow_id, session.step) if session.step else None
    return session.flow_id, str(Stage.SUMMARY if stage == Stage.EDIT else stage)
