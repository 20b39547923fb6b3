"""`wargabot serve` as a process: starts on its settings, refuses bad ones by name, and a restart
in the middle of a conversation loses nothing (sessions live in Redis)."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.kit.fake_telegram import FakeTelegram, text_update
from tests.kit.ports import free_port
from tests.kit.serve import post_update, serve
from tests.kit.webapp import SECRET, TOKEN, env_for, running, telegram_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_a_restart_mid_conversation_loses_nothing(tmp_path: Path, redis_url: str) -> None:
    async with FakeTelegram() as tg:
        env = telegram_env(tmp_path, redis_url, tg)
        port, chat = free_port(), 7770001
        with serve(env, port):
            for i, text in enumerate(["halo", "ya", "2", "mulai", "1"], 1):
                assert await post_update(port, text_update(i, chat, text)) == 200
            await tg.wait_for_messages(chat, 5)  # one (combined) reply per message
        with serve(env, port):  # a new process: nothing in memory survives
            assert await post_update(port, text_update(6, chat, "Siti Aminah")) == 200
            assert (
                await post_update(port, text_update(5, chat, "1")) == 200
            )  # a redelivery: ignored
            messages = await tg.wait_for_messages(chat, 6)
        assert messages[-1]["text"].startswith("Ketik NIK Anda"), messages[-1]["text"]
        assert len(tg.texts_to(chat)) == 6


async def test_what_start_up_built_is_left_out_of_the_collectors_passes_while_serving(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    # A full pass of the garbage collector walks every object it tracks; start-up's live as
    # long as the process, so they are frozen (gc.get_objects() lists only what is walked).
    async with running(telegram_env(tmp_path, "", tg, CASESTORE_ENABLED="false")) as app:
        flows = app.services.runtime.flows
        assert not any(o is flows for o in gc.get_objects())
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # stopped: back to the collector
    assert any(o is flows for o in gc.get_objects())


def test_a_bad_setting_stops_start_up_with_its_name(tmp_path: Path) -> None:
    env = {**os.environ, "TELEGRAM_API_URL": "ftp://nope", "PORT": str(free_port())}
    res = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert "TELEGRAM_API_URL" in res.stderr and "http(s) URL" in res.stderr


def test_several_web_workers_without_redis_are_refused() -> None:
    env = {**os.environ, "WEB_WORKERS": "2", "PORT": str(free_port())}
    env.pop("REDIS_URL", None)
    res = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and "REDIS_URL is missing: WEB_WORKERS=2" in res.stderr


def test_a_half_configured_channel_is_named(tmp_path: Path) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PORT": str(free_port())}
    env.pop("TELEGRAM_WEBHOOK_SECRET", None)
    res = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        capture_output=True,
        text=True,
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
        port = free_port()
        with serve(env, port) as proc:
            assert await post_update(port, text_update(1, 7770009, "halo")) == 200
            await asyncio.sleep(0.5)  # the reply is on its way, and stuck
            stopping = time.monotonic()
        took = time.monotonic() - stopping  # serve() sent SIGTERM and waited
    assert proc.returncode is not None
    assert took < 12, took  # SHUTDOWN_DRAIN (7 s), then the rest of the shutdown
