"""The one orchestrator: dedupe -> lock the chat -> load -> fetch media -> engine.step -> save ->
deliver dossiers -> send replies. Channels only translate; the engine only decides."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.channels.base import Channel, ChatKey, Inbound, MediaSource
from bot.channels.sender import Transient
from bot.delivery.queue import DossierOutbox
from bot.delivery.record import to_record
from bot.engine import texts as T
from bot.engine.flowset import FlowSet
from bot.engine.model import (
    Action,
    Dossier,
    Event,
    MediaRef,
    PhotoReceived,
    PhotoRejected,
    SendText,
    Session,
    SubmitDossier,
    SubmitRevision,
)
from bot.engine.step import new_session, step, wants_photo
from bot.media.intake import Limits, Rejected, intake
from bot.media.store import MediaStore
from bot.observe import funnel, metrics
from bot.sessions import LoadResult, SessionStore, redis_key

log = logging.getLogger("wargabot.runtime")


@dataclass
class Runtime:
    flows: FlowSet
    store: SessionStore
    media: MediaStore
    outbox: DossierOutbox
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    session_days: float = 7
    album_quiet: float = 1.0  # seconds without a new album photo before the album is answered
    decoding: int = 2  # images decoded at once: a 40-megapixel photo needs ~150 MB while decoded
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._decode_slots = asyncio.Semaphore(self.decoding)

    async def handle(self, inbound: Inbound, channel: Channel) -> bool:
        """Process one inbound message exactly once; False when it was a redelivery."""
        key = inbound.key
        if inbound.album:
            if not await self.store.first_time(key, inbound.message_id):
                return self._duplicate(key)
            try:
                await self._album_item(inbound, channel)
            except BaseException:
                await self.store.forget(key, inbound.message_id)  # let it be redelivered
                raise
            return True
        claim = await self.store.claim(key, inbound.message_id)  # dedupe, lock, load
        if claim is None:
            return self._duplicate(key)
        metrics.child(metrics.MESSAGES_IN, key.channel).inc()
        try:
            session, now = await self._turn(
                key, channel, claim.loaded, lambda s: self._event(inbound, channel, s)
            )
            await self.store.finish(claim, session, inbound_at=now)  # save, release
        except BaseException:
            await self.store.abandon(claim)
            await self.store.forget(key, inbound.message_id)  # let the platform redeliver it
            raise
        return True

    def _duplicate(self, key: ChatKey) -> bool:
        metrics.child(metrics.DUPLICATES, key.channel).inc()
        return False

    async def _album_item(self, inbound: Inbound, channel: Channel) -> None:
        """Photos of one album arrive as separate messages: store each, answer once."""
        key = inbound.key
        peek = await self.store.load(key)
        items: list[dict[str, object]] = []
        if peek.session is None or not wants_photo(self.flows, peek.session):
            items.append({"skip": True})
        else:
            for source in inbound.media:
                result = await self.fetch(source, channel)
                if isinstance(result, PhotoRejected):
                    items.append({"reject": result.reason})
                else:
                    items.append({"ref": result.to_dict()})
        name = redis_key(key, "album", inbound.album or "")
        pipe = self.store.redis.pipeline(transaction=False)
        pipe.rpush(name, *(json.dumps(i) for i in items))
        pipe.expire(name, 300)
        count, _ = await pipe.execute()
        if count == len(items):  # the first of the album schedules the answer
            task = asyncio.create_task(self._flush_album(key, name, channel))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _flush_album(self, key: ChatKey, name: str, channel: Channel) -> None:
        try:
            await self._answer_album(key, name, channel)
        except Exception:
            log.exception("an album could not be answered")

    async def _answer_album(self, key: ChatKey, name: str, channel: Channel) -> None:
        last = -1
        while (count := await self.store.redis.llen(name)) != last:
            last = count
            await asyncio.sleep(self.album_quiet)
        pipe = self.store.redis.pipeline(transaction=True)
        pipe.lrange(name, 0, -1)
        pipe.delete(name)
        raw, _ = await pipe.execute()
        items = [json.loads(r) for r in raw]
        refs = tuple(MediaRef.from_dict(i["ref"]) for i in items if "ref" in i)
        rejects = [str(i["reject"]) for i in items if "reject" in i]
        event: Event = PhotoReceived(refs)
        if not refs and rejects:
            event = PhotoRejected(rejects[0])
        metrics.child(metrics.MESSAGES_IN, key.channel).inc()
        async with self.store.lock(key):
            loaded = await self.store.load(key)
            session, now = await self._turn(key, channel, loaded, lambda s: _ready(event))
            if session is None:
                await self.store.delete(key)
            else:
                await self.store.save(session, inbound_at=now)

    async def drain(self) -> None:
        """Wait for albums still being gathered (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _turn(
        self,
        key: ChatKey,
        channel: Channel,
        loaded: LoadResult,
        event_for: Callable[[Session], Awaitable[Event]],
    ) -> tuple[Session | None, datetime]:
        """One engine step; the replies are queued (in order) before the chat is released.
        Returns the session to save, or None when nothing may be kept (no consent)."""
        started = time.perf_counter()
        session = loaded.session or new_session(key.channel, key.chat_id, secrets.token_hex(16))
        event = await event_for(session)
        now = self.clock()
        turn = step(self.flows, session, event, now)
        actions: list[Action] = []
        if loaded.expired:
            days = f"{self.session_days:g}"
            actions.append(SendText(self.flows.tr(session.lang).t(T.SESSION_EXPIRED, days=days)))
        for action in turn.actions:
            if isinstance(action, SubmitDossier):
                await self.submit(action.dossier)
            elif isinstance(action, SubmitRevision):
                await self.outbox.submit_revision(action.revision)
            else:
                actions.append(action)
        await channel.send(key.chat_id, actions)
        metrics.child(metrics.MESSAGES_OUT, key.channel).inc(len(actions))
        metrics.child(metrics.TURN_SECONDS, key.channel).observe(time.perf_counter() - started)
        where = loaded.where if loaded.expired else None
        funnel.observe(key.channel, key.chat_id, where, session, turn.session)  # turn went through
        if turn.session.stage == "new" and not turn.session.answers:
            return None, now  # no consent: nothing is kept
        return turn.session, now

    async def submit(self, dossier: Dossier) -> None:
        """Keep the dossier durably (its JSON record next to its photos, and the outbox entry)
        before the citizen is told it was received; the worker delivers it from there."""
        record = json.dumps(to_record(dossier), ensure_ascii=False, indent=2).encode()
        await asyncio.to_thread(self.media.write, f"dossiers/{dossier.reference}.json", record)
        await self.outbox.submit(dossier)
        metrics.child(metrics.DOSSIERS, dossier.flow_id).inc()

    async def _event(self, inbound: Inbound, channel: Channel, session: Session) -> Event:
        if inbound.event is not None:
            return inbound.event
        if not wants_photo(self.flows, session):
            return PhotoReceived(())  # not at a photo step: nothing is downloaded or kept
        refs = []
        for source in inbound.media:
            result = await self.fetch(source, channel)
            if isinstance(result, PhotoRejected):
                return result
            refs.append(result)
        return PhotoReceived(tuple(refs))

    async def fetch(self, source: MediaSource, channel: Channel) -> MediaRef | PhotoRejected:
        """Download and clean one file; a refused file becomes the reason the citizen is told."""
        if source.declared_size is not None and source.declared_size > self.limits.max_bytes:
            metrics.child(metrics.PHOTOS_REFUSED, "too_large").inc()
            return PhotoRejected("too_large")
        try:
            data = await channel.fetch(source)
            async with self._decode_slots:
                return await intake(data, self.media, self.limits)
        except Rejected as exc:
            metrics.child(metrics.PHOTOS_REFUSED, exc.reason).inc()
            return PhotoRejected(exc.reason)
        except Transient as exc:
            log.warning("a %s file could not be fetched: %s", channel.name, exc)
            metrics.child(metrics.PHOTOS_REFUSED, "unavailable").inc()
            return PhotoRejected("unavailable")


async def _ready(event: Event) -> Event:
    return event
