"""A child process a fault test kills (SIGKILL) and starts again with the same command, its output
appended to one log file; `ready` is a line it prints once it serves."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


class Proc:
    """A child process that can be killed and started again with the same command."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, ready: str = "") -> None:
        self.args, self.env, self.log, self.ready = args, env, log, ready
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT
            )
        if self.ready:
            deadline = time.monotonic() + 15
            while self.ready not in self.log.read_text(errors="replace"):
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"{self.args} did not start:\n{self.log.read_text()}")
                time.sleep(0.05)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(15)
        self.proc = None
