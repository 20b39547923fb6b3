"""`wargabot bench load`: starts redis-server, a fake Bot API sink and `wargabot serve`, then sends
Telegram-shaped updates and reports throughput, latency, Redis bytes per session and server RSS."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123456:" + "B" * 35
SECRET = "load-test-secret-0123456789"
SCRIPT = ["halo", "ya", "2", "mulai", "1", "Siti Aminah", "7371014506900001", "7371010203150007"]
SCRIPT += ["foto nanti", "bantuan", "kembali", "Siti Aminah"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sink_main(port: int) -> None:
    """Run the sink in its own process, so it does not compete with the load generator."""

    async def forever() -> None:
        await _sink(port)
        await asyncio.Event().wait()

    asyncio.run(forever())


async def _sink(port: int) -> web.AppRunner:
    """A Bot API that answers every call at once: the benchmark measures wargabot, not Telegram."""
    counter = {"sent": 0}

    async def api(request: web.Request) -> web.Response:
        counter["sent"] += 1
        result = {"message_id": counter["sent"], "date": 0, "chat": {"id": 1, "type": "private"}}
        return web.json_response({"ok": True, "result": result})

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", api)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def _update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Warga"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Warga"},
            "from": user,
            "text": text,
        },
    }


@dataclass
class Result:
    sent: int
    seconds: float
    latencies: list[float]
    errors: int

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


class Load:
    def __init__(self, url: str, chats: int) -> None:
        self.url, self.chats = url, chats
        self.next_id = 1
        self.position = [0] * chats

    def take(self) -> dict[str, Any]:
        n = self.next_id
        self.next_id += 1
        chat = n % self.chats
        text = SCRIPT[self.position[chat] % len(SCRIPT)]
        self.position[chat] += 1
        return _update(n, 900_000_000 + chat, text)

    async def _post(self, session: aiohttp.ClientSession, result: Result) -> None:
        started = time.perf_counter()
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        try:
            async with session.post(self.url, json=self.take(), headers=headers) as res:
                await res.read()
                if res.status != 200:
                    result.errors += 1
        except aiohttp.ClientError:
            result.errors += 1
        result.latencies.append(time.perf_counter() - started)
        result.sent += 1

    async def closed(self, seconds: float, concurrency: int) -> Result:
        """As fast as the server answers, `concurrency` requests in flight."""
        result = Result(0, 0.0, [], 0)
        deadline = time.perf_counter() + seconds
        conn = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=conn) as session:

            async def worker() -> None:
                while time.perf_counter() < deadline:
                    await self._post(session, result)

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            result.seconds = time.perf_counter() - start
        return result

    async def open(self, seconds: float, rate: float) -> Result:
        """`rate` requests per second whatever the server does: latency under a fixed load."""
        result = Result(0, 0.0, [], 0)
        conn = aiohttp.TCPConnector(limit=512)
        async with aiohttp.ClientSession(connector=conn) as session:
            tasks = set()
            start = time.perf_counter()
            total = int(seconds * rate)
            for i in range(total):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                task = asyncio.create_task(self._post(session, result))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
            result.seconds = time.perf_counter() - start
        return result


def _tree(pid: int) -> list[int]:
    """The server and its worker processes."""
    pids = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            pids.append(int(stat.parent.name))
    return pids


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its workers."""
    total = 0.0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _rss_mb(pid: int) -> float:
    total = 0.0
    for p in _tree(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


async def _redis_per_chat(url: str) -> tuple[int, float]:
    """Chats with a session, and the mean bytes of all of a chat's keys (MEMORY USAGE)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match="wb:{telegram:*", count=1000)]
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.memory_usage(key)
        sizes = await pipe.execute()
        per_chat: dict[bytes, int] = {}
        sessions = 0
        for key, size in zip(keys, sizes, strict=True):
            tag = key.split(b"}", 1)[0]
            per_chat[tag] = per_chat.get(tag, 0) + (size or 0)
            sessions += key.endswith(b":session")
        return sessions, (sum(per_chat.values()) / len(per_chat) if per_chat else 0.0)
    finally:
        await client.aclose()


@dataclass
class Processes:
    """The pids whose CPU time the benchmark reports."""

    server: int
    redis: int
    sink: int

    def cpu(self) -> dict[str, float]:
        return {
            "server": _cpu_seconds(self.server),
            "redis-server": _cpu_seconds(self.redis),
            "fake Bot API": _cpu_seconds(self.sink),
            "load generator": time.process_time(),
        }


def run(seconds: float, rate: float, concurrency: int, chats: int, workers: int) -> None:
    redis_bin = shutil.which("redis-server")
    if redis_bin is None:
        raise SystemExit("bench load needs redis-server (apt-get install redis-server)")
    with tempfile.TemporaryDirectory() as tmp:
        rport, sport, wport = _free_port(), _free_port(), _free_port()
        redis_proc = subprocess.Popen(
            [redis_bin, "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--dir", tmp],
            stdout=subprocess.DEVNULL,
        )
        env = {
            **os.environ,
            "REDIS_URL": f"redis://127.0.0.1:{rport}/0",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{sport}",
            "TELEGRAM_RATE_PER_SECOND": "1000000",  # the fake answers at once; Telegram's is 30
            "TELEGRAM_CHAT_INTERVAL": "0",
            "MEDIA_DIR": f"{tmp}/media",
            "INBOX_MAILDIR": f"{tmp}/inbox",
            "HOST": "127.0.0.1",
            "PORT": str(wport),
            "LOG_LEVEL": "warning",
            "WEB_WORKERS": str(workers),
        }
        server = None
        sink = subprocess.Popen(
            [sys.executable, "-c", f"from bot.loadgen import sink_main; sink_main({sport})"]
        )
        try:
            server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env)
            procs = Processes(server.pid, redis_proc.pid, sink.pid)
            url = f"redis://127.0.0.1:{rport}/0"
            asyncio.run(_bench(wport, url, procs, seconds, rate, concurrency, chats, workers))
        finally:
            for proc in (server, sink, redis_proc):
                if proc is not None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=15)


async def _wait_healthy(port: int) -> None:
    async with aiohttp.ClientSession() as s:
        for _ in range(300):
            try:
                async with s.get(f"http://127.0.0.1:{port}/healthz") as res:
                    if res.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("bench load: `wargabot serve` did not start")


async def _bench(
    wport: int,
    redis_url: str,
    procs: Processes,
    seconds: float,
    rate: float,
    conc: int,
    chats: int,
    workers: int,
) -> None:
    await _wait_healthy(wport)
    load = Load(f"http://127.0.0.1:{wport}/telegram/webhook", chats)
    await load.closed(2.0, conc)  # warm-up: every chat gets a session
    before = procs.cpu()
    top = await load.closed(seconds, conc)
    after = procs.cpu()
    fixed = await load.open(seconds, rate)
    sessions, per_chat = await _redis_per_chat(redis_url)
    print(f"load: {chats} chats, Telegram-shaped text updates, {workers} server worker(s)")
    print(
        f"  sustained ({conc} in flight): {top.sent / top.seconds:,.0f} updates/s, "
        f"p50 {top.pct(0.5):.1f} ms, p99 {top.pct(0.99):.1f} ms, errors {top.errors}"
    )
    print(
        f"  offered {rate:,.0f}/s for {seconds:g} s: "
        f"{fixed.sent / fixed.seconds:,.0f} updates/s, "
        f"p50 {fixed.pct(0.5):.1f} ms, p99 {fixed.pct(0.99):.1f} ms, errors {fixed.errors}"
    )
    per_update = {k: (after[k] - before[k]) / max(top.sent, 1) * 1000 for k in before}
    parts = ", ".join(f"{k} {v:.2f}" for k, v in per_update.items())
    print(f"  CPU ms per update (sustained phase): {parts}; total {sum(per_update.values()):.2f}")
    print(f"  Redis: {sessions} sessions, {per_chat:,.0f} bytes per chat (all its keys)")
    print(f"  server resident memory: {_rss_mb(procs.server):,.0f} MB (all workers)")
