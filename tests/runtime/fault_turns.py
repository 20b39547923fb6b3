"""The conversation fault test: citizens on Telegram and WhatsApp apply (texts, photos, a shared
contact, submission) through two `wargabot serve` processes while a web process is SIGKILLed,
the outbox worker is SIGKILLed and Redis is restarted; then every reply is checked against what
the engine says to that script, and every dossier is looked for in the office's Maildir.

    make fault-test        # 40 citizens, 10 web kills, 5 worker kills, 1 Redis restart
    .venv/bin/python -m tests.runtime.fault_turns --citizens 8 --web-kills 3 --worker-kills 1

A citizen's message is posted (to either web process) until it gets a 200, with the same update
id or MessageSid, as Telegram redelivers; it waits for the replies the engine gives that message
before sending the next. Printed: citizens finished, replies expected / received, replies sent
twice and whether each was in flight at a web kill, dossiers delivered / lost / duplicated.
Exits 0 only when every citizen finished with every reply, every repeat was in flight at a web
kill, and the dossiers are N / 0 / 0. Everything is real and local but Telegram and Twilio."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from redis.asyncio import Redis

from bot.authoring.loader import load_flowset
from bot.channels.base import Outgoing
from bot.channels.compose import combine, split
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.whatsapp import render as whatsapp_render
from bot.delivery.queue import DossierOutbox
from bot.engine.flowset import FlowSet
from bot.engine.model import ContactShared, Event, MediaRef, PhotoReceived, TextReceived
from bot.engine.step import new_session, step
from tests.kit import photo_factory as pf
from tests.kit.citizens import GOWA, MAKASSAR
from tests.kit.fake_telegram import FakeTelegram, contact_update, photo_update, text_update
from tests.kit.fake_twilio import AUTH_TOKEN, FakeTwilio, signature
from tests.kit.ports import free_port
from tests.kit.proc import Proc
from tests.kit.webapp import PUBLIC, SECRET, SENDER, TOKEN

REF = re.compile(r"\b[A-Z]{3}-[2-9AHKMRWXY]{3}-[2-9AHKMRWXY]{3}-[2-9AHKMRWXY]{3}\b")
PHONE = "+6285299998888"
STEP_TIMEOUT = 120.0
Step = str | tuple[str, int]
TELEGRAM_SCRIPT: list[Step] = [*GOWA, ("contact", 0), "Kirim pengajuan"]
WHATSAPP_SCRIPT: list[Step] = [*MAKASSAR, "1"]


class TimedTelegram(FakeTelegram):
    """The fake Bot API, noting when each reply came in."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def _m_sendmessage(self, token: str, params: dict[str, Any]) -> web.Response:
        before = len(self.sent)
        res = await super()._m_sendmessage(token, params)
        self.times += [time.time()] * (len(self.sent) - before)
        return res


class TimedTwilio(FakeTwilio):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def _create_message(self, request: web.Request) -> web.Response:
        before = len(self.sent)
        res = await super()._create_message(request)
        self.times += [time.time()] * (len(self.sent) - before)
        return res


def _event(item: Step) -> Event:
    if isinstance(item, str):
        return TextReceived(item)
    if item[0] == "contact":
        return ContactShared(PHONE)
    return PhotoReceived((MediaRef(f"m/{item[1]}.jpg", "image/jpeg", "ab" * 32, 9),))


def _whatsapp(actions: Any) -> list[Outgoing]:
    return [Outgoing(p) for a in combine(actions, 1500) for p in split(whatsapp_render(a), 1500)]


def expected(flows: FlowSet, channel: str, script: list[Step], telegram: Any) -> list[int]:
    """How many replies the engine gives each message of `script` (as the channel renders)."""
    session, counts = new_session(channel, "1", "00" * 16), []
    for item in script:
        turn = step(flows, session, _event(item), datetime.now(UTC))
        session = turn.session
        out = telegram.render(turn.actions) if channel == "telegram" else _whatsapp(turn.actions)
        counts.append(len(out))
    return counts


def reference_texts(flows: FlowSet, channel: str, script: list[Step], telegram: Any) -> list[str]:
    session, texts = new_session(channel, "1", "00" * 16), []
    for item in script:
        turn = step(flows, session, _event(item), datetime.now(UTC))
        session = turn.session
        out = telegram.render(turn.actions) if channel == "telegram" else _whatsapp(turn.actions)
        texts += [REF.sub("REF", m.text) for m in out]
    return texts


