"""Telling the citizen what became of their dossier, on the channel they applied from, in
their language: received by the office, or (only after hours of failing) delayed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.channels.sender import ReplyQueue
from bot.engine import texts as T
from bot.engine.flowset import FlowSet
from bot.engine.model import Action, Dossier, SendText
from bot.observe import metrics


class Sender(Protocol):
    replies: ReplyQueue

    async def send(self, chat_id: str, actions: Sequence[Action]) -> None: ...


MESSAGES = {"received": T.OFFICE_RECEIVED, "delayed": T.DELIVERY_DELAYED}


class Notifier:
    def __init__(self, flows: FlowSet, channels: Mapping[str, Sender]) -> None:
        self.flows, self.channels = flows, channels

    def text(self, dossier: Dossier, what: str) -> str:
        tr = self.flows.tr(dossier.language)
        return tr.t(MESSAGES[what], reference=dossier.reference, office=tr.t(dossier.office))

    async def __call__(self, dossier: Dossier, what: str) -> None:
        channel = self.channels.get(dossier.channel)
        if channel is None:
            return  # the terminal chat, or a channel switched off since
        metrics.child(metrics.MESSAGES_OUT, dossier.channel).inc()
        await channel.send(dossier.chat_id, [SendText(self.text(dossier, what))])
        await channel.replies.flush(dossier.chat_id)
