"""The durable reply queue as the runtime sends it, against a real redis-server: a reply queued
with an idempotency key goes out once however often it is queued, a held reply waits first in
line until the chat is kicked, and a process that dies while sending leaves only the reply in
flight to be sent again."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.channels.base import Outgoing
from bot.channels.sender import Hold
from bot.engine.flowset import FlowSet
from bot.sessions.leases import Leases
from bot.sessions.replies import ReplyStore
from tests.kit.runtime import RecordingChannel, chat, parts, started


async def test_a_reply_queued_twice_with_one_key_is_sent_once(
    tmp_path: Path, redis_url: str, flows: FlowSet
) -> None:
    channel = RecordingChannel()
    async with started(parts(redis_url, flows, tmp_path, {"test": channel})) as p:
        received = [Outgoing("Pengajuan MKS-TST-0001 sudah masuk.")]
        assert await p.replies.enqueue(chat(), received, key="dossier:MKS-TST-0001:received")
        assert not await p.replies.enqueue(chat(), received, key="dossier:MKS-TST-0001:received")
        assert await p.replies.enqueue(chat(), [Outgoing("Tanpa kunci.")])
        await p.settle()
    assert channel.texts_to("1") == ["Pengajuan MKS-TST-0001 sudah masuk.", "Tanpa kunci."]


async def test_a_held_reply_waits_first_in_line_until_the_chat_is_kicked(
    tmp_path: Path, redis_url: str, flows: FlowSet
) -> None:
    window = {"open": False}

    def outside_the_window(message: Outgoing) -> Exception | None:
        return None if window["open"] else Hold("outside the 24-hour window")

    channel = RecordingChannel(deliver_error=outside_the_window)
    async with started(parts(redis_url, flows, tmp_path, {"test": channel})) as p:
        await p.replies.enqueue(chat(), [Outgoing("Status: terdaftar."), Outgoing("Langkah")])
        await p.settle()
        assert channel.sent == []  # held, and the one behind it too
        assert await p.replies.waiting(chat()) == [
            Outgoing("Status: terdaftar."),
            Outgoing("Langkah"),
        ]
        window["open"] = True  # the citizen writes, say
        await p.journal.kick(chat())
        await p.settle()
    assert channel.texts_to("1") == ["Status: terdaftar.", "Langkah"]


async def test_a_process_dying_while_sending_leaves_only_the_reply_in_flight(
    tmp_path: Path, redis_url: str, flows: FlowSet
) -> None:
    channel = RecordingChannel()
    p = parts(redis_url, flows, tmp_path, {"test": channel})
    messages = [Outgoing(f"balasan {n}") for n in range(3)]
    await p.replies.enqueue(chat(), messages)
    # a first process takes the queue, hands the platform the first reply, and dies before it
    # can take it off the queue (its lease is short, as a dead process's runs out)
    dying = ReplyStore(p.replies.pipe, Leases(p.replies.pipe, ttl=0.3), timedelta(days=1))
    batch = await dying.take(chat(), b"dead-process")
    assert batch is not None and len(batch) == 3
    await channel.deliver("1", batch[0].message)
    await asyncio.sleep(0.5)
    async with started(p):  # another process: the stream still says the chat has work
        await p.settle()
    assert channel.texts_to("1") == ["balasan 0", "balasan 0", "balasan 1", "balasan 2"]
