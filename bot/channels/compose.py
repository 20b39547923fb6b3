"""Folds one turn's replies into as few messages as fit: a text followed by a question becomes
one message carrying the question's buttons. Pure; shared by the channels."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.engine.model import Action, AskChoice, RequestContact, RequestPhoto, SendText

Message = SendText | AskChoice | RequestPhoto | RequestContact


def split(text: str, limit: int) -> list[str]:
    """A text too long for one message, cut at line breaks where possible."""
    out = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*out, text]


def combine(actions: Sequence[Action], limit: int) -> list[Message]:
    """Each text joins the message after it when the two fit in `limit` characters."""
    out: list[Message] = []
    for action in actions:
        if not isinstance(action, SendText | AskChoice | RequestPhoto | RequestContact):
            continue
        prev = out[-1] if out else None
        if isinstance(prev, SendText) and len(prev.text) + len(action.text) + 2 <= limit:
            out[-1] = dataclasses.replace(action, text=f"{prev.text}\n\n{action.text}")
        else:
            out.append(action)
    return out
