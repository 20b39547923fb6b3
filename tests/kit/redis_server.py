"""A real redis-server for the tests: one per test session on a free port, flushed per test.
Registered by tests/conftest.py (`pytest_plugins`); `.ci/run` installs Debian's redis-server."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.kit.ports import free_port


class RedisServer:
    """One redis-server process; `restart()` keeps its port and dir (to prove persistence)."""

    def __init__(self, binary: str, port: int, dir: Path) -> None:
        self.binary = binary
        self.port = port
        self.dir = dir
        self.url = f"redis://127.0.0.1:{port}/0"
        self.log = dir / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, appendonly: bool = False) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += [
            "--save",
            "",
            "--appendonly",
            "yes" if appendonly else "no",
            "--dir",
            str(self.dir),
        ]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=1)
        deadline = time.monotonic() + 10
        try:
            while True:
                if self.proc.poll() is not None:
                    tail = self.log.read_text(errors="replace")[-2000:]
                    pytest.fail(f"redis-server exited with {self.proc.returncode}:\n{tail}")
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        self.stop()
                        pytest.fail(f"redis-server on port {self.port} did not answer PING in 10 s")
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM: redis-server flushes its append-only file (when on) and exits."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self, appendonly: bool = False) -> None:
        self.stop()
        self.start(appendonly=appendonly)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not on PATH: the session store tests need a real one. "
            ".ci/run installs it (apt-get install redis-server); locally do the same."
        )
    server = RedisServer(binary, free_port(), tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The live server's URL, emptied (FLUSHALL) before the test."""
    with redis.Redis.from_url(redis_server.url) as client:
        client.flushall()
    return redis_server.url
