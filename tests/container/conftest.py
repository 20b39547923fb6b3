"""Fixtures of the container test (`make container-test`): the image, built once per run; the
compose stack, up for the module and taken down with its volumes; the fake Bot API where the
containers reach it; and one citizen's whole application through the containerised web service."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.container.podman import (
    ROOT,
    build_image,
    ensure_base_images,
    exclusive,
    inspect,
    say,
)
from tests.container.stack import LONG_RUNNING, PROJECT, Stack, published_port
from tests.kit import photo_factory as pf
from tests.kit.citizens import GOWA
from tests.kit.fake_telegram import FakeTelegram, contact_update, photo_update, text_update
from tests.kit.ports import free_port
from tests.kit.webapp import PUBLIC, SECRET, TOKEN

CHAT = 5551001
# The Gowa application's personal numbers, which no log may show in full.
NIK, KK, PHONE = "7306015203850002", "7306010203150011", "+6285299998888"


def wait_until(what: str, ready: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := ready()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.1)
    return result


@pytest.fixture(scope="session")
def machine() -> Iterator[None]:
    """This machine's podman, for this run alone."""
    with exclusive():
        yield


@pytest.fixture(scope="session")
def image(machine: None) -> str:
    """The wargabot image, built from the Dockerfile (or from $DOCKERFILE, to see a broken
    one fail) on the local stand-ins for its base images."""
    ensure_base_images()
    return build_image(dockerfile=Path(os.environ.get("DOCKERFILE") or ROOT / "Dockerfile"))


class BotAPI:
    """FakeTelegram on its own event loop in a thread, so the checks can stay plain functions."""

    def __init__(self, host: str, port: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeTelegram(host, port)
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Running:
    def __init__(self, stack: Stack, tg: FakeTelegram) -> None:
        self.stack, self.tg = stack, tg
        port = published_port(stack.container("web"))
        assert port is not None, "web publishes no port"
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def running(image: str) -> Iterator[Running]:
    """The stack up with a .env of test settings: Telegram on, its Bot API the fake, which
    listens on the host's side of the stack's network (nowhere else)."""
    fake_port = free_port()
    env = {
        "PORT": str(free_port()),
        "DESK_PORT": str(free_port()),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        # podman names the host, as the containers see it, host.containers.internal
        "TELEGRAM_API_URL": f"http://host.containers.internal:{fake_port}",
        "PUBLIC_BASE_URL": PUBLIC,
        "TELEGRAM_RATE_PER_SECOND": "1000",
        "TELEGRAM_CHAT_INTERVAL": "0",
    }
    stack = Stack(env)
    bot_api = None
    try:
        started = time.monotonic()
        stack.claim()
        # docs/operations.md, "Turning it on": a key before the first citizen writes
        said = stack.compose("run", "--rm", "--no-deps", "web", "wargabot", "keys", "new")
        # podman-compose also prints the one-off container's id, and the key id (stderr)
        (key,) = re.findall(r"^[A-Za-z0-9_-]{43}$", said, re.M)
        stack.setting("DATA_KEY", key)
        stack.up()
        network = inspect("network", f"{PROJECT}_default")
        assert network is not None, "compose made no network"
        gateway = network["subnets"][0]["gateway"]
        bot_api = BotAPI(gateway, fake_port)
        say(f"stack up in {time.monotonic() - started:.1f} s; fake Bot API at {bot_api.fake.url}")
        yield Running(stack, bot_api.fake)
    finally:
        if bot_api is not None:
            bot_api.close()
        stack.down()  # when test_down_removes_... did not run; never a stack it did not claim


class ContainerChat:
    """One synthetic citizen writing to the bot through the published webhook."""

    def __init__(self, running: Running, chat: int) -> None:
        self.running, self.chat, self.update_id = running, chat, 0
        self.client = httpx.Client(base_url=running.url, timeout=30)

    def _post(self, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        res = self.client.post("/telegram/webhook", json=update, headers=headers)
        assert res.status_code == 200, (res.status_code, res.text)

    def send(self, make: Callable[[int], dict[str, Any]], expect: str = "") -> str:
        """Posts one update and waits for the bot's answer (every message gets one), or for
        the answer that contains `expect`."""
        before = len(self.running.tg.texts_to(self.chat))
        self.update_id += 1
        self._post(make(self.update_id))
        answers = wait_until(
            f"an answer to update {self.update_id} with {expect!r}",
            lambda: [t for t in self.running.tg.texts_to(self.chat)[before:] if expect in t],
        )
        return str(answers[-1])

    def say(self, text: str, expect: str = "") -> str:
        return self.send(lambda i: text_update(i, self.chat, text), expect)

    def photo(self, data: bytes) -> str:
        file_id = self.running.tg.add_file(data)
        return self.send(lambda i: photo_update(i, self.chat, file_id, len(data)))


def ready(running: Running) -> None:
    """Every service with a health check healthy, and web reaching Redis (/readyz)."""
    for service in LONG_RUNNING:
        if service.health != "none":
            running.stack.wait_healthy(service.name)
    wait_until(
        "/readyz",
        lambda: httpx.get(f"{running.url}/readyz", timeout=2).status_code == 200,
    )


def restart(running: Running, *services: str) -> None:
    """`podman-compose restart`, then ready again."""
    running.stack.compose("restart", *services)
    ready(running)


@pytest.fixture(scope="module")
def application(running: Running) -> str:
    """The Gowa application, submitted over the webhook; Redis, web and worker are restarted
    halfway (as by an update), and the conversation goes on where it was. The reference."""
    ready(running)
    started = time.monotonic()
    citizen = ContainerChat(running, CHAT)
    half = GOWA.index(NIK) + 1
    for i, step in enumerate(GOWA):
        if i == half:
            restart(running, "redis", "web", "worker")
            say(f"restarted redis, web and worker after answer {half}; the conversation goes on")
        if isinstance(step, tuple):
            citizen.photo(pf.jpeg(pf.document(seed=step[1])))
        else:
            citizen.say(str(step))
    citizen.send(lambda i: contact_update(i, CHAT, PHONE), expect="Nomor HP: 085299998888")
    done = citizen.say("Kirim pengajuan", expect="Nomor pengajuan: GWA-")
    reference = done.split("Nomor pengajuan: ")[1].split()[0]
    wait_until(
        "the worker's word that the dossier reached the office inbox",
        lambda: any(
            f"Pengajuan {reference} sudah masuk ke kotak masuk" in t
            for t in running.tg.texts_to(CHAT)
        ),
    )
    took = time.monotonic() - started
    say(f"{len(GOWA) + 2} messages answered; {reference} delivered by the worker ({took:.1f} s)")
    return reference
