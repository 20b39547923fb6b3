"""A mail server as its own process, for the fault test: `python -m tests.kit.smtp_process PORT DIR`
stores each accepted message as a file in DIR (fsync) before answering 250, like a real MTA.
SIGTERM restarts it the way an administrator would: no new connections, a second for the
transactions under way to end, then exit."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        path = self.folder / f"{uuid.uuid4().hex}.eml"
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            fh.write(bytes(envelope.original_content or envelope.content))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return "250 Message accepted for delivery"


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Store(folder), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    # a restart as an administrator does it: stop accepting, let transactions under way end
    assert controller.server is not None
    controller.loop.call_soon_threadsafe(controller.server.close)
    time.sleep(1.0)
    controller.stop()


if __name__ == "__main__":
    main()
