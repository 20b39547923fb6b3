"""Metrics, read from the `/metrics` route as deltas (the registry is process-wide) after scripted
conversations through the real webhooks and a real redis-server: messages, webhook latency,
refused photos, dossiers, and the funnel (started, step reached, completed, abandoned)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.channels.base import ChatKey
from bot.sessions import redis_key
from tests.kit import photo_factory as pf
from tests.kit.citizens import Chat, Citizen
from tests.kit.fake_telegram import FakeTelegram, contact_update
from tests.kit.fake_twilio import FakeTwilio
from tests.kit.webapp import Running, running, telegram_env, whatsapp_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
GOWA, MAKASSAR = "gowa-kis-reaktivasi", "makassar-kis-pbi"
Sample = tuple[str, tuple[tuple[str, str], ...]]


async def scrape(app: Running) -> dict[Sample, float]:
    res = await app.client.get("/metrics")
    assert res.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(res.text)
        for s in family.samples
    }


class Delta:
    """What changed between two scrapes of /metrics."""

    def __init__(self, before: dict[Sample, float], after: dict[Sample, float]) -> None:
        self.before, self.after = before, after

    def __call__(self, name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return self.after.get(key, 0.0) - self.before.get(key, 0.0)

    def total(self, name: str, **labels: str) -> float:
        """Summed over every other label: total("x", flow="f") counts all steps and reasons."""
        keys = {k for k in self.after if k[0] == name and set(labels.items()) <= set(k[1])}
        return sum(self.after[k] - self.before.get(k, 0.0) for k in keys)


class CountingChat(Chat):
    """A Telegram citizen that counts the updates it posts."""

    posts = 0

    async def post(self, update: dict[str, Any], secret: str | None = None) -> int:
        CountingChat.posts += 1
        return await super().post(update) if secret is None else await super().post(update, secret)

    async def share(self, phone: str) -> None:
        assert await self.post(contact_update(Chat.next_id(), self.chat_id, phone)) == 200
        await self.app.settle()


GOWA_STEPS = [
    "nama",
    "nik",
    "foto_ktp",
    "nomor_kk",
    "foto_kk",
    "dtks",
    "sakit",
    "foto_rumah",
    "foto_keluarga",
    "hp",
    "summary",
]


async def test_a_whole_application_moves_every_counter_once(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = CountingChat(app, tg, 5554001)
        before, posts = await scrape(app), CountingChat.posts
        for text in ("halo", "ya", "1", "mulai", "Nurhayati", "7306015203850002"):
            await chat.say(text)
        # back from the KTP photo to the NIK and forward again: foto_ktp is not reached twice
        assert (await chat.say("kembali"))[-1].startswith("Ketik NIK")
        await chat.say("7306015203850002")
        blurry = await chat.photo(pf.jpeg(pf.blurred(pf.house(), 12)))
        assert "buram" in blurry[0]
        await chat.photo(pf.jpeg(pf.document(seed=1)))
        await chat.say("7306010203150011")
        await chat.photo(pf.jpeg(pf.document(seed=2)))
        await chat.say("sudah")
        await chat.say("tidak")
        for seed in (3, 4):
            await chat.photo(pf.jpeg(pf.document(seed=seed)))
            await chat.say("selesai")
        await chat.share("+6285299998888")
        await chat.say("kembali")  # from the summary back to the phone, then the summary again
        await chat.share("+6285299998888")
        done = await chat.say("Kirim pengajuan")
        assert "Nomor pengajuan: GWA-" in done[-1]
        await app.delivered()  # the worker tells the citizen the office has it
        d = Delta(before, await scrape(app))
        posted = CountingChat.posts - posts

    assert posted == 22
    assert d("wargabot_messages_in_total", channel="telegram") == posted
    assert d("wargabot_webhook_seconds_count", channel="telegram") == posted
    sent = len(tg.texts_to(chat.chat_id))  # every reply, and the office's "received"
    assert d("wargabot_messages_out_total", channel="telegram") == sent >= posted
    assert d("wargabot_dossiers_delivered_total", sink="maildir") == 1  # the worker inside serve
    assert d.after[("wargabot_outbox_depth", ())] == 0
    assert d("wargabot_photos_refused_total", reason="blurry") == 1
    assert d("wargabot_dossiers_submitted_total", flow=GOWA) == 1
    assert d("wargabot_conversations_started_total", flow=GOWA) == 1
    assert d("wargabot_conversations_completed_total", flow=GOWA) == 1
    assert d.total("wargabot_conversations_abandoned_total") == 0
    for step in GOWA_STEPS:
        assert d("wargabot_step_reached_total", flow=GOWA, step=step) == 1, step
    assert d.total("wargabot_step_reached_total", flow=GOWA) == len(GOWA_STEPS)  # no others
    assert d.total("wargabot_step_reached_total", flow=MAKASSAR) == 0


async def test_cancelled_and_restarted_applications_are_counted_where_they_stopped(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, redis_url, tg)) as app:
        chat = Chat(app, tg, 5554002)
        before = await scrape(app)
        for text in ("halo", "ya", "2", "mulai", "1", "Warga Batal"):
            await chat.say(text)
        assert (await chat.say("batal"))[-1].startswith("Batalkan pengajuan")
        await chat.say("tidak")  # changed their mind: still under way, nothing counted
        middle = Delta(before, await scrape(app))
        await chat.say("batal")
        cancelled = await chat.say("ya")
        assert cancelled[-1].startswith("Pengajuan dibatalkan"), cancelled
        for text in ("2", "mulai", "1", "Warga Lain"):  # the same service again, from the start
            await chat.say(text)
        await chat.say("menu")
        switched = await chat.say("1")  # another office's service: the draft is discarded
        assert switched[0].startswith("Pengajuan sebelumnya"), switched  # ... dihapus
        d = Delta(before, await scrape(app))

    assert middle.total("wargabot_conversations_abandoned_total") == 0
    assert d("wargabot_conversations_started_total", flow=MAKASSAR) == 2
    assert d("wargabot_conversations_started_total", flow=GOWA) == 1
    abandoned = "wargabot_conversations_abandoned_total"
    assert d(abandoned, flow=MAKASSAR, step="nik", reason="cancelled") == 1
    assert d(abandoned, flow=MAKASSAR, step="nik", reason="restarted") == 1  # asked for the NIK
    assert d.total(abandoned) == 2
    assert d("wargabot_step_reached_total", flow=MAKASSAR, step="jenis") == 2
    assert d("wargabot_step_reached_total", flow=MAKASSAR, step="nama") == 2
    assert d("wargabot_step_reached_total", flow=MAKASSAR, step="nik") == 2
    assert d.total("wargabot_step_reached_total", flow=MAKASSAR) == 6
    assert d.total("wargabot_conversations_completed_total") == 0


async def test_an_application_left_to_expire_is_counted_when_the_citizen_returns(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    env = telegram_env(tmp_path, redis_url, tg)
    env["SESSION_TTL_DAYS"] = str(1.0 / 86400)  # one second
    async with running(env) as app:
        chat = Chat(app, tg, 5554003)
        where = redis_key(ChatKey("telegram", str(chat.chat_id)), "where")
        before = await scrape(app)
        for text in ("halo", "ya", "2", "mulai"):
            await chat.say(text)
        assert await app.services.store.redis.get(where) == b'["makassar-kis-pbi", "jenis"]'
        await asyncio.sleep(1.5)
        replies = await chat.say("halo")
        assert replies[0].startswith("Percakapan Anda sebelumnya sudah lebih dari")
        first = Delta(before, await scrape(app))
        assert await app.services.store.redis.get(where) is None  # nothing under way now
        await asyncio.sleep(1.5)  # expires again, this time before any service was chosen
        replies = await chat.say("halo")
        assert replies[0].startswith("Percakapan Anda sebelumnya sudah lebih dari")
        second = Delta(before, await scrape(app))

    abandoned = "wargabot_conversations_abandoned_total"
    assert first(abandoned, flow=MAKASSAR, step="jenis", reason="expired") == 1
    assert first.total(abandoned) == 1
    assert second.total(abandoned) == 1  # the second expiry had no application to give up


async def test_whatsapp_messages_and_webhook_latency_are_counted_per_channel(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234564001")
        before = await scrape(app)
        for text in ("halo", "iya", "2", "1"):
            await citizen.send(text)
        d = Delta(before, await scrape(app))
    assert d("wargabot_messages_in_total", channel="whatsapp") == 4
    assert d("wargabot_webhook_seconds_count", channel="whatsapp") == 4
    sent = len(tw.bodies_to(citizen.to))
    assert d("wargabot_messages_out_total", channel="whatsapp") == sent >= 4
    assert d("wargabot_messages_in_total", channel="telegram") == 0
    assert d("wargabot_conversations_started_total", flow=MAKASSAR) == 1
    assert d("wargabot_step_reached_total", flow=MAKASSAR, step="jenis") == 1
