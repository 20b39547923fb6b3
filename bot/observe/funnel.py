"""The conversation funnel: compares a chat's session before and after one turn and counts what
changed (a service chosen, a step reached, a dossier submitted, a conversation given up), so
staff can see where citizens stop. Counters and log lines only; it never changes a session.

Labels are flow ids, step ids and stage names, never anything a citizen typed."""

from __future__ import annotations

import logging

from bot.engine.model import Session
from bot.engine.step import position
from bot.observe import metrics
from bot.observe.logs import chat_ref

log = logging.getLogger("wargabot.funnel")


def observe(
    channel: str,
    chat_id: str,
    expired_at: tuple[str, str] | None,
    before: Session,
    after: Session,
) -> None:
    """Count one turn: `before` is the session as loaded (or new), `after` as the engine left it;
    `expired_at` is where an expired application stood (flow, step), if this turn found one."""

    def ref() -> str:  # only when a line is logged: masking costs CPU on every turn otherwise
        return chat_ref(channel, chat_id)

    if expired_at is not None:
        flow, step = expired_at
        metrics.child(metrics.ABANDONED, flow, step, "expired").inc()
        log.info("conversation expired", extra={"chat": ref(), "flow": flow, "step": step})

    chosen = after.flow_id is not None and after.started_at is not None
    if chosen and (after.flow_id, after.started_at) != (before.flow_id, before.started_at):
        was = position(before)
        if was is not None:  # another service (or the same one anew) replaces this one
            metrics.child(metrics.ABANDONED, *was, "restarted").inc()
        assert after.flow_id is not None
        metrics.child(metrics.STARTED, after.flow_id).inc()
    elif before.flow_id is not None and after.flow_id is None:
        if after.submissions > before.submissions:
            metrics.child(metrics.COMPLETED, before.flow_id).inc()
            extra = {"chat": ref(), "flow": before.flow_id, "dossier": after.reference}
            log.info("dossier submitted", extra=extra)
        elif before.stage == "cancel" and (was := position(before)) is not None:
            metrics.child(metrics.ABANDONED, *was, "cancelled").inc()

    reached = _reached(before, after)
    if reached is not None and after.flow_id is not None:
        metrics.child(metrics.STEP_REACHED, after.flow_id, reached).inc()

    if log.isEnabledFor(logging.DEBUG):
        extra = {"chat": ref(), "flow": after.flow_id, "stage": after.stage, "step": after.step}
        log.debug("turn", extra=extra)


def _reached(before: Session, after: Session) -> str | None:
    """The step this turn arrived at for the first time in this application, if any: a step with
    no answer yet, reached by answering the step before it for the first time (or by an edit
    that took another branch). Going back, answering again, resuming or retrying counts nothing.
    `summary` when the last step has just been answered for the first time."""
    first_answer = before.step not in before.answers
    if after.stage == "flow" and after.step and after.step != before.step:
        new = after.step not in after.answers and (first_answer or before.editing)
        return after.step if new else None
    if after.stage == "summary" and before.stage == "flow" and not before.editing:
        return "summary" if first_answer else None
    return None
