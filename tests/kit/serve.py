"""`wargabot serve` as a real process for tests: started on a free port and stopped with SIGTERM,
and an update posted to its Telegram webhook."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.kit.webapp import SECRET


@contextmanager
def serve(
    env: dict[str, str], port: int, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`wargabot serve` until the block ends, then SIGTERM. Its log goes to a file (`log`, or a
    temporary one), not a pipe: a pipe nobody reads fills up and blocks the server mid-write."""
    full = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"}
    with open(log, "w+b") if log else tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=full, stderr=out)

        def said() -> str:
            out.seek(0)
            return out.read().decode(errors="replace")[-4000:]

        try:
            deadline = time.monotonic() + 60  # a busy machine
            while time.monotonic() < deadline:
                try:
                    res = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
                    if res.status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            else:
                proc.kill()
                raise AssertionError(said() or "no start")
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError(f"serve did not stop on SIGTERM:\n{said()}") from None


class Server:
    """`wargabot serve` as a process a test can SIGKILL and start again on the same port; its
    log (every start) goes to `log`."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"}
        self.port, self.log = port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"], env=self.env, stderr=out
            )
        deadline = time.monotonic() + 60  # a busy machine
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=0.5).is_success:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.kill()
        raise AssertionError(self.log.read_text(errors="replace")[-4000:] or "no start")

    def kill(self) -> None:
        """SIGKILL: nothing is finished, flushed or handed back."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


async def post_update(port: int, update: dict[str, Any]) -> int:
    async with httpx.AsyncClient() as client:
        res = await client.post(
            f"http://127.0.0.1:{port}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        return res.status_code
