"""`wargabot bench load`: starts redis-server, a fake Bot API sink and `wargabot serve`, then sends
Telegram-shaped updates and reports throughput, latency, Redis bytes per session and server RSS.

Two figures per phase: the webhook's (its 200 comes once the update is written down) and the
citizen's (an update counts as answered when its reply reaches the fake Bot API, which records
when each chat's replies arrive: every scripted update gets exactly one reply)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

import uvloop

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
        loop = asyncio.get_running_loop()
        await loop.create_server(_SinkProtocol, "127.0.0.1", port)
        await asyncio.Event().wait()

    uvloop.run(forever())


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked bodies are not expected here")
    return 0


class _SinkProtocol(asyncio.Protocol):
    """A Bot API that answers every call at once, over raw HTTP/1.1 keep-alive: the benchmark
    measures wargabot, not Telegram, and the harness takes as little of the 2 cores as it can.
    `GET /arrivals` answers when each chat's messages arrived (epoch seconds)."""

    sent = 0
    arrivals: ClassVar[dict[str, list[float]]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport, self.buffer = cast(asyncio.Transport, transport), b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            try:
                size = end + 4 + _content_length(self.buffer[:end])
            except ValueError:
                self.transport.close()
                return
            if len(self.buffer) < size:
                return
            request, self.buffer = self.buffer[:size], self.buffer[size:]
            if request.startswith(b"GET /arrivals"):
                self._answer(json.dumps(_SinkProtocol.arrivals).encode())
                continue
            if request.startswith(b"GET /count"):
                self._answer(b"%d" % _SinkProtocol.sent)
                continue
            _SinkProtocol.sent += 1
            chat = _CHAT_ID.search(request, end + 4)
            if chat is not None:
                _SinkProtocol.arrivals.setdefault(chat[1].decode(), []).append(time.time())
            body = b'{"ok":true,"result":{"message_id":%d,"date":0,' % _SinkProtocol.sent
            body += b'"chat":{"id":1,"type":"private"}}}'
            self._answer(body)

    def _answer(self, body: bytes) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        self.transport.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)


_CHAT_ID = re.compile(rb'"chat_id": ?"?(-?\d+)')


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
    kinds: Counter[str] = field(default_factory=Counter)
    started: float = 0.0  # epoch seconds
    updates: list[tuple[str, int, float]] = field(default_factory=list)  # chat, place, due
    answers: list[float] = field(default_factory=list)  # seconds from due to reply
    last_answer: float = 0.0
    unanswered: int = 0

    def answered(self) -> str:
        """Updates answered per second (until the last reply), p50/p99 from due to reply."""
        if not self.answers:
            return "no replies seen"
        rate = len(self.answers) / max(self.last_answer - self.started, 1e-9)
        ordered = sorted(self.answers)
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000
        tail = f", {self.unanswered} unanswered" if self.unanswered else ""
        return f"answered {rate:,.0f}/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms{tail}"

    def fail(self, kind: str) -> None:
        self.errors += 1
        self.kinds[kind] += 1

    def said(self) -> str:
        """`errors N` and, when there were any, of which kinds."""
        kinds = ", ".join(f"{k} {n}" for k, n in self.kinds.most_common())
        return f"errors {self.errors}" + (f" ({kinds})" if kinds else "")

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


class _Connection:
    """One keep-alive HTTP/1.1 connection: a request, then its whole answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.used = time.monotonic()

    async def exchange(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = _content_length(head)
        if length:
            await self.reader.readexactly(length)
        self.used = time.monotonic()
        return int(head[9:12])

    def close(self) -> None:
        self.writer.close()


class Pool:
    """Up to `limit` requests in flight, each on a connection of its own, reused when free.
    A connection idle for KEEP_IDLE seconds is not reused: uvicorn closes idle keep-alive
    connections after 5 s, and a request written into one that is closing is lost."""

    KEEP_IDLE = 3.0

    def __init__(self, port: int, limit: int) -> None:
        self.port = port
        self.slots = asyncio.Semaphore(limit)
        self.idle: list[_Connection] = []

    async def post(self, request: bytes) -> int:
        async with self.slots:
            conn = self.idle.pop() if self.idle else None  # the most recently used
            if conn is not None and time.monotonic() - conn.used > self.KEEP_IDLE:
                self.close()  # it and every one below it are stale
                conn.close()
                conn = None
            if conn is None:
                conn = _Connection(*await asyncio.open_connection("127.0.0.1", self.port))
            try:
                status = await conn.exchange(request)
            except BaseException:
                conn.close()
                raise
            self.idle.append(conn)
            return status

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


class Load:
    def __init__(self, port: int, chats: int, sink: int = 0) -> None:
        self.port, self.chats, self.sink = port, chats, sink
        self.next_id = 1
        self.position = [0] * chats
        self.written = 0  # updates the server took (200)

    def take(self) -> tuple[str, int, bytes]:
        """The next update: its chat, its place in the chat's conversation, and the whole HTTP
        request to the Telegram webhook."""
        n = self.next_id
        self.next_id += 1
        chat = n % self.chats
        k = self.position[chat]
        text = SCRIPT[k % len(SCRIPT)]
        self.position[chat] += 1
        body = json.dumps(_update(n, 900_000_000 + chat, text)).encode()
        head = (
            "POST /telegram/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return str(900_000_000 + chat), k, head.encode() + body

    async def _post(self, pool: Pool, result: Result, since: float) -> None:
        """One update; its latency counts from `since`, when it was due to be sent."""
        due = time.time() - (time.perf_counter() - since)
        chat, k, request = self.take()
        try:
            status = await pool.post(request)
            if status != 200:
                result.fail(f"HTTP {status}")
            else:
                self.written += 1
                result.updates.append((chat, k, due))
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            result.fail(type(exc).__name__)
        result.latencies.append(time.perf_counter() - since)
        result.sent += 1

    async def closed(self, seconds: float, concurrency: int) -> Result:
        """As fast as the server answers, `concurrency` requests in flight."""
        result = Result(0, 0.0, [], 0)
        deadline = time.perf_counter() + seconds
        pool = Pool(self.port, concurrency)

        async def worker() -> None:
            while time.perf_counter() < deadline:
                await self._post(pool, result, time.perf_counter())

        start = time.perf_counter()
        result.started = time.time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - start
        pool.close()
        await self.answered(result)
        return result

    async def open(self, seconds: float, rate: float) -> Result:
        """`rate` requests per second whatever the server does: latency under a fixed load,
        counted from when each update was due, so a harness that falls behind shows it."""
        result = Result(0, 0.0, [], 0)
        pool = Pool(self.port, 512)
        tasks = set()
        start = time.perf_counter()
        result.started = time.time()
        for i in range(int(seconds * rate)):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self._post(pool, result, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - start
        pool.close()
        await self.answered(result)
        return result

    async def answered(self, result: Result, quiet: float = 10.0) -> None:
        """Wait until every update written so far has its reply at the fake Bot API (or none
        came for `quiet` seconds), then note when each of this phase's updates was answered."""
        if not self.sink:
            return
        last, since = -1, time.monotonic()
        while (count := int(await _get(self.sink, "/count"))) < self.written:
            if count != last:
                last, since = count, time.monotonic()
            elif time.monotonic() - since > quiet:
                break
            await asyncio.sleep(0.05)
        arrivals: dict[str, list[float]] = json.loads(await _get(self.sink, "/arrivals"))
        for chat, k, due in result.updates:
            times = arrivals.get(chat, [])
            if k < len(times):
                result.answers.append(times[k] - due)
                result.last_answer = max(result.last_answer, times[k])
            else:
                result.unanswered += 1


