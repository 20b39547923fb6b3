"""A short run of the conversation fault test (`make fault-test` runs the full size): citizens on
both channels finish their applications while web processes are SIGKILLed, the worker too, and
Redis restarts; every reply arrives and every dossier is delivered exactly once."""

from __future__ import annotations

import re
import subprocess
import sys


def test_citizens_finish_while_processes_die_and_redis_restarts() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tests.runtime.fault_turns", "--citizens", "6", "--web-kills", "3",
         "--worker-kills", "1", "--redis-restarts", "1"],
        capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "citizens finished 6 / 6" in run.stdout
    assert "dossiers delivered 6 / lost 0 / duplicated 0" in run.stdout
    found = re.search(r"replies expected (\d+), received (\d+)", run.stdout)
    twice = re.search(
        r"replies sent twice: (\d+), each the one in flight at a web kill or Redis restart: (\d+)",
        run.stdout,
    )
    assert found is not None and twice is not None, run.stdout
    assert int(found[2]) == int(found[1]) + int(twice[1])  # every reply, repeats only in flight
    assert twice[1] == twice[2]
