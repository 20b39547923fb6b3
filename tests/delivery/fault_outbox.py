"""The outbox fault test: submit dossiers while killing the worker (SIGKILL) and bouncing the
office mail server, then count what reached the office inbox (Maildir and SMTP).

    make fault-test                  # 200 dossiers, 10 worker kills, 3 mail server bounces
    .venv/bin/python -m tests.delivery.fault_outbox --dossiers 40 --kills 3 --bounces 1

The worker is killed with SIGKILL; the mail server is restarted as an administrator would
(SIGTERM: transactions under way end first), or crashed with --crash-mail-server.
Everything is real and local: redis-server with append-only persistence, `wargabot worker` as
its own process, an aiosmtpd mail server as its own process. Prints delivered / lost /
duplicated and exits 0 only for N / 0 / 0. Delivered: in the Maildir and received by email.
Duplicated: filed twice, i.e. two Maildir messages, or two emails with different Message-IDs.
An email resent with the same Message-ID (recognisable as the same message) is counted apart."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import email
import email.policy
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from redis.asyncio import Redis

from bot.delivery.queue import DossierOutbox
from bot.media.store import MediaStore
from tests.kit.database import migrated_sqlite
from tests.kit.outbox import make_dossier
from tests.kit.ports import free_port
from tests.kit.proc import Proc


async def run(
    dossiers: int, kills: int, bounces: int, seed: int, keep: bool, crash_mail: bool = False
) -> int:
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="wargabot-fault-"))
    redis_port, smtp_port = free_port(), free_port()
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        print("redis-server is needed: apt-get install redis-server", file=sys.stderr)
        return 2
    (tmp / "redis").mkdir()
    redis_proc = Proc(
        [redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "yes", "--dir", str(tmp / "redis")],
        {}, tmp / "redis.log", ready="Ready to accept connections",
    )  # fmt: skip
    smtp = Proc(
        [sys.executable, "-m", "tests.kit.smtp_process", str(smtp_port), str(tmp / "mailbox")],
        {}, tmp / "smtp.log", ready="ready",
    )  # fmt: skip
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "MEDIA_DIR": str(tmp / "media"),
        "INBOX_MAILDIR": str(tmp / "inbox"),
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "INBOX_EMAIL_TO": "kis@dinsos.example",
        "OUTBOX_RETRY_BASE_SECONDS": "0.2",
        "OUTBOX_RETRY_MAX_SECONDS": "2",
        "OUTBOX_CLAIM_IDLE_SECONDS": "1.5",
        "OUTBOX_CONCURRENCY": "4",
        "DATABASE_URL": migrated_sqlite(tmp),  # the case store: every dossier a case, once
    }
    worker = Proc([sys.executable, "-m", "bot", "worker"], env, tmp / "worker.log")
    redis_proc.start()
    smtp.start()
    worker.start()
    client = Redis.from_url(env["REDIS_URL"])
    outbox = DossierOutbox(client)
    await outbox.ensure_group()
    media = MediaStore(tmp / "media")
    template = make_dossier(media, 1, photos=2)
    refs = [f"FLT-{n:04d}" for n in range(dossiers)]
    started = time.monotonic()

    async def submit() -> None:
        for ref in refs:
            await outbox.submit(dataclasses.replace(template, reference=ref))
            await asyncio.sleep(rng.uniform(0, 0.08))

    async def chaos() -> None:
        plan = ["kill"] * kills + ["bounce"] * bounces
        rng.shuffle(plan)
        for what in plan:
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            with (tmp / "chaos.log").open("a") as log:
                print(f"{time.time():.3f} {what}", file=log)
            if what == "kill":
                worker.kill(signal.SIGKILL)
                await asyncio.sleep(rng.uniform(0, 0.5))
                worker.start()
            else:
                smtp.kill(signal.SIGKILL if crash_mail else signal.SIGTERM)
                await asyncio.sleep(rng.uniform(1, 3))
                smtp.start()

    try:
        await asyncio.gather(submit(), chaos())
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            status = await outbox.status()
            if status["undelivered"] == 0:
                break
            await asyncio.sleep(0.2)
        status = await outbox.status()
        took = time.monotonic() - started
    finally:
        await client.aclose()
        worker.kill(signal.SIGTERM)
        smtp.kill(signal.SIGTERM)
        redis_proc.kill(signal.SIGTERM)

    emails: dict[str, list[str]] = {}  # reference -> Message-IDs of every copy received
    for path in (tmp / "mailbox").glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        emails.setdefault(str(msg["X-Wargabot-Reference"]), []).append(str(msg["Message-ID"]))
    maildir = Counter(p.name.split(".")[0] for p in (tmp / "inbox" / "new").glob("*"))
    cases = await _cases(env["DATABASE_URL"])
    delivered = sum(1 for r in refs if r in emails and maildir[r] >= 1 and cases[r] >= 1)
    lost = len(refs) - delivered
    # Filed twice: two Maildir messages, or two emails that do not share their Message-ID.
    duplicated = sum(
        1 for r in refs if maildir[r] > 1 or cases[r] > 1 or len(set(emails.get(r, []))) > 1
    )
    resends = sum(len(ids) - 1 for ids in emails.values())
    print(
        f"dossiers {len(refs)}, worker kills {kills}, mail server bounces {bounces}, "
        f"seed {seed}, {took:.1f} s"
    )
    print(f"outbox: {status}")
    print(
        f"emails received {sum(len(i) for i in emails.values())}; of them {resends} resent with "
        "the same Message-ID (a worker killed between the server's 250 and its own record of "
        "it: SMTP cannot tell the sender, RFC 1047)"
    )
    print(f"cases stored {sum(cases.values())} (Maildir, email and the case store each count)")
    print(f"delivered {delivered} / lost {lost} / duplicated {duplicated}")
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if (delivered, lost, duplicated) == (len(refs), 0, 0) else 1


async def _cases(url: str) -> Counter[str]:
    """Cases per reference in the case store (the database refuses a second one anyway)."""
    from sqlalchemy import select

    from bot.desk.db import make_engine
    from bot.desk.models import Case

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return Counter((await conn.scalars(select(Case.reference))).all())
    finally:
        await engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dossiers", type=int, default=200)
    p.add_argument("--kills", type=int, default=10, help="times the worker gets SIGKILL")
    p.add_argument("--bounces", type=int, default=3, help="times the mail server goes down")
    p.add_argument("--seed", type=int, default=None, help="for a repeatable run")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument(
        "--crash-mail-server",
        action="store_true",
        help="bounce the mail server with SIGKILL instead of a restart: a server killed after "
        "storing a message but before answering 250 gets it again (same Message-ID); SMTP "
        "cannot tell the sender (RFC 1047)",
    )
    a = p.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1_000_000)
    result = run(a.dossiers, a.kills, a.bounces, seed, a.keep, a.crash_mail_server)
    sys.exit(asyncio.run(result))


if __name__ == "__main__":
    main()