async def _get(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        return await reader.readexactly(_content_length(head))
    finally:
        writer.close()


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


def _rss_mb(pid: int) -> list[float]:
    """Resident memory of the server process, then of each of its children (the workers)."""
    sizes = []
    for p in _tree(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


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
            "CASESTORE_ENABLED": "false",  # no application is submitted here
            "HOST": "127.0.0.1",
            "PORT": str(wport),
            "LOG_LEVEL": "warning",
            "WEB_WORKERS": str(workers),
        }
        server = None
        sink = subprocess.Popen(
            [sys.executable, "-c", f"from benchmarks.load import sink_main; sink_main({sport})"]
        )
        try:
            server = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env)
            procs = Processes(server.pid, redis_proc.pid, sink.pid)
            url = f"redis://127.0.0.1:{rport}/0"
            uvloop.run(_bench(wport, sport, url, procs, seconds, rate, concurrency, chats, workers))
        finally:
            for proc in (server, sink, redis_proc):
                if proc is not None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=15)


async def _wait_healthy(port: int) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for _ in range(300):
        try:
            conn = _Connection(*await asyncio.open_connection("127.0.0.1", port))
            try:
                if await conn.exchange(request) == 200:
                    return
            finally:
                conn.close()
        except (OSError, asyncio.IncompleteReadError):
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("bench load: `wargabot serve` did not start")


async def _bench(
    wport: int,
    sink: int,
    redis_url: str,
    procs: Processes,
    seconds: float,
    rate: float,
    conc: int,
    chats: int,
    workers: int,
) -> None:
    await _wait_healthy(wport)
    load = Load(wport, chats, sink)
    await load.closed(2.0, conc)  # warm-up: every chat gets a session
    before = procs.cpu()
    top = await load.closed(seconds, conc)
    after = procs.cpu()
    fixed = await load.open(seconds, rate)
    sessions, per_chat = await _redis_per_chat(redis_url)
    print(f"load: {chats} chats, Telegram-shaped text updates, {workers} server worker(s)")
    print(
        f"  sustained ({conc} in flight): {top.sent / top.seconds:,.0f} updates/s, "
        f"p50 {top.pct(0.5):.1f} ms, p99 {top.pct(0.99):.1f} ms, {top.said()}"
    )
    print(f"    citizens: {top.answered()}")
    print(
        f"  offered {rate:,.0f}/s for {seconds:g} s: "
        f"{fixed.sent / fixed.seconds:,.0f} updates/s, "
        f"p50 {fixed.pct(0.5):.1f} ms, p99 {fixed.pct(0.99):.1f} ms, {fixed.said()}"
    )
    print(f"    citizens: {fixed.answered()}")
    per_update = {k: (after[k] - before[k]) / max(top.sent, 1) * 1000 for k in before}
    parts = ", ".join(f"{k} {v:.2f}" for k, v in per_update.items())
    print(f"  CPU ms per update (sustained phase): {parts}; total {sum(per_update.values()):.2f}")
    print(f"  Redis: {sessions} sessions, {per_chat:,.0f} bytes per chat (all its keys)")
    main, *children = _rss_mb(procs.server)
    each = " + ".join(f"{c:,.0f}" for c in children)
    tail = f", its children {each} MB)" if each else ")"
    parts = f" (the serving process {main:,.0f} MB{tail}"
    print(f"  server resident memory: {main + sum(children):,.0f} MB{parts}")
