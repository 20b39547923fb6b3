"""Prometheus metrics, defined once: messages, latency, refused photos, dossiers, funnels.
Only definitions live here; the modules that observe things increment them.

With several web processes (WEB_WORKERS > 1, bot/web/processes.py) PROMETHEUS_MULTIPROC_DIR is set
before this module is imported: each process writes its values there, and /metrics adds them up
whichever process answers."""

from __future__ import annotations

import os
from typing import TypeVar, cast

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics import MetricWrapperBase

MESSAGES_IN = Counter("wargabot_messages_in_total", "Messages received", ["channel"])
MESSAGES_OUT = Counter("wargabot_messages_out_total", "Replies sent", ["channel"])
DUPLICATES = Counter(
    "wargabot_duplicate_updates_total", "Redelivered messages ignored", ["channel"]
)
WEBHOOK_SECONDS = Histogram(
    "wargabot_webhook_seconds",
    "Webhook handling time",
    ["channel"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
TURN_SECONDS = Histogram(
    "wargabot_turn_seconds",
    "One conversation turn: load, step, save, send",
    ["channel"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PHOTOS_REFUSED = Counter("wargabot_photos_refused_total", "Photos refused", ["reason"])
DOSSIERS = Counter("wargabot_dossiers_submitted_total", "Dossiers submitted", ["flow"])
DELIVERED = Counter(
    "wargabot_dossiers_delivered_total", "Dossiers accepted by an office inbox sink", ["sink"]
)
DELIVERY_FAILURES = Counter(
    "wargabot_delivery_failures_total", "Failed attempts to hand a dossier to a sink", ["sink"]
)
DEAD_LETTERS = Counter(
    "wargabot_dossiers_dead_lettered_total", "Dossiers given up on after retrying for hours"
)
# Read from Redis by every process that runs an outbox worker: the same figure, not a share.
OUTBOX_DEPTH = Gauge(
    "wargabot_outbox_depth", "Submitted dossiers not yet delivered", multiprocess_mode="mostrecent"
)
OUTBOX_OLDEST = Gauge(
    "wargabot_outbox_oldest_seconds",
    "Age of the oldest undelivered dossier (0 when none)",
    multiprocess_mode="mostrecent",
)
OUTBOX_DEAD = Gauge(
    "wargabot_outbox_dead_letters",
    "Dossiers in the dead-letter stream",
    multiprocess_mode="mostrecent",
)
WEBHOOK_REFUSED = Counter(
    "wargabot_webhook_refused_total", "Webhook calls refused", ["channel", "reason"]
)
SEND_ERRORS = Counter(
    "wargabot_send_errors_total",
    "Replies refused for good, or still failing after the retries (kept, tried again)",
    ["channel"],
)
TURN_ERRORS = Counter(
    "wargabot_turn_errors_total",
    "Turns that failed unexpectedly (the citizen was asked to send the message again)",
    ["channel"],
)
JOURNAL_UNAVAILABLE = Counter(
    "wargabot_journal_unavailable_total",
    "Webhook calls answered 503: the message could not be written to the journal (Redis)",
    ["channel"],
)
JOURNAL_TAKEN_OVER = Counter(
    "wargabot_journal_taken_over_total",
    "Work entries taken over from a web process that stopped working on them (it died)",
)
# Read from Redis by every web process: the same figure, not a share.
JOURNAL_WAITING = Gauge(
    "wargabot_journal_waiting",
    "Chats' work entries not yet done (new, under way, or left by a stopped process)",
    multiprocess_mode="mostrecent",
)

# The conversation funnel (bot/observe/funnel.py): where citizens give up.
STARTED = Counter(
    "wargabot_conversations_started_total", "Conversations where a service was chosen", ["flow"]
)
COMPLETED = Counter(
    "wargabot_conversations_completed_total", "Conversations that ended in a dossier", ["flow"]
)
ABANDONED = Counter(
    "wargabot_conversations_abandoned_total",
    "Conversations given up: cancelled, expired, or restarted with a service chosen anew",
    ["flow", "step", "reason"],
)
STEP_REACHED = Counter(
    "wargabot_step_reached_total",
    "Applications arriving at a step for the first time (step summary: every step answered)",
    ["flow", "step"],
)

# Messages to citizens about their case (bot/loop/): what became of each.
NOTICES = Counter(
    "wargabot_notices_total",
    "Messages to citizens about their case: sent, waiting (WhatsApp's window, no template), "
    "failed (refused for good, blocked), skipped (reminders stopped or out of the window)",
    ["state"],
)
# Read from the database by every process that runs a worker: the same figure, not a share.
NOTICES_WAITING = Gauge(
    "wargabot_notices_waiting",
    "Messages to citizens waiting for them to write (WhatsApp's 24-hour window)",
    multiprocess_mode="mostrecent",
)

M = TypeVar("M", bound=MetricWrapperBase)
_children: dict[tuple[int, tuple[str, ...]], MetricWrapperBase] = {}


def child(metric: M, *labels: str) -> M:
    """metric.labels(*labels), looked up once: labels() validates and locks on every call."""
    key = (id(metric), labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return cast(M, found)


def exposition() -> bytes:
    """What /metrics shows: this process's metrics, or every web process's added up."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
