"""The notices fault test: clerks refuse a document and set a status the flow tells for cases of
citizens on Telegram and WhatsApp (some silent for 25 hours: WhatsApp templates) while the web
process and the worker are SIGKILLed at random moments and started again; then every message to
a citizen is counted at the fake Bot API and the fake Twilio.

    make fault-test     # also runs this: 40 cases, 8 web kills, 8 worker kills
    .venv/bin/python -m tests.loop.fault_notices --cases 8 --web-kills 3 --worker-kills 3

Printed: notices, each arrived once / lost / twice (and whether each repeat was in flight at a
web kill: a platform that took a message just before the process died cannot be asked whether
it did), the desk's states. Exits 0 only when none is lost, every repeat was in flight at a
web kill, and every notice is `sent` at the desk. Everything is real and local but Telegram and
Twilio (their fakes)."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import select

from bot.authoring.loader import load_flowset
from bot.channels.base import ChatKey
from bot.desk import intake
from bot.desk.actor import Actor
from bot.desk.cases import CaseRepository
from bot.desk.db import make_engine, make_sessions
from bot.desk.models import Notice, User
from bot.sessions import SessionStore
from tests.desk import dossiers
from tests.kit.database import migrated_sqlite
from tests.kit.fake_twilio import AUTH_TOKEN
from tests.kit.ports import free_port
from tests.kit.proc import Proc
from tests.kit.webapp import PUBLIC, SECRET, SENDER, TOKEN
from tests.runtime.fault_turns import TimedTelegram, TimedTwilio, Web

STATUS = {"gowa-kis-reaktivasi": "recommendation_sent", "makassar-kis-pbi": "registered"}
TEMPLATES = {
    "document_request": "Dinas Sosial: {{2}} untuk pengajuan {{1}} perlu diganti. Balas pesan ini.",
    "status": "Dinas Sosial: pengajuan {{1}} berstatus {{2}}. Balas pesan ini.",
}


@dataclass
class Case:
    n: int
    channel: str
    flow_id: str
    silent: bool  # WhatsApp, last message 25 hours ago: templates
    reference: str = ""

    @property
    def chat(self) -> str:
        return (
            str(7_000_000 + self.n)
            if self.channel == "telegram"
            else f"whatsapp:+6281301{self.n:05d}"
        )


@dataclass
class Chaos:
    web_kills: list[float] = field(default_factory=list)
    worker_kills: list[float] = field(default_factory=list)


async def _seed(url: str, flows: Any, media: Any, cases: list[Case]) -> None:
    engine = make_engine(url)
    sessions = make_sessions(engine)
    for c in cases:
        maker = dossiers.gowa if c.flow_id == "gowa-kis-reaktivasi" else _makassar
        d = replace(maker(media, chat_id=c.chat), channel=c.channel)
        c.reference = d.reference
        assert await intake.store_dossier(sessions, flows, d)
    async with sessions() as s:
        for office in ("dinsos_gowa", "dinsos_makassar"):
            s.add(
                User(username=f"clerk_{office}", office_id=office, role="staff",
                     password_hash="x", must_change_password=False, lang="id", failed_logins=0,
                     created_at=datetime.now(UTC))
            )  # fmt: skip
        await s.commit()
    await engine.dispose()


def _makassar(media: Any, chat_id: str) -> Any:
    d = dossiers.gowa(media, chat_id=chat_id)
    return replace(
        d,
        reference=dossiers.reference("MKS"),
        flow_id="makassar-kis-pbi",
        office="Dinas Sosial Kota Makassar",
        service="Pendaftaran/Peralihan KIS PBI (APBD)",
        photos=tuple(
            ("foto_kk" if step == "foto_kk" else "sktm", ref) for step, ref in d.photos[:2]
        ),
        answers=tuple(a for a in d.answers if a.step in ("nama", "nik", "nomor_kk", "hp")),
    )


async def _clerks(url: str, flows: Any, cases: list[Case], rng: random.Random) -> None:
    """For each case: refuse the KK photo as blurred, then set the status the flow tells."""
    engine = make_engine(url)
    sessions = make_sessions(engine)
    async with sessions() as s:
        users = {u.office_id: u for u in await s.scalars(select(User))}
    for c in rng.sample(cases, len(cases)):
        office = "dinsos_gowa" if c.flow_id.startswith("gowa") else "dinsos_makassar"
        u = users[office]
        actor = Actor(u.id, u.username, office, "staff", "127.0.0.1")
        async with sessions() as s:
            repo = CaseRepository(s, actor, flows)
            kk = next(d for d in (await repo.get(c.reference)).documents if d.step == "foto_kk")
            await repo.decide(c.reference, kk.id, "refused", 1, "blurred")
        await asyncio.sleep(rng.uniform(0, 0.4))
        async with sessions() as s:
            await CaseRepository(s, actor, flows).set_status(c.reference, STATUS[c.flow_id])
        await asyncio.sleep(rng.uniform(0, 0.4))
    await engine.dispose()


async def _chaos(
    rng: random.Random, web_: Web, worker: Proc, web_kills: int, worker_kills: int,
    chaos: Chaos, done: asyncio.Event,
) -> None:  # fmt: skip
    kills = ["web"] * web_kills + ["worker"] * worker_kills
    rng.shuffle(kills)
    for what in kills:
        await asyncio.sleep(rng.uniform(0.3, 1.5))
        if what == "web":
            chaos.web_kills.append(time.time())
            web_.proc.kill()
            await asyncio.sleep(rng.uniform(0.1, 0.6))
            await web_.start()
        else:
            chaos.worker_kills.append(time.time())
            worker.kill()
            await asyncio.sleep(rng.uniform(0.1, 0.6))
            worker.start()
    done.set()


async def _desk_states(url: str) -> Counter[str]:
    engine = make_engine(url)
    async with make_sessions(engine)() as s:
        rows = list(await s.scalars(select(Notice).where(Notice.kind != "document_reminder")))
    await engine.dispose()
    return Counter(n.state for n in rows)


def _arrivals(
    c: Case, tg: TimedTelegram, tw: TimedTwilio, sids: dict[str, str]
) -> dict[str, list[float]]:
    """When each of the case's two messages reached the platform (each time it did)."""
    out: dict[str, list[float]] = {"document_request": [], "status": []}
    if c.channel == "telegram":
        for m, at in zip(tg.sent, tg.times, strict=False):
            if str(m["chat_id"]) == c.chat and c.reference in m["text"]:
                kind = "status" if "Status:" in m["text"] else "document_request"
                out[kind].append(at)
        return out
    for m, at in zip(tw.sent, tw.times, strict=False):
        if m["To"] != c.chat:
            continue
        found = next((k for k, sid in sids.items() if m.get("ContentSid") == sid), None)
        if found is None and c.reference in m["Body"]:
            found = "status" if "Status:" in m["Body"] else "document_request"
        if found is not None:
            out[found].append(at)
    return out


