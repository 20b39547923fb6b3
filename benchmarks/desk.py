"""`wargabot bench desk`: the desk's case list and a search by NIK with 100,000 synthetic cases,
p50/p95/p99 per request through the real app (sign-in, office check, audit row, page render),
on SQLite and on a throwaway PostgreSQL server. Synthetic people only."""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text

from bot.authoring.loader import DEFAULT_LOCALES
from bot.desk import accounts, i18n, migrate, passwords
from bot.desk.db import make_engine, make_sessions
from bot.desk.models import Case
from bot.desk.web.app import create_desk_app
from bot.desk.web.context import Desk
from bot.engine.flowset import FlowSet
from bot.media.store import MediaStore

OFFICE, FLOW = "dinsos_makassar", "makassar-kis-pbi"
TARGETS = {"list": 150.0, "nik": 50.0}  # p95 in ms, issue 12
STATUSES = [("done", 55), ("rejected", 10), ("registered", 10), ("in_review", 10),
            ("needs_documents", 5), ("received", 10)]  # fmt: skip
NAMES = [
    "Andi", "Siti", "Nur", "Muhammad", "Rahmat", "Hasna", "Baso", "Ince", "Daeng", "Wati",
    "Syamsul", "Aminah", "Fitri",
]  # fmt: skip


def _answer(name: str) -> dict[str, str]:
    return {"step": "nama", "kind": "text", "label": "Nama lengkap", "value": name, "display": name}


def _rows(
    n: int, now: datetime, clerk: int, seed: int = 12
) -> tuple[list[dict[str, Any]], list[str]]:
    rnd = random.Random(seed)
    weights = [w for _, w in STATUSES]
    out, niks = [], []
    for i in range(n):
        submitted = now - timedelta(minutes=rnd.randrange(2 * 365 * 24 * 60))
        status = rnd.choices(STATUSES, weights)[0][0]
        final = status in ("done", "rejected")
        nik = f"7371{rnd.randrange(10**11, 10**12):012d}"
        name = f"{rnd.choice(NAMES)} {rnd.choice(NAMES)} {i}"
        niks.append(nik)
        out.append(
            {
                "reference": f"MKS-{i:09d}",  # unique; real ones carry a check character
                "office_id": OFFICE,
                "flow_id": FLOW,
                "flow_version": 1,
                "service": "Pendaftaran/Peralihan KIS PBI (APBD)",
                "channel": rnd.choice(("whatsapp", "telegram")),
                "chat_id": str(600000 + i),
                "language": "id",
                "started_at": submitted - timedelta(minutes=10),
                "submitted_at": submitted,
                "received_at": submitted,
                "updated_at": submitted,
                "status": status,
                "status_changed_at": submitted,
                "closed_at": submitted + timedelta(days=3) if final else None,
                "assigned_to": clerk if rnd.random() < 0.2 else None,
                "answers": [_answer(name)],
                "name": name,
                "name_norm": name.lower(),
                "nik": nik,
                "kk": f"7371{rnd.randrange(10**11, 10**12):012d}",
                "phone": f"+628{rnd.randrange(10**9, 10**10)}",
            }
        )
    return out, niks


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(url: str, flows: FlowSet, n: int, requests: int) -> dict[str, list[float]]:
    engine = make_engine(url)
    sessions = make_sessions(engine)
    now = datetime.now(UTC)
    try:
        await migrate.upgrade(engine)
        async with sessions() as db:
            user, _ = await accounts.create_user(db, "bench", OFFICE, "staff", {OFFICE})
            user.password_hash = passwords.hash_password("bench-password-123")
            user.must_change_password = False
            await db.commit()
            clerk = user.id
        rows, niks = _rows(n, now, clerk)
        started = time.perf_counter()
        async with engine.begin() as conn:
            for i in range(0, len(rows), 5000):
                await conn.execute(insert(Case), rows[i : i + 5000])
        if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk load
            async with engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.execute(text("VACUUM ANALYZE"))
        print(f"  {n:,} cases written in {time.perf_counter() - started:.1f} s")
        desk = Desk(sessions, flows, MediaStore(Path(tempfile.gettempdir())),
                    i18n.load(DEFAULT_LOCALES))  # fmt: skip
        app = create_desk_app(desk)
        transport = httpx.ASGITransport(app=app)
        base = "http://desk.bench"
        async with httpx.AsyncClient(transport=transport, base_url=base,
                                     headers={"Origin": base}) as client:  # fmt: skip
            page = await client.get("/login")
            token = page.text.split('name="csrf" value="')[1].split('"')[0]
            res = await client.post("/login", data={"csrf": token, "username": "bench",
                                                    "password": "bench-password-123"})  # fmt: skip
            assert res.status_code == 303, res.text
            rnd = random.Random(7)
            plans: dict[str, Callable[[], str]] = {
                "list": lambda: "/cases",
                "list, open cases oldest first": lambda: "/cases?status=in_review&sort=old",
                "list, page 20": lambda: "/cases?page=20",
                "nik": lambda: f"/cases?q={rnd.choice(niks)}",
                "name": lambda: f"/cases?q={rnd.choice(NAMES).lower()}",
            }
            times: dict[str, list[float]] = {}
            for label, url_of in plans.items():
                for _ in range(10):  # warm-up
                    await client.get(url_of())
                samples = []
                for _ in range(requests):
                    target = url_of()
                    t0 = time.perf_counter()
                    res = await client.get(target)
                    samples.append((time.perf_counter() - t0) * 1000)
                    assert res.status_code == 200, (target, res.status_code)
                times[label] = samples
            return times
    finally:
        await engine.dispose()


def report(db: str, times: dict[str, list[float]]) -> bool:
    ok = True
    print(f"  {'request':32} {'p50':>8} {'p95':>8} {'p99':>8}   target (p95)")
    for label, samples in times.items():
        p95 = _pct(samples, 0.95)
        target = TARGETS.get(label)
        verdict = ""
        if target is not None:
            verdict = f"< {target:.0f} ms " + ("ok" if p95 < target else "MISSED")
            ok = ok and p95 < target
        print(
            f"  {label:32} {statistics.median(samples):6.1f}ms {p95:6.1f}ms "
            f"{_pct(samples, 0.99):6.1f}ms   {verdict}"
        )
    return ok


def run(flows: FlowSet, n: int, requests: int, dbs: Sequence[str]) -> int:
    from benchmarks.postgres import PostgresMissing, UnknownDatabase, bench_database

    ok = True
    for db in dbs:
        db = db.strip()
        try:
            with bench_database(db) as url:
                print(f"{db}: {n:,} cases, {requests} requests per measure")
                ok = report(db, asyncio.run(measure(url, flows, n, requests))) and ok
        except (PostgresMissing, UnknownDatabase) as exc:
            print(f"wargabot: {exc}")
            return 2
    return 0 if ok else 1
