"""The operator's commands: `wargabot worker` and `wargabot outbox status | list | retry ID`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from datetime import UTC, datetime

from bot.config import ConfigError, Settings
from bot.delivery.queue import DossierOutbox
from bot.delivery.record import wita_readable
from bot.sessions import open_redis


def _need_redis(settings: Settings, what: str) -> None:
    if not settings.REDIS_URL:
        raise ConfigError(
            f"{what} needs REDIS_URL: the outbox is shared through Redis. Without it, "
            "`wargabot serve` keeps the outbox in its own memory and delivers by itself."
        )


async def run_worker(settings: Settings) -> int:
    from bot.web.services import build

    _need_redis(settings, "wargabot worker")
    services = build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    from bot.authoring.loader import load_flowset
    from bot.commands.retention import start_schedule

    flows = load_flowset(settings.FLOWS_DIR, settings.LOCALES_DIR)
    retention = start_schedule(settings, flows, stop)  # the same stop ends it
    try:
        runs = [services.worker.run(stop)]
        if services.loop is not None:  # the office's notices and reminders, to their chats
            runs.append(services.loop.run(stop))
        await asyncio.gather(*runs)
    finally:
        stop.set()
        if retention is not None:
            await retention
        await services.close()
    return 0


def _when(ts: float) -> str:
    return wita_readable(datetime.fromtimestamp(ts, UTC))


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


async def outbox_command(settings: Settings, action: str, key: str | None) -> int:
    _need_redis(settings, "wargabot outbox")
    redis = open_redis(settings.REDIS_URL)
    outbox = DossierOutbox(redis)
    try:
        if action == "status":
            s = await outbox.status()
            print(f"undelivered      {s['undelivered']}")
            print(f"  ready          {s['ready']}")
            print(f"  in progress    {s['in_progress']}")
            print(f"  waiting retry  {s['waiting_retry']}")
            print(f"oldest waiting   {_age(s['oldest_age_seconds']) if s['undelivered'] else '-'}")
            print(f"dead letters     {s['dead']}")
            return 1 if s["dead"] else 0
        if action == "list":
            now = time.time()
            items = await outbox.undelivered()
            print(f"{len(items)} undelivered")
            for item in items:
                line = f"  {item.ref}  waiting {_age(now - item.created)}"
                line += f", attempts {item.attempts}"
                if "next_at" in item.fields:
                    line += f", next {_when(float(item.fields['next_at']))}"
                if item.sinks_done():
                    line += f", done: {', '.join(item.sinks_done())}"
                print(line)
                if "error" in item.fields:
                    print(f"      last error: {item.fields['error']}")
            dead = await outbox.dead_letters()
            print(f"{len(dead)} dead letters (retry with `wargabot outbox retry REF`)")
            for entry_id, item in dead:
                print(f"  {item.ref}  [{entry_id}]  attempts {item.attempts}")
                print(f"      last error: {item.fields.get('error', '?')}")
            return 0
        assert key is not None
        ref = await outbox.requeue(key)
        if ref is None:
            print(
                f"wargabot: {key} is neither a dead letter nor waiting for a retry", file=sys.stderr
            )
            return 1
        print(f"{ref} queued for delivery again")
        return 0
    finally:
        await redis.aclose()
