"""A chat's turns taken from the journal, against a real redis-server: messages answered in the
order they came, an album answered once whatever it mixes, every download error told as "send it
again", an unexpected failure answered with an apology (and logged without personal data), and
bounded image decoding. Synthetic people only."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.channels.base import Inbound, MediaSource
from bot.engine import texts as T
from bot.engine.flowset import FlowSet
from bot.engine.model import MediaRef, PhotoRejected, TextReceived, Unsupported
from bot.engine.step import new_session, step
from bot.media.store import MediaStore
from bot.observe import metrics
from bot.runtime import turns as turns_module
from tests.kit import photo_factory as pf
from tests.kit.runtime import RecordingChannel, chat, parts, started

NIK = "7371014506900001"  # synthetic
NAMES = [
    "Ani Lestari", "Budi Santoso", "Citra Dewi", "Dedi Kurnia", "Eka Putri", "Fajar Nugroho",
    "Gita Sari", "Hadi Wijaya", "Indah Permata", "Joko Susilo", "Kartika Ayu", "Lukman Hakim",
]  # fmt: skip
TO_KK_PHOTO = ["halo", "iya", "2", "1", "1", "Siti Aminah", NIK, "7371010203150007"]


def said(n: int, text: str, who: str = "1") -> Inbound:
    return Inbound(chat(who), f"m{n}", TextReceived(text))


def expected_replies(flows: FlowSet, texts: list[str]) -> list[str]:
    """What the engine answers to `texts` said one at a time, as RecordingChannel renders it."""
    session, out = new_session("test", "ref", "00" * 16), []
    channel = RecordingChannel()
    for t in texts:
        turn = step(flows, session, TextReceived(t), datetime.now(UTC))
        session = turn.session
        out += [m.text for m in channel.render(turn.actions)]
    return out


async def test_a_burst_of_thirty_messages_is_answered_in_order(
    tmp_path: Path, redis_url: str, flows: FlowSet
) -> None:
    texts = TO_KK_PHOTO[:6] + [
        w for name in NAMES for w in (name, "kembali")
    ]  # a name, back to the name question, another name...: order shows in every reply
    assert len(texts) == 30
    channel = RecordingChannel()
    async with started(parts(redis_url, flows, tmp_path, {"test": channel})) as p:
        for n, text in enumerate(texts):  # one after another, none waiting for its answer
            assert await p.runtime.accept(said(n, text))
        await p.settle()
        session = (await p.store.load(chat())).session
    assert channel.texts_to("1") == expected_replies(flows, texts)
    assert session is not None and session.answers["nama"] == "Lukman Hakim"


async def _to_photo_step(p: object, channel: RecordingChannel, who: str = "1") -> None:
    from tests.kit.runtime import Parts

    assert isinstance(p, Parts)
    for n, text in enumerate(TO_KK_PHOTO):
        await p.runtime.accept(Inbound(chat(who), f"w{n}", TextReceived(text)))
    await p.settle()
    session = (await p.store.load(chat(who))).session
    assert session is not None and session.step == "foto_kk", channel.texts_to(who)[-1]


@pytest.mark.parametrize(
    "error",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.InvalidURL("file:///etc/passwd"),
        aiohttp.TooManyRedirects(None, ()),  # type: ignore[arg-type]
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError(),
        ValueError("relative Location"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_every_download_error_is_told_as_send_it_again(
    tmp_path: Path, redis_url: str, flows: FlowSet, error: Exception
) -> None:
    channel = RecordingChannel(fetch_error=lambda source: error)
    async with started(parts(redis_url, flows, tmp_path, {"test": channel})) as p:
        await _to_photo_step(p, channel)
        ib = Inbound(chat(), "photo", None, (MediaSource("kk.jpg"),))
        await p.runtime.accept(ib)
        await p.settle()
        assert channel.texts_to("1")[-1].startswith(flows.tr("id").t(T.REJECTED_UNAVAILABLE))


async def test_a_mixed_album_is_answered_once_and_keeps_its_photos(
    tmp_path: Path, redis_url: str, flows: FlowSet
) -> None:
    channel = RecordingChannel(files={"kk.jpg": pf.jpeg(pf.document(seed=1)), "kk.pdf": pf.pdf()})
    async with started(parts(redis_url, flows, tmp_path, {"test": channel})) as p:
        await _to_photo_step(p, channel)
        before = len(channel.texts_to("1"))
        album = [
            Inbound(chat(), "a1", None, (MediaSource("kk.jpg"),), "G1"),
            Inbound(chat(), "a2", Unsupported("video"), (), "G1"),
            Inbound(chat(), "a3", None, (MediaSource("kk.pdf"),), "G1"),
            Inbound(chat(), "a4", Unsupported("document"), (), "G1"),
        ]
        for ib in album:
            await p.runtime.accept(ib)
        await p.settle()
        replies = channel.texts_to("1")[before:]
        session = (await p.store.load(chat())).session
    assert len(replies) == 1, replies  # the photo and the PDF were both taken in; one is kept
    assert flows.tr("id").t(T.PHOTO_EXTRA, count=2, kept=1) in replies[0]
    assert session is not None and session.step != "foto_kk"
    assert [m["mime"] for m in session.answers["foto_kk"]] == ["image/jpeg"]


async def test_an_album_of_videos_only_is_told_what_to_send(
    tmp_path: Path, redis_url: str, flows: FlowSet
) -> None:
    channel = RecordingChannel()
    async with started(parts(redis_url, flows, tmp_path, {"test": channel})) as p:
        await _to_photo_step(p, channel)
        for n in range(2):
            await p.runtime.accept(Inbound(chat(), f"v{n}", Unsupported("video"), (), "G2"))
        await p.settle()
        replies = channel.texts_to("1")[-1:]
    assert replies[0].startswith(flows.tr("id").t(T.UNSUPPORTED_VIDEO))


async def test_an_unexpected_failure_is_answered_with_an_apology_and_not_retried(
    tmp_path: Path,
    redis_url: str,
    flows: FlowSet,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real_step = step

    def fragile(flows: FlowSet, session: object, event: object, now: datetime) -> object:
        if isinstance(event, TextReceived) and event.text == NIK:
            raise RuntimeError(f"cannot handle {event.text} of Siti Aminah")
        return real_step(flows, session, event, now)  # type: ignore[arg-type]

    monkeypatch.setattr(turns_module, "step", fragile)
    errors = metrics.child(metrics.TURN_ERRORS, "test")
    before = errors._value.get()
    channel = RecordingChannel()
    async with started(parts(redis_url, flows, tmp_path, {"test": channel})) as p:
        with caplog.at_level(logging.ERROR, "wargabot.runtime"):
            for n, text in enumerate([*TO_KK_PHOTO[:6], NIK, "kembali"]):
                await p.runtime.accept(said(n, text))
            await p.settle()
        session = (await p.store.load(chat())).session
    replies = channel.texts_to("1")
    assert replies[-2] == "Maaf, ada gangguan. Silakan kirim lagi pesan terakhir Anda."
    assert replies[-1].startswith("Siapa nama lengkap Anda")  # the next one is answered as usual
    assert session is not None and "nik" not in session.answers
    assert errors._value.get() == before + 1
    lines = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(lines) == 1 and "a turn failed (RuntimeError at" in lines[0].getMessage()
    assert "Siti" not in caplog.text and NIK not in caplog.text


async def test_at_most_two_images_are_decoded_at_once(
    tmp_path: Path, redis_url: str, flows: FlowSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, peak = 0, 0

    async def slow_intake(data: bytes, store: MediaStore, limits: object) -> MediaRef:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return MediaRef("k", "image/jpeg", "0" * 64, 1)

    monkeypatch.setattr(turns_module, "intake", slow_intake)
    channel = RecordingChannel(files={str(i): b"bytes" for i in range(8)})
    p = parts(redis_url, flows, tmp_path, {"test": channel})
    results = await asyncio.gather(
        *(p.runtime.fetch(MediaSource(str(i)), channel) for i in range(8))
    )
    assert peak == 2
    assert all(isinstance(r, MediaRef) for r in results)
    assert not any(isinstance(r, PhotoRejected) for r in results)
    await p.redis.aclose()


async def test_a_case_store_that_is_away_makes_data_saya_and_hapus_data_saya_say_try_again(
    tmp_path: Path, redis_url: str, flows: FlowSet
) -> None:
    async def away(channel: str, chat_id: str, now: datetime) -> object:
        raise ConnectionRefusedError("the database is away")

    channel = RecordingChannel()
    tr = flows.tr("id")
    async with started(parts(redis_url, flows, tmp_path, {"test": channel})) as p:
        p.runtime.data = p.runtime.erasure = away  # type: ignore[assignment]
        for n, text in enumerate(["data sy apa aja yg disimpan", "hapus data saya", "iya hapus"]):
            assert await p.runtime.accept(said(n, text))
            await p.settle()
        replies = channel.texts_to("1")
    assert replies[0] == tr.t(T.DATA_UNAVAILABLE)
    assert replies[1].startswith(tr.t(T.ERASE_ASK))
    assert replies[2] == tr.t(T.ERASE_UNAVAILABLE)  # nothing lost: the citizen asks again later
