"""The runtime's own guarantees: bounded image decoding; album failures are logged, not lost."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot import runtime as runtime_module
from bot.channels.base import ChatKey, MediaSource
from bot.delivery.sinks.maildir import MaildirSink
from bot.engine.flowset import FlowSet
from bot.engine.model import MediaRef
from bot.media.store import MediaStore
from bot.runtime import Runtime
from bot.sessions import SessionStore, open_redis


class _Channel:
    name = "test"

    async def fetch(self, source: MediaSource) -> bytes:
        return b"bytes"

    async def send(self, chat_id: str, actions: Any) -> None:
        return None


def _runtime(tmp_path: Path, flows: FlowSet, redis_url: str) -> Runtime:
    media = MediaStore(tmp_path / "media")
    store = SessionStore(open_redis(redis_url))
    return Runtime(flows, store, media, MaildirSink(tmp_path / "inbox", media), decoding=2)


async def test_at_most_two_images_are_decoded_at_once(
    tmp_path: Path, flows: FlowSet, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, peak = 0, 0

    async def slow_intake(data: bytes, store: MediaStore, limits: object) -> MediaRef:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return MediaRef("k", "image/jpeg", "0" * 64, 1)

    monkeypatch.setattr(runtime_module, "intake", slow_intake)
    rt = _runtime(tmp_path, flows, redis_url)
    results = await asyncio.gather(*(rt.fetch(MediaSource(str(i)), _Channel()) for i in range(8)))
    assert peak == 2
    assert all(isinstance(r, MediaRef) for r in results)
    await rt.store.redis.aclose()


async def test_an_album_that_cannot_be_answered_is_logged(
    tmp_path: Path, flows: FlowSet, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    rt = _runtime(tmp_path, flows, redis_url)

    async def broken(*args: object) -> None:
        raise RuntimeError("redis went away")

    rt._answer_album = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR, logger="wargabot.runtime"):
        await rt._flush_album(ChatKey("test", "1"), "wb:{test:1}:album:x", _Channel())
    assert "an album could not be answered" in caplog.text
    await rt.store.redis.aclose()
