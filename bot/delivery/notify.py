"""Telling the citizen what became of their dossier, on the channel they applied from, in
their language: received by the office, or (only after hours of failing) delayed. The message
joins the chat's durable reply queue once per dossier and outcome (its idempotency key)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.channels.base import ChatKey, Outgoing
from bot.engine import texts as T
from bot.engine.flowset import FlowSet
from bot.engine.model import Action, Dossier, SendText
from bot.sessions.replies import ReplyStore


class Renderer(Protocol):
    def render(self, actions: Sequence[Action]) -> list[Outgoing]: ...


MESSAGES = {"received": T.OFFICE_RECEIVED, "delayed": T.DELIVERY_DELAYED}


class Notifier:
    def __init__(
        self, flows: FlowSet, channels: Mapping[str, Renderer], replies: ReplyStore
    ) -> None:
        self.flows, self.channels, self.replies = flows, channels, replies

    def text(self, dossier: Dossier, what: str) -> str:
        tr = self.flows.tr(dossier.language)
        return tr.t(MESSAGES[what], reference=dossier.reference, office=tr.t(dossier.office))

    async def __call__(self, dossier: Dossier, what: str) -> None:
        channel = self.channels.get(dossier.channel)
        if channel is None:
            return  # the terminal chat, or a channel switched off since
        messages = channel.render([SendText(self.text(dossier, what))])
        chat = ChatKey(dossier.channel, dossier.chat_id)
        await self.replies.enqueue(chat, messages, key=f"dossier:{dossier.reference}:{what}")