async def run(cases_n: int, web_kills: int, worker_kills: int, seed: int, keep: bool) -> int:
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="wargabot-fault-notices-"))
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
    from bot.media.store import MediaStore

    media = MediaStore(tmp / "media")
    cases = [
        Case(n, "telegram" if n % 2 == 0 else "whatsapp",
             "gowa-kis-reaktivasi" if n % 3 else "makassar-kis-pbi", silent=n % 4 == 1)
        for n in range(cases_n)
    ]  # fmt: skip
    db_url = migrated_sqlite(tmp / "db")
    await _seed(db_url, flows, media, cases)
    tg, tw = TimedTelegram(), TimedTwilio()
    async with tg, tw:
        sids = {kind: tw.add_content(body) for kind, body in TEMPLATES.items()}
        env = {
            "REDIS_URL": f"redis://127.0.0.1:{rport}/0",
            "MEDIA_DIR": str(tmp / "media"),
            "INBOX_MAILDIR": str(tmp / "inbox"),
            "DATABASE_URL": db_url,
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
            "TWILIO_TEMPLATE_DOCUMENT_REQUEST": f"{sids['document_request']}:reference,document",
            "TWILIO_TEMPLATE_STATUS": f"{sids['status']}:reference,status",
            "JOURNAL_CLAIM_IDLE_SECONDS": "1",
            "OUTBOX_CLAIM_IDLE_SECONDS": "1.5",
            "LOG_LEVEL": "warning",
            "RUN_WORKER": "false",
        }
        client = Redis.from_url(env["REDIS_URL"])
        store = SessionStore(client)
        now = datetime.now(UTC)
        for c in cases:  # when each citizen last wrote: an hour ago, or 25 hours ago
            if c.channel == "whatsapp":
                wrote = now - timedelta(hours=25 if c.silent else 1)
                await store.touch_inbound(ChatKey("whatsapp", c.chat), wrote)
                tw.citizen_wrote(c.chat, wrote)
        web_ = Web(env, free_port(), tmp / "serve.log")
        await web_.start()
        worker = Proc([sys.executable, "-m", "bot", "worker"], env, tmp / "worker.log")
        worker.start()
        chaos, done, started = Chaos(), asyncio.Event(), time.monotonic()
        try:
            await asyncio.gather(
                _clerks(db_url, flows, cases, rng),
                _chaos(rng, web_, worker, web_kills, worker_kills, chaos, done),
            )
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                states = await _desk_states(db_url)
                if states.get("sent", 0) == 2 * cases_n:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)  # anything still going out would show now
            states = await _desk_states(db_url)
            took = time.monotonic() - started
        finally:
            web_.proc.kill(signal.SIGTERM)
            worker.kill(signal.SIGTERM)
            await client.aclose()
            redis.kill(signal.SIGTERM)
        once = lost = 0
        twice: list[bool] = []
        for c in cases:
            for kind, times in _arrivals(c, tg, tw, sids).items():
                if not times:
                    lost += 1
                    print(f"LOST: {c.reference} {kind} ({c.channel})")
                    continue
                once += 1
                for at in times[1:]:
                    in_flight = any(abs(at - k) < 2.0 for k in chaos.web_kills)
                    twice.append(in_flight)
        templates_sent = sum(1 for m in tw.sent if m.get("ContentSid"))
        refused = len(tw.failed)
    total = 2 * cases_n
    print(
        f"cases {cases_n} ({sum(c.channel == 'telegram' for c in cases)} Telegram, "
        f"{sum(c.silent for c in cases)} WhatsApp silent 25 h), web kills {web_kills}, "
        f"worker kills {worker_kills}, seed {seed}, {took:.1f} s"
    )
    print(f"notices {total}: arrived {once} / lost {lost}")
    print(f"sent twice: {len(twice)}, each in flight at a web kill: {sum(twice)}")
    print(
        f"WhatsApp templates sent: {templates_sent}; "
        f"free text refused outside the window: {refused}"
    )
    print("at the desk: " + json.dumps(dict(sorted(states.items()))))
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    ok = lost == 0 and all(twice) and refused == 0 and states.get("sent", 0) == total
    return 0 if ok else 1


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=40)
    p.add_argument("--web-kills", type=int, default=8)
    p.add_argument("--worker-kills", type=int, default=8)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--keep", action="store_true", help="keep the temporary folder and logs")
    args = p.parse_args()
    return asyncio.run(run(args.cases, args.web_kills, args.worker_kills, args.seed, args.keep))


if __name__ == "__main__":
    sys.exit(main())
