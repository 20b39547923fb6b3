"""The package's shape, as ARCHITECTURE.md draws it: each layer of bot/ imports only from the layers
below it (import-linter's contract in pyproject.toml, so no import circle either), and modules stay
small enough to read in one sitting."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400
# Modules still over the limit, each to be split by the issue that reshapes it (none left since
# issue 16 split step.py and answers.py). Remove a name once its module is small.
STILL_LARGE: set[str] = set()


def test_each_layer_imports_only_from_the_layers_below() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "lint-imports is missing: make test installs the dev extras"
    run = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


def test_no_module_is_over_the_size_limit() -> None:
    large = {
        str(p.relative_to(ROOT)): n
        for p in sorted((ROOT / "bot").rglob("*.py"))
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    unexpected = {p: n for p, n in large.items() if p not in STILL_LARGE}
    assert not unexpected, f"split these modules (over {MAX_LINES} lines): {unexpected}"
    shrunk = STILL_LARGE - set(large)
    assert not shrunk, f"now small, remove from STILL_LARGE: {sorted(shrunk)}"
