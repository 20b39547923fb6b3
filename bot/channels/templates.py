"""WhatsApp's message templates (Twilio Content API): which pre-approved template carries each kind
of message to the citizen outside the 24-hour window, and the values of its {{1}}, {{2}}, ...
Parsing the settings and filling the variables only; sending is whatsapp.py's."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import ConfigError, Settings

# How long after the citizen's last message WhatsApp takes free text (Meta's customer service
# window), less a margin for clocks and for a message that waits a moment in the queue.
WINDOW = timedelta(hours=24)
MARGIN = timedelta(minutes=10)

# The kinds of message that may go out as a template, and the values each can fill in.
VALUES: dict[str, tuple[str, ...]] = {
    "document_request": ("reference", "document", "reason", "office"),
    "status": ("reference", "status", "office", "reason"),
    "document_reminder": ("reference", "document", "office"),
    "privacy_request": ("office", "outcome", "reason", "references"),
}
# The variables a template has when its setting names none: {{1}}, {{2}}, ... in this order.
DEFAULT_VARIABLES: dict[str, tuple[str, ...]] = {
    "document_request": ("reference", "document", "reason"),
    "status": ("reference", "status"),
    "document_reminder": ("reference", "document"),
    "privacy_request": ("office", "outcome"),
}
MAX_VALUE = 900  # characters of one variable (WhatsApp takes 1024 per template body)
_SID = re.compile(r"HX[0-9a-f]{32}")


@dataclass(frozen=True)
class Template:
    sid: str  # HX... from the Twilio console (Content Template Builder)
    variables: tuple[str, ...]  # the value behind {{1}}, {{2}}, ...


def parse(kind: str, setting: str) -> Template:
    """`HX...` or `HX...:reference,document,reason` (the values of {{1}}, {{2}}, ... in order)."""
    sid, _, names = setting.strip().partition(":")
    if not _SID.fullmatch(sid):
        raise ValueError("a template is its Content SID: HX followed by 32 hex digits")
    variables = tuple(n.strip() for n in names.split(",") if n.strip()) if names else None
    allowed = VALUES[kind]
    if variables is None:
        variables = DEFAULT_VARIABLES[kind]
    unknown = [n for n in variables if n not in allowed]
    if unknown:
        raise ValueError(f"unknown variable(s) {unknown} for {kind}: use {', '.join(allowed)}")
    return Template(sid, variables)


def clean(value: str) -> str:
    """A variable's value as WhatsApp takes it: no new lines or tabs, no run of 4+ spaces."""
    return " ".join(value.split())[:MAX_VALUE] or "-"


def content_variables(template: Template, values: Mapping[str, str]) -> str:
    """The ContentVariables JSON: {"1": ..., "2": ...}."""
    filled = {str(i): clean(values.get(name, "")) for i, name in enumerate(template.variables, 1)}
    return json.dumps(filled, ensure_ascii=False, separators=(",", ":"))


# Kinds that are only worth sending when they can go at once: a reminder that would wait for
# the citizen to write says nothing new by then.
NOW_OR_NEVER = frozenset({"document_reminder", "draft_reminder"})


def way(kind: str, language: str, inside: bool, found: Templates) -> tuple[str, Template | None]:
    """How a message goes out: "text" inside the window; outside it, "template" when its kind
    has one, "drop" for a reminder without one, else "hold" (until the citizen writes)."""
    if inside:
        return "text", None
    template = found.find(kind, language) if kind else None
    if template is not None:
        return "template", template
    return ("drop" if kind in NOW_OR_NEVER else "hold"), None


def inside_window(last_inbound: datetime | None, now: datetime) -> bool:
    """Whether free text may still be sent: the citizen wrote less than 24 hours ago."""
    return last_inbound is not None and now - last_inbound < WINDOW - MARGIN


@dataclass(frozen=True)
class Templates:
    """The configured templates by (kind, language); a kind without one for the citizen's
    language uses the Indonesian one."""

    by_kind: Mapping[tuple[str, str], Template]

    def find(self, kind: str, language: str) -> Template | None:
        return self.by_kind.get((kind, language)) or self.by_kind.get((kind, "id"))

    def __bool__(self) -> bool:
        return bool(self.by_kind)


NONE = Templates({})


def from_settings(settings: Settings) -> Templates:
    """The TWILIO_TEMPLATE_* settings; a malformed one is a ConfigError naming it."""
    found: dict[tuple[str, str], Template] = {}
    for kind in VALUES:
        for lang, suffix in (("id", ""), ("en", "_EN")):
            name = f"TWILIO_TEMPLATE_{kind.upper()}{suffix}"
            value = str(getattr(settings, name, "") or "")
            if not value.strip():
                continue
            try:
                found[(kind, lang)] = parse(kind, value)
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from None
    return Templates(found)
