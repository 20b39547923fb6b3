"""A short run of the notices fault test (`make fault-test` runs the full size): staff decisions
reach citizens on both channels exactly once (or twice only when in flight at a web kill) while
the web process and the worker are SIGKILLed, and every notice ends `sent` at the desk."""

from __future__ import annotations

import re
import subprocess
import sys


def test_every_notice_arrives_once_while_processes_die() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tests.loop.fault_notices", "--cases", "8", "--web-kills", "3",
         "--worker-kills", "3"],
        capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "notices 16: arrived 16 / lost 0" in run.stdout
    twice = re.search(r"sent twice: (\d+), each in flight at a web kill: (\d+)", run.stdout)
    assert twice is not None and twice[1] == twice[2], run.stdout
    assert "free text refused outside the window: 0" in run.stdout
    assert 'at the desk: {"sent": 16}' in run.stdout
