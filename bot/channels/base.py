"""The edge vocabulary every channel speaks: a chat's key, an inbound message as a channel parsed
it, a file still to fetch, and the Channel protocol. Data and protocols only; no I/O here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.engine.model import Action, Event, Session


@dataclass(frozen=True)
class ChatKey:
    channel: str
    chat_id: str

    def __post_init__(self) -> None:
        if not self.channel or not self.chat_id:
            raise ValueError("ChatKey needs a channel and a chat id")

    @staticmethod
    def of(session: Session) -> ChatKey:
        return ChatKey(session.channel, session.chat_id)


@dataclass(frozen=True, slots=True)
class MediaSource:
    """A file a channel can fetch: `handle` is the channel's own (file_id, media URL)."""

    handle: str
    declared_size: int | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message as a channel parsed it: an event, or media still to fetch."""

    key: ChatKey
    message_id: str
    event: Event | None = None
    media: tuple[MediaSource, ...] = ()
    album: str | None = None


class Channel(Protocol):
    name: str

    async def fetch(self, source: MediaSource) -> bytes: ...

    async def send(self, chat_id: str, actions: Sequence[Action]) -> None: ...
