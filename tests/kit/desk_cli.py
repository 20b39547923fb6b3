"""A desk account made as the office's IT person makes one: `wargabot desk add-user` in its own
process; returns the one-time password it prints (the end-to-end tests sign in with it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def add_desk_user(env: dict[str, str], name: str, office: str, role: str = "staff") -> str:
    res = subprocess.run(
        [sys.executable, "-m", "bot", "desk", "add-user", name, "--office", office, "--role", role],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    found = re.search(r"One-time password: (\S+)", res.stdout)
    assert found, res.stdout
    return found.group(1)
