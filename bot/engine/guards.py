"""Checks across answers that no single answer's parser can make: a valid answer that repeats
another one where a repeat can only be a mix-up. Pure: flows and answers in, a msgid out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine import texts as T
from bot.engine.flow import Flow, Step


def repeated(flow: Flow, step: Step, value: Any, answers: Mapping[str, Any]) -> str | None:
    """Why `value` cannot answer `step`, as a msgid; None when it can. A KK number equal to a NIK
    given earlier is the NIK typed again (both are 16 digits, and a KK parser accepts any NIK)."""
    if step.kind == "kk":
        niks = (answers.get(s.id) for s in flow.steps if s.kind == "nik" and s.id != step.id)
        if value in niks:
            return T.KK_IS_NIK
    return None
