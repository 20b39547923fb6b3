"""`wargabot serve` as a process: starts on its settings, refuses bad ones by name, and a restart
in the middle of a conversation loses nothing (sessions live in Redis)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fake_telegram import FakeTelegram, text_update
from tests.webapp import SECRET, TOKEN, env_for, telegram_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    env: dict[str, str], port: int, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`wargabot serve` until the block ends, then SIGTERM. Its log goes to a file (`log`, or a
    temporary one), not a pipe: a pipe nobody reads fills up and blocks the server mid-write."""
    full = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"}
    with open(log, "w+b") if log else tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=full, stderr=out)

        def said() -> str:
            out.seek(0)
            return out.read().decode(errors="replace")[-4000:]

        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    res = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
                    if res.status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                proc.kill()
                raise AssertionError(said() or "no start")
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError(f"serve did not stop on SIGTERM:\n{said()}") from None


async def _post(port: int, update: dict[str, Any]) -> int:
    async with httpx.AsyncClient() as client:
        res = await client.post(
            f"http://127.0.0.1:{port}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        return res.status_code


async def test_a_restart_mid_conversation_loses_nothing(tmp_path: Path, redis_url: str) -> None:
    async with FakeTelegram() as tg:
        env = telegram_env(tmp_path, redis_url, tg)
        port, chat = _free_port(), 7770001
        with serve(env, port):
            for i, text in enumerate(["halo", "ya", "2", "mulai", "1"], 1):
                assert await _post(port, text_update(i, chat, text)) == 200
            await tg.wait_for_messages(chat, 5)  # one (combined) reply per message
        with serve(env, port):  # a new process: nothing in memory survives
            assert await _post(port, text_update(6, chat, "Siti Aminah")) == 200
            assert await _post(port, text_update(5, chat, "1")) == 200  # a redelivery: ignored
            messages = await tg.wait_for_messages(chat, 6)
        assert messages[-1]["text"].startswith("Ketik NIK Anda"), messages[-1]["text"]
        assert len(tg.texts_to(chat)) == 6


def test_a_bad_setting_stops_start_up_with_its_name(tmp_path: Path) -> None:
    env = {**os.environ, "TELEGRAM_API_URL": "ftp://nope", "PORT": str(_free_port())}
    res = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"], env=env, capture_output=True, text=True
    )
    assert res.returncode == 2
    assert "TELEGRAM_API_URL" in res.stderr and "http(s) URL" in res.stderr


def test_several_web_workers_without_redis_are_refused() -> None:
    env = {**os.environ, "WEB_WORKERS": "2", "PORT": str(_free_port())}
    env.pop("REDIS_URL", None)
    res = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"], env=env, capture_output=True, text=True
    )
    assert res.returncode == 2 and "REDIS_URL is missing: WEB_WORKERS=2" in res.stderr


def test_a_half_configured_channel_is_named(tmp_path: Path) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PORT": str(_free_port())}
    env.pop("TELEGRAM_WEBHOOK_SECRET", None)
    res = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"], env=env, capture_output=True, text=True
    )
    assert res.returncode == 2 and "TELEGRAM_WEBHOOK_SECRET is missing" in res.stderr


async def test_a_bot_api_that_never_answers_does_not_hold_a_restart(
    tmp_path: Path, redis_url: str
) -> None:
    with socket.socket() as silent:  # takes connections (the kernel's backlog), answers none
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        env = env_for(
            tmp_path,
            redis_url,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_API_URL=f"http://127.0.0.1:{silent.getsockname()[1]}",
        )
        port = _free_port()
        with serve(env, port) as proc:
            assert await _post(port, text_update(1, 7770009, "halo")) == 200
            await asyncio.sleep(0.5)  # the reply is on its way, and stuck
            stopping = time.monotonic()
        took = time.monotonic() - stopping  # serve() sent SIGTERM and waited
    assert proc.returncode is not None
    assert took < 12, took  # SHUTDOWN_DRAIN (7 s), then the rest of the shutdown
