"""One chat's work, as the journal hands it over: lock the chat, run the engine over each message
waiting in its inbox, in order (a Telegram album as one message), end each turn in one atomic
write, then send the replies queued for it. An unexpected failure of a turn is answered with an
apology and logged; Redis being away is not a failure of the turn: the work is done again later."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import secrets
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.channels.base import Channel, ChatKey, Inbound, MediaSource, Outgoing, Told
from bot.channels.sender import Transient
from bot.delivery.queue import DossierOutbox
from bot.delivery.record import to_record
from bot.engine import texts as T
from bot.engine.flowset import FlowSet
from bot.engine.model import (
    Action,
    CaseData,
    CaseStatus,
    DataLooked,
    Dossier,
    ErasureFiled,
    Event,
    FileErasure,
    MediaRef,
    PhotoReceived,
    PhotoRejected,
    SendText,
    Session,
    StatusLooked,
    SubmitDossier,
    SubmitRevision,
    Tell,
    Turn,
)
from bot.engine.office import OFFICE_EVENTS
from bot.engine.step import filed, new_session, step, wants_data, wants_photo, wants_status
from bot.loop.dispatch import notice_id
from bot.loop.receipts import Receipts
from bot.loop.reminders import DraftReminders
from bot.media.intake import Limits, Rejected, intake
from bot.media.store import MediaStore
from bot.observe import funnel, metrics
from bot.observe.logs import chat_ref
from bot.runtime.sending import Sending
from bot.sessions import KEEP, Claim, Item, LoadResult, SessionStore, redis_key
from bot.sessions.leases import Leases
from bot.sessions.replies import Reply
from bot.sessions.store import Keep

log = logging.getLogger("wargabot.runtime")

# A chat's cases as the office has them (channel, chat id, reference or ""): bot/desk/lookup.py.
CaseLookup = Callable[[str, str, str], Awaitable[tuple[CaseStatus, ...]]]
# The citizen's own data (channel, chat id, now), bot/desk/privacy.py: what the office keeps
# about the chat ("data saya"), and filing its deletion requests (offices filed, already waiting).
DataLookup = Callable[[str, str, datetime], Awaitable[tuple[CaseData, ...]]]
ErasureFiler = Callable[[str, str, datetime], Awaitable[tuple[tuple[str, ...], tuple[str, ...]]]]

# Redis unreachable (or loading its data after a restart): the work waits and is done again.
REDIS_AWAY = (RedisConnectionError, RedisTimeoutError)


@dataclass
class Runtime:
    flows: FlowSet
    store: SessionStore
    sending: Sending
    leases: Leases
    media: MediaStore
    outbox: DossierOutbox
    channels: Mapping[str, Channel] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    session_days: float = 7
    album_quiet: float = 1.0  # seconds without a new album photo before the album is answered
    decoding: int = 2  # images decoded at once: a 40-megapixel photo needs ~150 MB while decoded
    # The loop back to the citizen (bot/loop/): the chat's cases for "status", the reminder of
    # an unfinished application planned after each turn, and what became of the office's notices.
    cases: CaseLookup | None = None
    data: DataLookup | None = None
    erasure: ErasureFiler | None = None
    reminders: DraftReminders | None = None
    receipts: Receipts | None = None

    def __post_init__(self) -> None:
        self._decode_slots = asyncio.Semaphore(self.decoding)
        self._unknown: set[str] = set()

    async def accept(self, inbound: Inbound) -> bool:
        """Write before answering: once this returns the message is in its chat's inbox and
        will be answered, whatever happens to this process. False for a redelivery."""
        if await self.store.append(inbound):
            metrics.child(metrics.MESSAGES_IN, inbound.key.channel).inc()
            return True
        metrics.child(metrics.DUPLICATES, inbound.key.channel).inc()
        return False

    async def work(self, chat: ChatKey) -> bool:
        """Everything waiting for one chat: its messages, then its replies. False when it has
        to be done again later (another process holds the chat, or this one lost it)."""
        channel = self.channels.get(chat.channel)
        if channel is None:  # not configured here: left for a process that has it
            if chat.channel not in self._unknown:
                self._unknown.add(chat.channel)
                log.warning("work for %s chats is left: that channel is off here", chat.channel)
            return False
        token = os.urandom(16).hex().encode()  # whose lock it is (uuid4 costs 3x more)
        claim = await self.store.claim(chat, token)
        if claim is None:
            return False
        taken = None
        if claim.items:
            lease = self.leases.hold(redis_key(chat, "lock"), token)
            try:
                taken = await self._drain(claim, channel)
            except BaseException:
                await self.leases.release(lease)
                raise
            finally:
                self.leases.drop(lease)
        return await self.sending.send(chat, channel, taken)

    async def _drain(self, claim: Claim, channel: Channel) -> tuple[bytes, list[Reply] | None]:
        """Every message of the inbox, in order; returns the send lease's token and the first
        replies the last finish took with it (None: another process is sending them)."""
        key, token, send_token = claim.key, claim.token, os.urandom(16)
        loaded, items = claim.loaded, list(claim.items)
        handled: set[bytes] = set()
        while True:
            head = items[0]
            answered = False
            if head.inbound is None or head.seen or head.digest in handled:
                group: list[Item] = [head]  # a redelivery, or nothing anyone can answer
                session: Session | Keep | None = KEEP
                replies: list[Outgoing] = []
                at = None
            else:
                group = await self._album(key, token, items) if head.inbound.album else [head]
                session, replies, at = await self._answered(key, channel, loaded, group)
                answered = True
            left, taken = await self.store.finish(
                key, token, group, session, replies, at, send_token
            )
            if answered:
                await self._after(key, session, group, replies)
            if session != KEEP:
                loaded = LoadResult(session, expired=False)
            await self._discard(channel, group)
            handled.update(i.digest for i in group)
            del items[: len(group)]
            if not left:
                return send_token, taken
            if left > len(items):  # more came in meanwhile
                items += await self.store.peek(key, token, len(items))

    @staticmethod
    async def _discard(channel: Channel, group: list[Item]) -> None:
        """The platform's copies of the group's files may go now that the turn is saved (a
        process that died before would have needed them to do the turn again)."""
        for source in (s for i in group if i.inbound for s in i.inbound.media):
            try:
                await channel.discard(source)
            except Exception as exc:
                log.warning("a %s file was not discarded: %s", channel.name, type(exc).__name__)

    async def _album(self, key: ChatKey, token: bytes, items: list[Item]) -> list[Item]:
        """The album at the head of `items` (which grows), once no new part of it has come for
        `album_quiet` seconds or something else follows it."""
        album = items[0].inbound.album if items[0].inbound else None
        while True:
            run = 0
            while run < len(items) and (ib := items[run].inbound) and ib.album == album:
                run += 1
            if run < len(items):
                return items[:run]
            await asyncio.sleep(self.album_quiet)
            more = await self.store.peek(key, token, len(items))
            if not more:
                return items[:run]
            items += more

    async def _answered(
        self, key: ChatKey, channel: Channel, loaded: LoadResult, group: list[Item]
    ) -> tuple[Session | Keep | None, list[Outgoing], datetime | None]:
        """One turn, or, when it fails for any reason but Redis, the apology."""
        try:
            return await self._turn(key, channel, loaded, group)
        except REDIS_AWAY:
            raise
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
            log.error(  # the type and the place only: an exception's text may quote the citizen
                "a turn failed (%s at %s); the citizen is asked to send the message again",
                type(exc).__name__,
                where,
                extra={"chat": chat_ref(key.channel, key.chat_id), "trace": frames.format()},
            )
            metrics.child(metrics.TURN_ERRORS, key.channel).inc()
            if _from_office(group):  # the citizen sent nothing: no apology (the notice fails)
                return KEEP, [], None
            lang = loaded.session.lang if loaded.session else "id"
            return KEEP, channel.render([SendText(self.flows.tr(lang).t(T.TROUBLE))]), None

    async def _turn(
        self, key: ChatKey, channel: Channel, loaded: LoadResult, group: list[Item]
    ) -> tuple[Session | None, list[Outgoing], datetime | None]:
        started = time.perf_counter()
        expired = self.session_days if loaded.expired else None
        session = loaded.session or new_session(
            key.channel, key.chat_id, secrets.token_hex(16), expired
        )
        inbounds = [i.inbound for i in group if i.inbound is not None]
        event = await self._event(inbounds, channel, session)
        if self.cases is not None and (asked := wants_status(event)) is not None:
            event = StatusLooked(asked, await self._cases(key, asked))
        now = self.clock()
        if self.data is not None and wants_data(event):
            event = DataLooked(await self._privacy(self.data, key, now))
        turn = step(self.flows, session, event, now)
        if any(isinstance(a, FileErasure) for a in turn.actions):
            turn = await self._erase(key, turn, now)
        actions: list[Action] = []
        told: Tell | None = None
        for action in turn.actions:
            if isinstance(action, SubmitDossier):
                await self.submit(action.dossier)
            elif isinstance(action, SubmitRevision):
                await self.outbox.submit_revision(action.revision)
            elif isinstance(action, Tell):
                told = action
            else:
                actions.append(action)
        metrics.child(metrics.TURN_SECONDS, key.channel).observe(time.perf_counter() - started)
        where = loaded.where if loaded.expired else None
        funnel.observe(key.channel, key.chat_id, where, session, turn.session)
        replies = channel.render(actions)
        if told is not None:
            replies = _as_told(replies, told, turn.session.lang, _notice_ref(group))
        if _from_office(group):  # not the citizen's message: their 24-hour window stays
            return (turn.session if turn.keep else None), replies, None
        at = inbounds[-1].at
        written = datetime.fromtimestamp(at, UTC) if at else now
        return (turn.session if turn.keep else None), replies, written

    async def _cases(self, key: ChatKey, reference: str) -> tuple[CaseStatus, ...] | None:
        """The chat's cases as the office has them; None when they cannot be looked up now."""
        assert self.cases is not None
        try:
            return await self.cases(key.channel, key.chat_id, reference)
        except Exception as exc:
            log.warning("a status could not be looked up: %s", type(exc).__name__)
            return None

    async def _privacy(
        self, call: Callable[..., Awaitable[Any]], key: ChatKey, now: datetime
    ) -> Any:
        """The chat's own data looked up, or its deletion filed; None when that cannot be done
        now (said to the citizen: nothing is lost, they ask again)."""
        try:
            return await call(key.channel, key.chat_id, now)
        except Exception as exc:
            log.warning("a citizen's data request failed: %s", type(exc).__name__)
            return None

    async def _erase(self, key: ChatKey, turn: Turn, now: datetime) -> Turn:
        """The citizen confirmed "hapus data saya": file it, then let the engine say what it did."""
        found = await self._privacy(self.erasure, key, now) if self.erasure else None
        done = ErasureFiled(*found) if found is not None else ErasureFiled(None)
        return filed(self.flows, turn, done, now)

    async def _after(
        self,
        key: ChatKey,
        session: Session | Keep | None,
        group: list[Item],
        replies: list[Outgoing],
    ) -> None:
        """Once a turn is saved: plan the reminder of an unfinished application, and report
        an office notice that had nothing to say (a reminder no longer due, say)."""
        if self.reminders is not None and session != KEEP:
            await self.reminders.plan(key, session if isinstance(session, Session) else None)
        ref = _notice_ref(group)
        if ref and self.receipts is not None and not any(r.ref == ref for r in replies):
            await self.receipts.record(ref, "skipped", "nothing to say any more")

    async def submit(self, dossier: Dossier) -> None:
        """Keep the dossier durably (its JSON record next to its photos, and the outbox entry)
        before the citizen is told it was received; the worker delivers it from there."""
        record = json.dumps(to_record(dossier), ensure_ascii=False, indent=2).encode()
        await asyncio.to_thread(self.media.write, f"dossiers/{dossier.reference}.json", record)
        if await self.outbox.submit(dossier):
            metrics.child(metrics.DOSSIERS, dossier.flow_id).inc()

    async def _event(self, inbounds: list[Inbound], channel: Channel, session: Session) -> Event:
        """The event of a message, or of an album's messages taken together."""
        sources = [s for ib in inbounds for s in ib.media]
        if not sources:
            return next(ib.event for ib in inbounds if ib.event is not None)
        if not wants_photo(self.flows, session):
            return PhotoReceived(())  # not at a photo step: nothing is downloaded or kept
        results = [await self.fetch(source, channel) for source in sources]
        refs = tuple(r for r in results if isinstance(r, MediaRef))
        if refs:
            return PhotoReceived(refs)  # an album's videos or odd files are left out
        return next(r for r in results if isinstance(r, PhotoRejected))

    async def fetch(self, source: MediaSource, channel: Channel) -> MediaRef | PhotoRejected:
        """Download and clean one file; a refused or unreachable file becomes the reason the
        citizen is told, never an error."""
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
        except Exception as exc:  # Transient, or anything a download can raise
            what = str(exc) if isinstance(exc, Transient) else type(exc).__name__
            log.warning("a %s file could not be fetched: %s", channel.name, what)
            metrics.child(metrics.PHOTOS_REFUSED, "unavailable").inc()
            return PhotoRejected("unavailable")


def _from_office(group: list[Item]) -> bool:
    """A turn the office (or the reminder planner) started: no message from the citizen."""
    events = [i.inbound.event for i in group if i.inbound is not None]
    return bool(events) and all(isinstance(e, OFFICE_EVENTS) for e in events)


def _notice_ref(group: list[Item]) -> str:
    """The desk's notice a turn answers for (`notice:ID`), if any."""
    return next(
        (
            i.inbound.message_id
            for i in group
            if i.inbound is not None and notice_id(i.inbound.message_id) is not None
        ),
        "",
    )


def _as_told(replies: list[Outgoing], tell: Tell, lang: str, ref: str) -> list[Outgoing]:
    """A message from the office: a stand-in first (its template, where only a template may
    go), then the replies, each marked as the office's and answering for `ref`."""
    told = Told(tell.kind, lang, tell.values)
    standin = Outgoing("", told=Told(tell.kind, lang, tell.values, standin=True), ref=ref)
    return [standin, *(dataclasses.replace(r, told=told, ref=ref) for r in replies)]
