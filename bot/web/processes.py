"""`serve` with WEB_WORKERS > 1: one uvicorn server per process, each with a listening socket of
its own on the same port (SO_REUSEPORT), so the kernel spreads connections evenly over them.

uvicorn's own supervisor shares one socket: long-lived keep-alive connections (Telegram's, a
reverse proxy's) then pile up on whichever process accepted first (30 of 32 in the load
benchmark), and one core works while the other idles. Metrics are summed over the processes
(prometheus_client's multiprocess mode, see bot/observe/metrics.py)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

from bot.observe.logs import LogFormat, log_config

log = logging.getLogger("wargabot.webworkers")

CRASH_LOOP = (5, 60.0)  # this many deaths within this many seconds: stop, something is wrong


def _listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, level: str, fmt: LogFormat, access_log: bool) -> None:
    """In the child: bind our own socket, then run one uvicorn server on it."""
    import uvicorn

    sock = _listener(host, port)
    config = uvicorn.Config(
        "bot.web.app:create_app",
        factory=True,
        log_level=level,
        log_config=log_config(level, fmt),
        access_log=access_log,
        proxy_headers=False,
        backlog=2048,
    )
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    def __init__(self, workers: int, host: str, port: int, level: str, fmt: LogFormat) -> None:
        self.workers, self.host, self.port = workers, host, port
        self.args = (host, port, level, fmt, level == "debug")
        self.context = multiprocessing.get_context("spawn")
        self.stopping = threading.Event()
        self.deaths: list[float] = []

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=_worker, args=self.args, name="wargabot-web")
        process.start()
        return process

    def _crash_loop(self) -> bool:
        """Count one death; True when there have been too many lately to go on restarting."""
        now = time.monotonic()
        self.deaths = [t for t in self.deaths if now - t < CRASH_LOOP[1]] + [now]
        if len(self.deaths) < CRASH_LOOP[0]:
            return False
        log.error("web processes keep dying (%d within a minute); stopping", len(self.deaths))
        return True

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping.set()

    def run(self) -> int:
        """Start the processes, restart one that dies, stop them all on SIGTERM or SIGINT.
        1 when the port is taken, or processes keep dying (CRASH_LOOP)."""
        try:  # the port is checked here, so a taken one is said once, not by every process
            _listener(self.host, self.port).close()
        except OSError as exc:
            log.error("cannot listen on %s:%s: %s", self.host, self.port, exc)
            return 1
        metrics_dir = tempfile.mkdtemp(prefix="wargabot-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir  # inherited by every process
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        processes = [self._start() for _ in range(self.workers)]
        log.info("serving on %s:%s with %d processes", self.host, self.port, self.workers)
        code = 0
        try:
            while code == 0 and not self.stopping.wait(0.5):
                for i, process in enumerate(processes):
                    if process.is_alive() or self.stopping.is_set():  # Ctrl-C reaches all
                        continue
                    if self._crash_loop():
                        code = 1
                        break
                    log.error("a web process died (exit code %s); restarting", process.exitcode)
                    processes[i] = self._start()
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()  # SIGTERM: uvicorn finishes the requests under way
            for process in processes:
                process.join(timeout=30)
                if process.is_alive():
                    process.kill()
            shutil.rmtree(metrics_dir, ignore_errors=True)
        return code


def serve(workers: int, host: str, port: int, level: str, fmt: LogFormat) -> int:
    return Supervisor(workers, host, port, level, fmt).run()
