"""`serve` with WEB_WORKERS=2: each process listens on the port itself (SO_REUSEPORT), so
keep-alive connections are spread over both; /metrics adds up every process; a process that dies
is replaced; SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from benchmarks.load import _tree
from tests.kit.fake_telegram import FakeTelegram, text_update
from tests.kit.ports import free_port
from tests.kit.serve import post_update, serve
from tests.kit.webapp import SECRET, env_for, telegram_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # gone, or a zombie not yet reaped (killed a moment ago)
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _established(pid: int) -> list[tuple[int, int]]:
    """(local port, remote port) of each established IPv4 TCP connection process `pid` holds.
    The kernel lists /proc/net/tcp in pieces: while other connections open and close, one may
    be listed twice (so each socket is counted once, by its inode) or missed (the caller reads
    again)."""
    mine = _socket_inodes(pid)
    found: dict[str, tuple[int, int]] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "01" and fields[9] in mine:
            local, remote = (int(f.split(":")[1], 16) for f in fields[1:3])
            found[fields[9]] = (local, remote)
    return list(found.values())


def _clients(port: int) -> set[int]:
    """The local ports of this test process's connections to `port`."""
    return {local for local, remote in _established(os.getpid()) if remote == port}


def _accepted(pid: int, port: int, clients: set[int]) -> int:
    """Of the connections from `clients` (local ports) to `port`, those process `pid` accepted."""
    return sum(1 for local, remote in _established(pid) if local == port and remote in clients)


def _web_processes(pid: int, port: int) -> list[int]:
    """The children that listen on the port (not multiprocessing's resource tracker)."""
    listening = []
    for kid in _tree(pid)[1:]:  # its children
        mine = _socket_inodes(kid)
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A" and fields[9] in mine:
                listening.append(kid)
                break
    return listening


def _messages_in(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    found = re.search(r'^wargabot_messages_in_total\{channel="telegram"\} (\S+)$', text, re.M)
    return float(found[1]) if found else 0.0


async def test_two_web_processes_share_connections_metrics_and_restarts(
    tmp_path: Path, redis_url: str
) -> None:
    async with FakeTelegram() as tg:
        env = telegram_env(tmp_path, redis_url, tg, WEB_WORKERS="2")
        port = free_port()
        with serve(env, port) as proc:
            deadline = time.monotonic() + 20
            while len(web := _web_processes(proc.pid, port)) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert len(web) == 2, web

            # 24 keep-alive connections held open at once: both processes get some
            limits = httpx.Limits(max_connections=24, max_keepalive_connections=24)
            async with httpx.AsyncClient(limits=limits) as client:
                headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                url = f"http://127.0.0.1:{port}/telegram/webhook"

                async def hello(n: int) -> int:
                    update = text_update(n, 8_800_000 + n, "halo")
                    return (await client.post(url, json=update, headers=headers)).status_code

                before = _clients(port)
                assert await asyncio.gather(*(hello(n) for n in range(1, 25))) == [200] * 24
                ours = _clients(port) - before  # this client's keep-alive connections
                assert len(ours) == 24, ours
                for _ in range(20):  # a listing that missed one is read again
                    spread = [_accepted(pid, port, ours) for pid in web]
                    if sum(spread) == 24:
                        break
                    await asyncio.sleep(0.05)
                assert sum(spread) == 24 and min(spread) >= 3, spread  # both, not 24 and 0
            for n in range(1, 25):
                await tg.wait_for_messages(8_800_000 + n, 1)

            # /metrics counts both processes' messages, whichever one answers
            assert {_messages_in(port) for _ in range(8)} == {24.0}

            # a process that dies is replaced, and what it counted is kept
            os.kill(web[0], signal.SIGKILL)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                now = _web_processes(proc.pid, port)
                if len(now) == 2 and web[0] not in now:
                    break
                await asyncio.sleep(0.2)
            assert len(now) == 2 and web[0] not in now, now
            assert await post_update(port, text_update(99, 8_800_099, "halo")) == 200
            await tg.wait_for_messages(8_800_099, 1)  # the new process answers too
            assert {_messages_in(port) for _ in range(8)} == {25.0}
            metrics_dir = _env_of(now[0]).get("PROMETHEUS_MULTIPROC_DIR", "")
            assert metrics_dir and Path(metrics_dir).is_dir()
        assert proc.returncode == 0  # SIGTERM: all stopped, cleanly
        assert not any(Path(f"/proc/{pid}").exists() for pid in now)
        assert not Path(metrics_dir).exists()


def _env_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_a_port_in_use_is_said_once_and_stops_start_up(tmp_path: Path, redis_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            **env_for(tmp_path, redis_url),
            "WEB_WORKERS": "2",
            "PORT": str(port),
            "HOST": "127.0.0.1",
        }
        res = subprocess.run(
            [sys.executable, "-m", "bot", "serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert res.returncode == 1
    assert res.stderr.count("cannot listen on 127.0.0.1") == 1, res.stderr
