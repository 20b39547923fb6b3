"""The session store's contract, run against a real redis-server and against fakeredis (memory://)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import fakeredis
import pytest
import redis.asyncio
from redis.crc import key_slot

from bot import sessions
from bot.channels.base import ChatKey
from bot.engine.model import MediaRef, Session
from bot.engine.stages import Stage
from bot.engine.step import new_session
from bot.sessions import ChatBusy, LoadResult, SessionStore, open_redis, redis_key

KEY = ChatKey("telegram", "12345")
WITA = timezone(timedelta(hours=8))


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


@pytest.fixture(params=["redis", "memory"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[redis.asyncio.Redis]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else "memory://"
    r = open_redis(url)
    await r.flushall()
    yield r
    await r.aclose()


@pytest.fixture
def store(client: redis.asyncio.Redis) -> SessionStore:
    return SessionStore(client, lock_wait=timedelta(seconds=2))


def tag(key: str) -> str:
    """What Redis Cluster hashes: the text between the first `{` and the next `}`."""
    start = key.index("{")
    return key[start + 1 : key.index("}", start + 1)]


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
    assert redis_key(KEY, "known") == "wb:{telegram:12345}:known"
    assert redis_key(KEY, "inbound_at") == "wb:{telegram:12345}:inbound_at"
    assert redis_key(KEY, "seen") == "wb:{telegram:12345}:seen"


@pytest.mark.parametrize(
    "chat",
    [KEY, ChatKey("whatsapp", "6281234567890"), ChatKey("tele}gram", "{a}:b}{"), ChatKey("x", "}")],
)
async def test_one_chat_one_hash_tag(
    client: redis.asyncio.Redis, store: SessionStore, chat: ChatKey
) -> None:
    s = typical_session(chat)
    await store.save(s)
    await store.touch_inbound(chat, datetime.now(UTC))
    assert await store.first_time(chat, "m{1}:x")
    async with store.lock(chat):
        keys = [k if isinstance(k, str) else k.decode() for k in await client.keys("*")]
    assert len(keys) == 6  # session, known, where, inbound_at, seen, lock
    assert {tag(k) for k in keys} == {tag(redis_key(chat, "session"))}
    assert len({key_slot(k.encode()) for k in keys}) == 1
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


# --- dedupe -----------------------------------------------------------------------------------


async def test_first_time_then_redelivery(client: redis.asyncio.Redis, store: SessionStore) -> None:
    assert await store.first_time(KEY, "msg-1") is True
    assert await store.first_time(KEY, "msg-1") is False
    assert await store.first_time(KEY, "msg-2") is True
    assert await store.first_time(ChatKey("telegram", "777"), "msg-1") is True
    assert 2 * 86400 - 5 <= await client.ttl(redis_key(KEY, "seen")) <= 2 * 86400
    members = await client.zrange(redis_key(KEY, "seen"), 0, -1)
    assert len(members) == 2 and all(len(m) == 8 for m in members)  # digests, not the ids


async def test_seen_ids_are_bounded_in_number_and_age(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    seen = redis_key(KEY, "seen")
    for n in range(sessions.SEEN_MAX + 30):
        assert await store.first_time(KEY, f"update-{n}")
    assert await client.zcard(seen) == sessions.SEEN_MAX  # the oldest are let go
    assert await store.first_time(KEY, "update-0")  # long gone: handled again
    assert not await store.first_time(KEY, f"update-{sessions.SEEN_MAX + 29}")  # recent: not
    # ids older than SEEN_TTL are pruned when the next one comes in
    other = ChatKey("telegram", "778")
    store.clock = lambda: 1_800_000_000.0
    assert await store.first_time(other, "early")
    store.clock = lambda: 1_800_000_000.0 + sessions.SEEN_TTL.total_seconds() - 1
    assert not await store.first_time(other, "early")  # still within the window
    assert await store.first_time(other, "later")
    store.clock = lambda: 1_800_000_000.0 + sessions.SEEN_TTL.total_seconds() + 1
    assert await store.first_time(other, "last")
    assert await client.zcard(redis_key(other, "seen")) == 2  # "early" is gone
    assert await store.first_time(other, "early")  # so it would be handled again


async def test_the_dedupe_memory_of_a_busy_chat_stays_small(
    client: redis.asyncio.Redis, store: SessionStore
) -> None:
    for n in range(500):
        await store.first_time(KEY, str(700_000_000 + n))  # Telegram-like update ids
    assert await client.zcard(redis_key(KEY, "seen")) == sessions.SEEN_MAX
    if not isinstance(client, fakeredis.FakeAsyncRedis):  # MEMORY USAGE: real Redis only
        used = await client.memory_usage(redis_key(KEY, "seen"))
        assert used is not None and used < 1200, used


# --- lock -------------------------------------------------------------------------------------


async def test_lock_serializes_one_chat(store: SessionStore) -> None:
    events: list[tuple[str, str, float]] = []
    first_in = asyncio.Event()

    async def handle(name: str) -> None:
        async with store.lock(KEY):
            events.append(("enter", name, time.monotonic()))
            first_in.set()
            await asyncio.sleep(0.3)
            events.append(("exit", name, time.monotonic()))

    a = asyncio.create_task(handle("a"))
    await first_in.wait()
    await asyncio.gather(a, handle("b"))
    assert [(e, n) for e, n, _ in events] == [
        ("enter", "a"),
        ("exit", "a"),
        ("enter", "b"),
        ("exit", "b"),
    ]
    assert events[2][2] >= events[1][2]


async def test_lock_different_chats_do_not_block(client: redis.asyncio.Redis) -> None:
    store = SessionStore(client, lock_wait=timedelta(milliseconds=300))
    release = asyncio.Event()
    held = asyncio.Event()

    async def hold() -> None:
        async with store.lock(KEY):
            held.set()
            await release.wait()

    task = asyncio.create_task(hold())
    await held.wait()
    started = time.monotonic()
    async with store.lock(ChatKey("telegram", "other")):
        assert time.monotonic() - started < 0.25
    release.set()
    await task


async def test_lock_busy_after_lock_wait(client: redis.asyncio.Redis) -> None:
    store = SessionStore(client, lock_wait=timedelta(milliseconds=400))
    async with store.lock(KEY):
        started = time.monotonic()
        with pytest.raises(ChatBusy):
            async with store.lock(KEY):
                pytest.fail("entered a held lock")
        assert 0.25 <= time.monotonic() - started < 2
    async with store.lock(KEY):  # released: free again
        pass


async def test_lock_released_on_error(store: SessionStore, client: redis.asyncio.Redis) -> None:
    with pytest.raises(RuntimeError):
        async with store.lock(KEY):
            raise RuntimeError("handler failed")
    assert await client.exists(redis_key(KEY, "lock")) == 0


async def test_lock_outlived_is_logged_not_raised(
    client: redis.asyncio.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    store = SessionStore(client, lock_timeout=timedelta(milliseconds=200))
    with caplog.at_level(logging.WARNING, "wargabot.sessions"):
        async with store.lock(KEY):
            await asyncio.sleep(0.4)
            async with store.lock(KEY):  # expired: another message could take it
                pass
    assert "lock expired before release" in caplog.text


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
    monkeypatch.setattr(sessions, "_warned_memory", False)
    with caplog.at_level(logging.WARNING, "wargabot.sessions"):
        clients = [open_redis(None), open_redis(""), open_redis("memory://")]
    warnings = [r for r in caplog.records if r.name == "wargabot.sessions"]
    assert len(warnings) == 1 and "lost on restart" in warnings[0].getMessage()
    await clients[0].set("shared", b"1")  # one FakeServer per process
    assert await clients[2].get("shared") == b"1"
    await clients[0].delete("shared")
    for c in clients:
        await c.aclose()


async def test_forget_lets_a_failed_message_be_handled_again(redis_url: str) -> None:
    from bot.channels.base import ChatKey
    from bot.sessions import SessionStore, open_redis

    store = SessionStore(open_redis(redis_url))
    key = ChatKey("telegram", "777")
    assert await store.first_time(key, "42")
    assert not await store.first_time(key, "42")
    await store.forget(key, "42")
    assert await store.first_time(key, "42")
    await store.redis.aclose()


# --- the hot path: claim / finish ------------------------------------------------------------


async def test_claim_loads_and_finish_saves_and_releases(store: SessionStore) -> None:

    key = ChatKey("telegram", "4242")
    claim = await store.claim(key, "m1")
    assert claim is not None and claim.loaded == LoadResult(None, expired=False)
    session = new_session("telegram", "4242", "00" * 16)
    await store.finish(claim, session, inbound_at=datetime.now(UTC))
    again = await store.claim(key, "m2")  # the lock was released, the session is there
    assert again is not None and again.loaded.session is not None
    assert again.loaded.session.to_json() == session.to_json()
    assert await store.last_inbound(key) is not None
    await store.finish(again, None)  # None: nothing may be kept
    assert await store.load(key) == LoadResult(None, expired=False)


async def test_claim_of_a_redelivery_is_none_and_leaves_the_chat_free(
    store: SessionStore,
) -> None:
    key = ChatKey("telegram", "4243")
    claim = await store.claim(key, "m1")
    assert claim is not None
    await store.abandon(claim)
    assert await store.claim(key, "m1") is None
    assert await store.claim(key, "m2") is not None  # not left locked by the redelivery


async def test_a_second_claim_waits_for_the_first(store: SessionStore) -> None:

    key = ChatKey("telegram", "4244")
    first = await store.claim(key, "m1")
    assert first is not None
    second_task = asyncio.create_task(store.claim(key, "m2"))
    await asyncio.sleep(0.1)
    assert not second_task.done()  # waiting for the chat
    session = new_session("telegram", "4244", "00" * 16)
    session.answers["nama"] = "Siti"
    await store.finish(first, session)
    second = await asyncio.wait_for(second_task, 5)
    assert second is not None and second.loaded.session is not None
    assert second.loaded.session.answers == {"nama": "Siti"}  # it sees the first one's save
    await store.abandon(second)


async def test_a_claim_gives_up_with_chat_busy(store: SessionStore) -> None:
    key = ChatKey("telegram", "4245")
    held = await store.claim(key, "m1")
    assert held is not None
    with pytest.raises(ChatBusy):
        await store.claim(key, "m2")  # lock_wait is 2 s in this fixture
    await store.abandon(held)
    again = await store.claim(key, "m2")  # the platform's redelivery is handled, not dropped
    assert again is not None


async def test_the_hot_path_survives_a_server_that_lost_its_scripts(
    store: SessionStore, client: redis.asyncio.Redis
) -> None:
    """A restarted Redis has no scripts cached: claim and finish load them again."""
    key = ChatKey("telegram", "4246")
    claim = await store.claim(key, "m1")
    assert claim is not None
    await client.script_flush()
    await store.finish(claim, new_session("telegram", "4246", "00" * 16))
    await client.script_flush()
    again = await store.claim(key, "m2")
    assert again is not None and again.loaded.session is not None


async def test_finish_keeps_the_where_marker_and_deletes_it_with_the_session(
    store: SessionStore, client: redis.asyncio.Redis
) -> None:
    key = ChatKey("telegram", "4247")
    claim = await store.claim(key, "m1")
    assert claim is not None
    await store.finish(claim, typical_session(key))  # under way: where it stands is kept
    where = redis_key(key, "where")
    assert await client.get(where) is not None
    assert 0 < await client.pttl(where) <= int(store.where_ttl.total_seconds() * 1000)
    assert 0 < await client.pttl(redis_key(key, "session")) <= int(store.ttl.total_seconds() * 1000)
    again = await store.claim(key, "m2")
    assert again is not None
    await store.finish(again, None)
    assert await client.exists(where, redis_key(key, "session"), redis_key(key, "known")) == 0
    assert await client.exists(redis_key(key, "lock")) == 0
