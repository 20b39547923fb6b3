"""The runtime without a web app, for tests: a Runtime and its Processor on a Redis URL, with
channels the test passes (often a RecordingChannel), started and stopped like `serve` does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import redis.asyncio

from bot.channels.base import Channel, ChatKey, MediaSource, Outgoing
from bot.channels.sender import RateLimiter, Skip
from bot.delivery.queue import DossierOutbox
from bot.engine.flowset import FlowSet
from bot.engine.model import Action, AskChoice, RequestPhoto
from bot.media.store import MediaStore
from bot.runtime import Processor, Runtime, Sending
from bot.sessions import SessionStore, open_redis
from bot.sessions.journal import Journal
from bot.sessions.leases import Leases
from bot.sessions.pipeline import AutoPipeline
from bot.sessions.replies import ReplyStore


@dataclass
class RecordingChannel:
    """A channel whose replies land in `sent` (chat id, text) and whose files come from
    `files`; `fail` makes fetch or deliver raise what it returns (None: succeed)."""

    name: str = "test"
    files: dict[str, bytes] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)
    discarded: list[str] = field(default_factory=list)
    fetch_error: Callable[[MediaSource], Exception | None] = lambda source: None
    deliver_error: Callable[[Outgoing], Exception | None] = lambda message: None
    fetching: Callable[[MediaSource], Awaitable[None]] | None = None

    async def fetch(self, source: MediaSource) -> bytes:
        if self.fetching is not None:
            await self.fetching(source)
        error = self.fetch_error(source)
        if error is not None:
            raise error
        return self.files[source.handle]

    async def discard(self, source: MediaSource) -> None:
        self.discarded.append(source.handle)

    def render(self, actions: Sequence[Action]) -> list[Outgoing]:
        out = []
        for action in actions:
            if isinstance(action, AskChoice | RequestPhoto):
                out.append(Outgoing(action.text, tuple(o.label for o in action.options)))
            elif hasattr(action, "text"):
                out.append(Outgoing(action.text))
        return out

    async def deliver(self, chat_id: str, message: Outgoing) -> None:
        if message.told is not None and message.told.standin:
            raise Skip("no window here: the text goes as it is")  # as Telegram does
        error = self.deliver_error(message)
        if error is not None:
            raise error
        self.sent.append((chat_id, message.text))

    def texts_to(self, chat_id: str) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]


@dataclass
class Parts:
    redis: redis.asyncio.Redis
    runtime: Runtime
    processor: Processor
    journal: Journal
    store: SessionStore
    replies: ReplyStore

    async def settle(self, timeout: float = 15) -> None:
        await self.processor.idle(timeout)


def parts(
    redis_url: str,
    flows: FlowSet,
    tmp: Path,
    channels: Mapping[str, Channel],
    claim_idle: float = 5.0,
    consumer: str = "test",
) -> Parts:
    client = open_redis(redis_url)
    pipe = AutoPipeline(client)
    store = SessionStore(client, pipe=pipe)
    leases = Leases(pipe)
    replies = ReplyStore(pipe, leases, timedelta(days=7))
    fast = {name: RateLimiter(per_second=10_000) for name in channels}
    media = MediaStore(tmp / "media")
    runtime = Runtime(
        flows, store, Sending(replies, leases, fast), leases, media, DossierOutbox(client), channels
    )
    runtime.album_quiet = 0.2
    journal = Journal(client, pipe, consumer)
    return Parts(client, runtime, Processor(runtime, journal, claim_idle), journal, store, replies)


@asynccontextmanager
async def started(p: Parts) -> AsyncIterator[Parts]:
    """The processor and the lease keeper running until the block ends (then stopped)."""
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(p.processor.run(stop)),
        asyncio.create_task(p.runtime.leases.run(stop)),
    ]
    try:
        yield p
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await p.redis.aclose()


def chat(chat_id: str = "1", channel: str = "test") -> ChatKey:
    return ChatKey(channel, chat_id)
