"""The session store's contract, run against a real redis-server and against fakeredis (memory://):
sessions saved and loaded, the key layout, and a message's life through the inbox (append, claim,
peek, finish)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import UTC, datetime, timedelta, timezone

import fakeredis
import pytest
import redis.asyncio
from redis.crc import key_slot

from bot.channels.base import ChatKey, Inbound, Outgoing
from bot.engine.model import MediaRef, Session, TextReceived
from bot.engine.stages import Stage
from bot.engine.step import new_session
from bot.sessions import KEEP, LoadResult, LockLost, SessionStore, keys, open_redis, redis_key
from bot.sessions import store as store_module
from bot.sessions.journal import WORK
from bot.sessions.leases import Leases
from bot.sessions.pipeline import AutoPipeline
from bot.sessions.replies import ReplyStore
from bot.sessions.store import Keep

KEY = ChatKey("telegram", "12345")
WITA = timezone(timedelta(hours=8))
TOKEN = b"token-1"


def photo(n: int) -> dict[str, object]:
    digest = hashlib.sha256(f"photo {n}".encode()).hexdigest()
    return MediaRef(f"{digest[:2]}/{digest}.jpg", "image/jpeg", digest, 350_000 + n).to_dict()


def typical_session(chat: ChatKey = KEY) -> Session:
    """Mid-conversation in the Makassar KIS flow: 10 answers, 3 photos, asking for the phone."""
    s = new_session(chat.channel, chat.chat_id, "9f2c4e7a1b3d5f60718293a4b5c6d7e8")
    s.stage, s.flow_id, s.office_id, s.step = (
        Stage.FLOW,
        "makassar-kis-pbi",
        "dinsos_makassar",
        "hp",
    )
    s.answers = {
        "jenis": "peralihan",
        "tunggakan": False,
        "bukti_bayar": [photo(1)],
        "nama": "Siti Aminah binti Abdullah Rahman",
        "nik": "7371014507850002",
        "nomor_kk": "7371011203100015",
        "foto_kk": [photo(2)],
        "pekerjaan": "nelayan",
        "dtks": "belum",
        "sktm": [photo(3)],
    }
    s.started_at = datetime(2026, 11, 22, 1, 50, tzinfo=UTC)
    s.updated_at = datetime(2026, 11, 22, 2, 0, 12, tzinfo=UTC)
    return s


def tag(key: str) -> str:
    """What Redis Cluster hashes: the text between the first `{` and the next `}`."""
    start = key.index("{")
    return key[start + 1 : key.index("}", start + 1)]


def text(message_id: str, said: str, chat: ChatKey = KEY) -> Inbound:
    return Inbound(chat, message_id, TextReceived(said), at=1_800_000_000.0)


# --- load / save ------------------------------------------------------------------------------


async def test_round_trip(store: SessionStore) -> None:
    s = typical_session()
    await store.save(s)
    got = await store.load(KEY)
    assert got.session is not None and not got.expired
    assert got.session.to_json() == s.to_json()


async def test_missing_is_none_not_expired(store: SessionStore) -> None:
    assert await store.load(KEY) == LoadResult(None, expired=False)


async def test_expired_session_is_reported(client: redis.asyncio.Redis) -> None:
    store = SessionStore(client, ttl=timedelta(milliseconds=300))
    await store.save(typical_session())
    assert (await store.load(KEY)).session is not None
    await asyncio.sleep(0.6)
    assert await client.exists(redis_key(KEY, "known")) == 1
    # where the application stood outlives it (flow and step only), for the funnel metrics
    assert await store.load(KEY) == LoadResult(None, expired=True, where=("makassar-kis-pbi", "hp"))
    await store.save(typical_session())  # starting over
    assert (await store.load(KEY)).expired is False


async def test_where_follows_the_application_and_holds_no_personal_data(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    s = typical_session()
    await store.save(s)
    raw = await client.get(redis_key(KEY, "where"))
    assert raw == b'["makassar-kis-pbi", "hp"]'
    assert 37 * 86400 - 5 <= await client.ttl(redis_key(KEY, "where")) <= 37 * 86400
    s.resume_stage, s.stage = Stage.FLOW, Stage.CANCEL  # asked to cancel: still at the phone step
    await store.save(s)
    assert await client.get(redis_key(KEY, "where")) == b'["makassar-kis-pbi", "hp"]'
    s.stage, s.flow_id, s.step, s.resume_stage, s.answers = Stage.OFFICE, None, None, None, {}
    await store.save(s)  # nothing under way any more: no marker
    assert await client.exists(redis_key(KEY, "where")) == 0
    s.stage, s.flow_id = Stage.SUMMARY, "makassar-kis-pbi"
    await store.save(s)
    await store.delete(KEY)
    assert await client.exists(redis_key(KEY, "where")) == 0


async def test_delete_forgets_the_chat(store: SessionStore) -> None:
    await store.save(typical_session())
    await store.delete(KEY)
    assert await store.load(KEY) == LoadResult(None, expired=False)


async def test_ttls_are_set(client: redis.asyncio.Redis, store: SessionStore) -> None:
    await store.save(typical_session())
    assert 7 * 86400 - 5 <= await client.ttl(redis_key(KEY, "session")) <= 7 * 86400
    assert 180 * 86400 - 5 <= await client.ttl(redis_key(KEY, "known")) <= 180 * 86400


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"x\x9c garbage", b'{"foo": 1}', b"[]", b'{"channel": "telegram"}', b""],
)
async def test_corrupt_session_is_absent(
    client: redis.asyncio.Redis,
    store: SessionStore,
    caplog: pytest.LogCaptureFixture,
    raw: bytes,
) -> None:
    await store.save(typical_session())
    await client.set(redis_key(KEY, "session"), raw)
    with caplog.at_level(logging.WARNING, "wargabot.sessions"):
        got = await store.load(KEY)
    assert got.session is None and got.expired  # told, then starts over
    assert "unreadable session" in caplog.text
    assert KEY.chat_id not in caplog.text and "garbage" not in caplog.text


async def test_session_of_another_chat_is_absent(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    other = typical_session(ChatKey("telegram", "999"))
    await client.set(redis_key(KEY, "session"), other.to_json().encode())
    assert (await store.load(KEY)).session is None


async def test_large_session_is_compressed_and_reads_back(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    s = typical_session()
    s.answers.update({f"catatan_{i}": "Jalan Perintis Kemerdekaan " * 4 for i in range(10)})
    await store.save(s)
    stored = await client.get(redis_key(KEY, "session"))
    assert stored is not None and stored[:1] == b"x" and len(stored) < len(s.to_json())
    got = (await store.load(KEY)).session
    assert got is not None and got.to_json() == s.to_json()


# --- keys -------------------------------------------------------------------------------------


def test_key_layout() -> None:
    assert redis_key(KEY, "session") == "wb:{telegram:12345}:session"
    assert redis_key(KEY, "lock") == "wb:{telegram:12345}:lock"
    assert redis_key(KEY, "inbox") == "wb:{telegram:12345}:inbox"
    assert redis_key(KEY, "out") == "wb:{telegram:12345}:out"
    assert redis_key(KEY, "seen") == "wb:{telegram:12345}:seen"


@pytest.mark.parametrize(
    "chat",
    [KEY, ChatKey("whatsapp", "6281234567890"), ChatKey("tele}gram", "{a}:b}{"), ChatKey("x", "}")],
)
async def test_one_chat_one_hash_tag(
    client: redis.asyncio.Redis, store: SessionStore, pipe: AutoPipeline, chat: ChatKey
) -> None:
    s = typical_session(chat)
    await store.append(text("m{1}:x", "halo", chat))
    await store.append(text("m2", "ya", chat))
    claim = await store.claim(chat, TOKEN)
    assert claim is not None
    await store.finish(chat, TOKEN, claim.items[:1], s, [Outgoing("Halo")], datetime.now(UTC))
    replies = ReplyStore(pipe, store_module_leases(pipe), timedelta(days=7))
    await replies.enqueue(chat, [Outgoing("Diterima")], key="dossier:X:received")
    assert await replies.take(chat, TOKEN)
    names = [k if isinstance(k, str) else k.decode() for k in await client.keys("*")]
    chat_keys = [k for k in names if k != WORK]
    # session, known, where, inbound_at, seen, lock, inbox, out, sending, keys
    assert len(chat_keys) == 10, chat_keys
    assert {tag(k) for k in chat_keys} == {tag(redis_key(chat, "session"))}
    assert len({key_slot(k.encode()) for k in chat_keys}) == 1
    got = await store.load(chat)
    assert got.session is not None and got.session.to_json() == s.to_json()


def test_braces_cannot_break_or_join_tags() -> None:
    evil = ChatKey("telegram", "1}x{2")
    assert tag(redis_key(evil, "session")) == "telegram:1%7Dx%7B2"
    assert "{" not in tag(redis_key(evil, "session"))
    # a colon can't make two different chats share a key
    assert redis_key(ChatKey("a:b", "c"), "session") != redis_key(ChatKey("a", "b:c"), "session")
    with pytest.raises(ValueError):
        ChatKey("telegram", "")


# --- a message's life: append, claim, peek, finish -----------------------------------------


async def test_a_message_is_appended_once_and_claimed_with_its_chat(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    assert await store.append(text("m1", "halo"))
    assert await client.xlen(WORK) == 1  # the work stream says the chat has work
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None and claim.loaded == LoadResult(None, expired=False)
    assert [i.inbound for i in claim.items] == [text("m1", "halo")]
    assert not claim.items[0].seen
    session = new_session("telegram", "12345", "00" * 16)
    replies = [Outgoing("Halo!")]
    left, taken = await store.finish(KEY, TOKEN, claim.items, session, replies, send_token=b"s1")
    assert left == 0 and await client.exists(redis_key(KEY, "lock")) == 0  # let go
    # and its replies are taken for sending with the send lease, in the same round trip
    assert taken is not None and [r.message for r in taken] == replies
    assert await client.get(redis_key(KEY, "sending")) == b"s1"
    assert not await store.append(text("m1", "halo"))  # handled: a redelivery is not kept
    assert await client.llen(redis_key(KEY, "inbox")) == 0
    loaded = await store.load(KEY)
    assert loaded.session is not None and loaded.session.to_json() == session.to_json()
    members = await client.zrange(redis_key(KEY, "seen"), 0, -1)
    assert len(members) == 1 and len(members[0]) == 8  # a digest, not the id


async def test_the_replies_of_a_turn_are_queued_with_its_save(
    client: redis.asyncio.Redis, store: SessionStore, pipe: AutoPipeline
) -> None:
    await store.append(text("m1", "halo"))
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None
    replies = [Outgoing("Halo!", ("Ya, setuju", "Tidak setuju")), Outgoing("…", None, True)]
    await store.finish(KEY, TOKEN, claim.items, KEEP, replies)
    queued = ReplyStore(pipe, store_module_leases(pipe), timedelta(days=7))
    assert await queued.waiting(KEY) == replies


def store_module_leases(pipe: AutoPipeline) -> Leases:
    return Leases(pipe)


async def test_a_busy_chat_is_not_claimed_twice(store: SessionStore) -> None:
    await store.append(text("m1", "halo"))
    assert await store.claim(KEY, TOKEN) is not None
    assert await store.claim(KEY, b"another") is None  # the holder works through the inbox


async def test_an_empty_inbox_lets_the_chat_go_at_once(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None and claim.items == []
    assert await client.exists(redis_key(KEY, "lock")) == 0


async def test_messages_that_come_in_during_a_turn_are_peeked_in_order(
    store: SessionStore,
) -> None:
    await store.append(text("m1", "halo"))
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None
    for n in range(2, 30):
        await store.append(text(f"m{n}", f"pesan {n}"))
    left, _ = await store.finish(KEY, TOKEN, claim.items, KEEP)
    assert left == 28
    more = await store.peek(KEY, TOKEN, 0)
    assert [i.inbound.message_id for i in more if i.inbound] == [f"m{n}" for n in range(2, 22)]
    rest = await store.peek(KEY, TOKEN, len(more))
    assert [i.inbound.message_id for i in rest if i.inbound] == [f"m{n}" for n in range(22, 30)]
    with pytest.raises(LockLost):
        await store.peek(KEY, b"not-ours", 0)


async def test_a_redelivery_already_in_the_inbox_is_flagged_once_the_first_is_handled(
    store: SessionStore,
) -> None:
    await store.append(text("m1", "halo"))
    await store.append(text("m1", "halo"))  # Telegram redelivers before the first is handled
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None and [i.seen for i in claim.items] == [False, False]
    assert claim.items[0].digest == claim.items[1].digest
    assert await store.finish(KEY, TOKEN, claim.items[:1], KEEP) == (1, None)
    again = await store.peek(KEY, TOKEN, 0)
    assert [i.seen for i in again] == [True]


async def test_finish_writes_nothing_once_the_lock_is_lost(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    store.lock_timeout = timedelta(milliseconds=200)
    await store.append(text("m1", "halo"))
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None
    await asyncio.sleep(0.4)  # the lock expired (a process that stopped renewing it)
    taken = await store.claim(KEY, b"next-holder")
    assert taken is not None and len(taken.items) == 1  # the message is still there
    with pytest.raises(LockLost):
        await store.finish(KEY, TOKEN, claim.items, typical_session(), [Outgoing("late")])
    assert await client.exists(redis_key(KEY, "session"), redis_key(KEY, "out")) == 0
    assert await client.llen(redis_key(KEY, "inbox")) == 1


async def test_finish_refuses_messages_that_are_not_the_head_of_the_inbox(
    store: SessionStore,
) -> None:
    await store.append(text("m1", "halo"))
    await store.append(text("m2", "ya"))
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None
    with pytest.raises(RuntimeError, match="changed under its lock"):
        await store.finish(KEY, TOKEN, claim.items[1:], KEEP)


async def test_seen_ids_are_bounded_in_number_and_age(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    async def handle(chat: ChatKey, message_id: str) -> bool:
        if not await store.append(text(message_id, "x", chat)):
            return False
        claim = await store.claim(chat, TOKEN)
        assert claim is not None
        await store.finish(chat, TOKEN, claim.items, KEEP)
        return True

    seen = redis_key(KEY, "seen")
    for n in range(store_module.SEEN_MAX + 30):
        assert await handle(KEY, f"update-{n}")
    assert await client.zcard(seen) == store_module.SEEN_MAX  # the oldest are let go
    assert await handle(KEY, "update-0")  # long gone: handled again
    assert not await handle(KEY, f"update-{store_module.SEEN_MAX + 29}")  # recent: not
    if not isinstance(client, fakeredis.FakeAsyncRedis):  # MEMORY USAGE: real Redis only
        used = await client.memory_usage(seen)
        assert used is not None and used < 1200, used
    # ids older than SEEN_TTL are pruned when the next one comes in
    other = ChatKey("telegram", "778")
    window = store_module.SEEN_TTL.total_seconds()
    store.clock = lambda: 1_800_000_000.0
    assert await handle(other, "early")
    store.clock = lambda: 1_800_000_000.0 + window - 1
    assert not await handle(other, "early")  # still within the window
    assert await handle(other, "later")
    store.clock = lambda: 1_800_000_000.0 + window + 1
    assert await handle(other, "last")
    assert await client.zcard(redis_key(other, "seen")) == 2  # "early" is gone
    assert await handle(other, "early")  # so it would be handled again


async def test_finish_saves_deletes_or_keeps_the_session(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    cases: list[tuple[Session | Keep | None, bool]] = [
        (typical_session(), True),
        (KEEP, True),
        (None, False),
    ]
    for n, (session, kept) in enumerate(cases, 1):
        await store.append(text(f"m{n}", "x"))
        claim = await store.claim(KEY, TOKEN)
        assert claim is not None
        await store.finish(KEY, TOKEN, claim.items, session, inbound_at=datetime.now(UTC))
        assert (await client.exists(redis_key(KEY, "session")) == 1) is kept
    where = redis_key(KEY, "where")
    assert await client.exists(where, redis_key(KEY, "known"), redis_key(KEY, "lock")) == 0
    assert await store.last_inbound(KEY) is not None


async def test_finish_keeps_the_where_marker_with_the_session(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    await store.append(text("m1", "x"))
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None
    await store.finish(KEY, TOKEN, claim.items, typical_session())
    where = redis_key(KEY, "where")
    assert await client.get(where) == b'["makassar-kis-pbi", "hp"]'
    assert 0 < await client.pttl(where) <= int(store.where_ttl.total_seconds() * 1000)
    assert 0 < await client.pttl(redis_key(KEY, "session")) <= int(store.ttl.total_seconds() * 1000)


async def test_the_hot_path_survives_a_server_that_lost_its_scripts(
    store: SessionStore, client: redis.asyncio.Redis
) -> None:
    """A restarted Redis has no scripts cached: they are loaded again."""
    await client.script_flush()
    assert await store.append(text("m1", "x"))
    await client.script_flush()
    claim = await store.claim(KEY, TOKEN)
    assert claim is not None
    await client.script_flush()
    await store.finish(KEY, TOKEN, claim.items, new_session("telegram", "12345", "00" * 16))
    assert (await store.load(KEY)).session is not None


# --- inbound time, ping -----------------------------------------------------------------------


async def test_touch_and_last_inbound(client: redis.asyncio.Redis, store: SessionStore) -> None:
    assert await store.last_inbound(KEY) is None
    when = datetime(2026, 11, 22, 10, 0, 5, 123456, tzinfo=WITA)
    await store.touch_inbound(KEY, when)
    assert await store.last_inbound(KEY) == when
    assert 7 * 86400 - 5 <= await client.ttl(redis_key(KEY, "inbound_at")) <= 7 * 86400
    with pytest.raises(ValueError):
        await store.touch_inbound(KEY, datetime(2026, 11, 22, 10, 0))


async def test_ping_live(store: SessionStore) -> None:
    assert await store.ping() is True


async def test_ping_closed_port_is_false() -> None:
    r = open_redis("redis://127.0.0.1:1/0")
    try:
        assert await SessionStore(r).ping() is False
    finally:
        await r.aclose()


# --- real server only -------------------------------------------------------------------------


async def test_typical_session_is_small(redis_url: str) -> None:
    r = open_redis(redis_url)
    try:
        s = typical_session()
        await SessionStore(r).save(s)
        stored = await r.get(redis_key(KEY, "session"))
        usage = await r.memory_usage(redis_key(KEY, "session"))
        assert stored is not None and usage is not None
        note = (
            f"MEMORY USAGE {usage} B (JSON {len(s.to_json().encode())} B, stored {len(stored)} B)"
        )
        assert usage <= 2048, note
        print(note)
    finally:
        await r.aclose()


# --- open_redis -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://localhost:6379", "localhost:6379", "memory:/"])
def test_open_redis_bad_scheme(url: str) -> None:
    with pytest.raises(ValueError, match="REDIS_URL"):
        open_redis(url)


async def test_memory_warning_logged_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(keys, "_warned_memory", False)
    with caplog.at_level(logging.WARNING, "wargabot.sessions"):
        clients = [open_redis(None), open_redis(""), open_redis("memory://")]
    warnings = [r for r in caplog.records if r.name == "wargabot.sessions"]
    assert len(warnings) == 1 and "lost on restart" in warnings[0].getMessage()
    await clients[0].set("shared", b"1")  # one FakeServer per process
    assert await clients[2].get("shared") == b"1"
    await clients[0].delete("shared")
    for c in clients:
        await c.aclose()