@dataclass
class Citizen:
    n: int
    channel: str
    script: list[Step]
    counts: list[int]
    done: bool = False
    failure: str = ""
    reference: str = ""
    posts: int = 0

    @property
    def chat(self) -> str:
        return str(8_000_000 + self.n) if self.channel == "telegram" else f"+6281300{self.n:05d}"


@dataclass
class Chaos:
    web_kills: list[float] = field(default_factory=list)  # and Redis restarts: a reply sent
    # while Redis went down cannot be taken off the queue, so it is in flight too
    log: list[str] = field(default_factory=list)


class Web:
    """One `wargabot serve` process on its own port, killed and started again."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"}
        self.port, self.proc = port, Proc([sys.executable, "-m", "bot", "serve"], {}, log)
        self.proc.env = self.env

    async def start(self) -> None:
        self.proc.start()
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).is_success:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"serve on {self.port} did not start")


async def run(
    citizens: int, web_kills: int, worker_kills: int, redis_restarts: int, seed: int, keep: bool
) -> int:
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="wargabot-fault-turns-"))
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        print("redis-server is needed: apt-get install redis-server", file=sys.stderr)
        return 2
    (tmp / "redis").mkdir()
    rport = free_port()
    redis = Proc(
        [redis_bin, "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "yes", "--dir", str(tmp / "redis")],
        {}, tmp / "redis.log", ready="Ready to accept connections",
    )  # fmt: skip
    redis.start()
    flows = load_flowset()
    photos = [pf.jpeg(pf.document(seed=s)) for s in range(1, 5)]
    tg, tw = TimedTelegram(), TimedTwilio()
    async with tg, tw:
        env = {
            "REDIS_URL": f"redis://127.0.0.1:{rport}/0",
            "MEDIA_DIR": str(tmp / "media"),
            "INBOX_MAILDIR": str(tmp / "inbox"),
            "PUBLIC_BASE_URL": PUBLIC,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_URL": tg.url,
            "TELEGRAM_RATE_PER_SECOND": "10000",
            "TELEGRAM_CHAT_INTERVAL": "0",
            "TWILIO_ACCOUNT_SID": tw.account_sid,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": SENDER,
            "TWILIO_API_URL": tw.url,
            "TWILIO_MEDIA_HOSTS": tw.cdn_url,
            "TWILIO_RATE_PER_SECOND": "10000",
            "JOURNAL_CLAIM_IDLE_SECONDS": "1",
            "OUTBOX_CLAIM_IDLE_SECONDS": "1.5",
            "OUTBOX_RETRY_BASE_SECONDS": "0.2",
            "OUTBOX_RETRY_MAX_SECONDS": "2",
            "LOG_LEVEL": "warning",
            "CASESTORE_ENABLED": "false",  # the Maildir is the office inbox counted here
        }
        webs = [Web(env, free_port(), tmp / f"serve-{i}.log") for i in range(2)]
        for w in webs:
            w.env["RUN_WORKER"] = "false"
            await w.start()
        worker = Proc([sys.executable, "-m", "bot", "worker"], env, tmp / "worker.log")
        worker.start()
        telegram = TelegramChannel(make_bot(TOKEN, tg.url))
        counts = {
            "telegram": expected(flows, "telegram", TELEGRAM_SCRIPT, telegram),
            "whatsapp": expected(flows, "whatsapp", WHATSAPP_SCRIPT, telegram),
        }
        people = [
            Citizen(n, ch, TELEGRAM_SCRIPT if ch == "telegram" else WHATSAPP_SCRIPT, counts[ch])
            for n in range(citizens)
            for ch in ["telegram" if n % 2 == 0 else "whatsapp"]
        ]
        chaos, started = Chaos(), time.monotonic()
        ids = iter(range(1, 10**9))
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                talk = [_talk(c, http, webs, tg, tw, photos, ids, rng) for c in people]
                mayhem = _chaos(rng, webs, worker, redis, web_kills, worker_kills, redis_restarts)
                await asyncio.gather(*talk, mayhem(chaos, people))
            client = Redis.from_url(env["REDIS_URL"])
            outbox = DossierOutbox(client)
            deadline = time.monotonic() + 120
            while (await outbox.status())["undelivered"] and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            status = await outbox.status()
            await client.aclose()
            for c in people:  # the office's "received" reaches every citizen
                await _replies(c, tg, tw, sum(c.counts) + 1, STEP_TIMEOUT)
            took = time.monotonic() - started
        finally:
            for w in webs:
                w.proc.kill(signal.SIGTERM)
            worker.kill(signal.SIGTERM)
            redis.kill(signal.SIGTERM)
            await telegram.close()
        report = _report(flows, people, tg, tw, chaos, telegram, tmp / "inbox", status)
    print(
        f"citizens {citizens} ({sum(c.channel == 'telegram' for c in people)} Telegram), web kills "
        f"{web_kills}, worker kills {worker_kills}, Redis restarts {redis_restarts}, seed {seed}, "
        f"{took:.1f} s"
    )
    for line in report[1]:
        print(line)
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if report[0] else 1


async def _talk(
    c: Citizen,
    http: httpx.AsyncClient,
    webs: list[Web],
    tg: FakeTelegram,
    tw: FakeTwilio,
    photos: list[bytes],
    ids: Any,
    rng: random.Random,
) -> None:
    await asyncio.sleep(rng.uniform(0, 2))
    total = 0
    for k, item in enumerate(c.script):
        request = _request(c, item, tg, tw, photos, next(ids))
        if not await _post(c, http, webs, request, rng):
            c.failure = f"message {k} was never taken"
            return
        total += c.counts[k]
        if not await _replies(c, tg, tw, total, STEP_TIMEOUT):
            c.failure = f"no reply to message {k} ({item!r})"
            return
    c.done = True


def _request(
    c: Citizen, item: Step, tg: FakeTelegram, tw: FakeTwilio, photos: list[bytes], n: int
) -> tuple[str, dict[str, Any], dict[str, str]]:
    if c.channel == "telegram":
        chat = int(c.chat)
        if isinstance(item, str):
            update = text_update(n, chat, item)
        elif item[0] == "contact":
            update = contact_update(n, chat, PHONE)
        else:
            data = photos[item[1] % len(photos)]
            update = photo_update(n, chat, tg.add_file(data), len(data))
        return "/telegram/webhook", update, {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    sid = f"SM{n:032x}"
    if isinstance(item, str):
        form = tw.form_for(sid, c.chat, item)
    else:
        url = tw.add_media(sid, photos[item[1] % len(photos)], "image/jpeg")
        form = tw.form_for(sid, c.chat, "", media=((url, "image/jpeg"),))
    sign = signature(AUTH_TOKEN, f"{PUBLIC}/whatsapp/webhook", form)
    return "/whatsapp/webhook", form, {"X-Twilio-Signature": sign}


async def _post(
    c: Citizen,
    http: httpx.AsyncClient,
    webs: list[Web],
    request: tuple[str, dict[str, Any], dict[str, str]],
    rng: random.Random,
) -> bool:
    """Until a web process says 200 (same update: redelivered as Telegram does)."""
    path, body, headers = request
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        url = f"http://127.0.0.1:{rng.choice(webs).port}{path}"
        c.posts += 1
        try:
            if path.startswith("/telegram"):
                res = await http.post(url, json=body, headers=headers)
            else:
                res = await http.post(url, data=body, headers=headers)
            if res.status_code == 200:
                return True
            if res.status_code in (400, 403):
                raise AssertionError(f"{res.status_code} for a good message")
        except httpx.HTTPError:
            pass
        await asyncio.sleep(rng.uniform(0.1, 0.4))
    return False


def _texts(c: Citizen, tg: FakeTelegram, tw: FakeTwilio) -> list[str]:
    return tg.texts_to(c.chat) if c.channel == "telegram" else tw.bodies_to(f"whatsapp:{c.chat}")


async def _replies(c: Citizen, tg: FakeTelegram, tw: FakeTwilio, n: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while len(_texts(c, tg, tw)) < n:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def _chaos(
    rng: random.Random,
    webs: list[Web],
    worker: Proc,
    redis: Proc,
    web_kills: int,
    worker_kills: int,
    redis_restarts: int,
) -> Any:
    async def go(chaos: Chaos, people: list[Citizen]) -> None:
        plan = ["web"] * web_kills + ["worker"] * worker_kills + ["redis"] * redis_restarts
        rng.shuffle(plan)
        for what in plan:
            await asyncio.sleep(rng.uniform(0.8, 2.5))
            if what == "web":
                w = rng.choice(webs)
                chaos.web_kills.append(time.time())
                w.proc.kill(signal.SIGKILL)
                await asyncio.sleep(rng.uniform(0.1, 0.8))
                await w.start()
            elif what == "worker":
                worker.kill(signal.SIGKILL)
                await asyncio.sleep(rng.uniform(0.1, 0.5))
                worker.start()
            else:
                chaos.web_kills.append(time.time())
                redis.kill(signal.SIGTERM)  # as an administrator restarts it
                await asyncio.sleep(rng.uniform(1.0, 2.0))
                redis.ready = ""  # its log already says it once
                redis.start()
                await asyncio.sleep(0.5)
            chaos.log.append(f"{time.time():.3f} {what}")

    return go


def _report(
    flows: FlowSet,
    people: list[Citizen],
    tg: TimedTelegram,
    tw: TimedTwilio,
    chaos: Chaos,
    telegram: Any,
    inbox: Path,
    status: dict[str, Any],
) -> tuple[bool, list[str]]:
    ok, lines = True, []
    finished = [c for c in people if c.done]
    failures = [f"  citizen {c.n} ({c.channel}): {c.failure}" for c in people if not c.done]
    lines.append(f"citizens finished {len(finished)} / {len(people)}")
    lines += failures
    ok &= not failures
    expected_total = received_total = 0
    resent: list[tuple[Citizen, str, bool]] = []
    times = {"telegram": _times_by_chat(tg), "whatsapp": _times_by_chat(tw)}
    for c in people:
        script = TELEGRAM_SCRIPT if c.channel == "telegram" else WHATSAPP_SCRIPT
        want = reference_texts(flows, c.channel, script, telegram)
        got = [REF.sub("REF", t) for t in _texts(c, tg, tw)]
        refs = [m[0] for t in _texts(c, tg, tw) for m in [REF.search(t)] if m and "Nomor" in t]
        c.reference = refs[0] if refs else ""
        at = times[c.channel].get(c.chat if c.channel == "telegram" else f"whatsapp:{c.chat}", [])
        kept: list[str] = []
        for i, text in enumerate(got):
            if kept and text == kept[-1]:  # the same reply again: was it in flight at a kill?
                first = at[i - 1] if i - 1 < len(at) else 0.0
                in_flight = any(0 <= kill - first <= 10 for kill in chaos.web_kills)
                resent.append((c, text[:40], in_flight))
            else:
                kept.append(text)
        expected_total += len(want) + 1
        received_total += len(got)
        if kept[: len(want)] != want or len(kept) != len(want) + 1:
            ok = False
            lines.append(f"  citizen {c.n} ({c.channel}): replies differ from the engine's")
    lines.append(f"replies expected {expected_total}, received {received_total}")
    stray = [r for r in resent if not r[2]]
    lines.append(
        f"replies sent twice: {len(resent)}, each the one in flight at a web kill "
        "or Redis restart: "
        f"{len(resent) - len(stray)}"
    )
    for c, text, in_flight in resent:
        lines.append(f"  citizen {c.n} ({c.channel}): {text!r}{'' if in_flight else ' NOT'}")
    ok &= not stray
    files = Counter(p.name.split(".")[0] for p in (inbox / "new").glob("*"))
    refs = [c.reference for c in people if c.reference]
    delivered = sum(1 for r in refs if files[r] >= 1)
    duplicated = sum(1 for r in refs if files[r] > 1) + sum(1 for r in files if r not in refs)
    lost = len(people) - delivered
    lines.append(f"outbox: {status}")
    lines.append(f"dossiers delivered {delivered} / lost {lost} / duplicated {duplicated}")
    ok &= (delivered, lost, duplicated) == (len(people), 0, 0)
    return ok, lines


def _times_by_chat(fake: TimedTelegram | TimedTwilio) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for record, at in zip(fake.sent, fake.times, strict=False):
        chat = str(record.get("chat_id", record.get("To", "")))
        out.setdefault(chat, []).append(at)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--citizens", type=int, default=40, help="half on Telegram, half on WhatsApp")
    p.add_argument("--web-kills", type=int, default=10, help="SIGKILLs of a web process")
    p.add_argument("--worker-kills", type=int, default=5, help="SIGKILLs of the outbox worker")
    p.add_argument("--redis-restarts", type=int, default=1, help="Redis stopped and started")
    p.add_argument("--seed", type=int, default=None, help="for a repeatable run")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    a = p.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1_000_000)
    code = run(a.citizens, a.web_kills, a.worker_kills, a.redis_restarts, seed, a.keep)
    sys.exit(asyncio.run(code))


if __name__ == "__main__":
    main()
