"""A throwaway PostgreSQL server from Debian's binaries, for `bench desk` and the tests: its own
cluster in a temporary folder on a free port, `fsync` off, trust auth on 127.0.0.1 only. As root
(CI), initdb refuses to run, so the server runs as the `postgres` system user through runuser."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg


class PostgresMissing(RuntimeError):
    pass


class UnknownDatabase(ValueError):
    pass


def bindir() -> Path:
    """Debian keeps initdb and pg_ctl in /usr/lib/postgresql/VERSION/bin (newest first)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresMissing(
        "PostgreSQL is not installed: the desk's tests run against a real one. "
        "`.ci/run` installs it (apt-get install postgresql); locally do the same."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    user = "wargabot"

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable  # fsync on, as an office's server: for benchmarks of writes
        self.bin = bindir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="wargabot-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        argv = list(args)
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)

    def start(self) -> PostgresServer:
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        res = self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip
        if res.returncode != 0:
            raise RuntimeError(f"initdb failed: {res.stderr[-2000:]}")
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        res = self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip
        if res.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {res.stderr[-1000:]}\n{tail}")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str, template: str | None = None) -> str:
        conn = await asyncpg.connect(self.dsn())
        try:
            for _ in range(50):  # a template still held by a closing connection: wait
                try:
                    extra = f" TEMPLATE {template}" if template else ""
                    await conn.execute(f"CREATE DATABASE {name}{extra}")
                    break
                except asyncpg.ObjectInUseError:
                    time.sleep(0.1)
            else:
                raise RuntimeError(f"template {template} stayed in use")
        finally:
            await conn.close()
        return self.url(name)

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def bench_database(db: str, durable: bool = False) -> Iterator[str]:
    """The async URL of a new, empty database of kind `db` for one measure: "sqlite" (a file in a
    temporary folder) or "postgresql" (a throwaway server, stopped afterwards). Raises
    UnknownDatabase or PostgresMissing before the block runs."""
    if db not in ("sqlite", "postgresql"):
        raise UnknownDatabase(f"unknown database {db!r} (sqlite, postgresql)")
    with tempfile.TemporaryDirectory(prefix="wargabot-bench-") as tmp:
        if db == "sqlite":
            yield f"sqlite+aiosqlite:///{tmp}/bench.db"
            return
        server = PostgresServer(durable=durable).start()
        try:
            yield asyncio.run(server.create_database("bench"))
        finally:
            server.stop()
