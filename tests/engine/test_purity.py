"""The engine stays pure: every module under bot/engine imports only from an allow-list (no I/O,
network, database, clock or randomness), and never calls the clock or a random source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "bot" / "engine"

# Standard library and third-party modules the engine may import. Adding one here is a design
# decision: it must do no I/O and read no clock or random source.
ALLOWED = frozenset(
    {
        "__future__",
        "collections",
        "collections.abc",
        "dataclasses",
        "datetime",  # the types; calling the clock is refused below
        "enum",
        "functools",
        "hashlib",
        "hmac",
        "itertools",
        "json",
        "logging",  # only to quiet transitions' own logger
        "math",
        "re",
        "string",
        "typing",
        "unicodedata",
        "pydantic",
        "rapidfuzz",
        "rapidfuzz.distance",
        "rapidfuzz.fuzz",
        "rapidfuzz.process",
        "rapidfuzz.utils",
        "transitions",
        "transitions.extensions",
        "transitions.extensions.nesting",
        "transitions.extensions.diagrams",
        "transitions.extensions.markup",
    }
)
# Calls that read the clock or a random source, by their dotted name as written.
FORBIDDEN_CALLS = frozenset(
    {
        "datetime.now",
        "datetime.utcnow",
        "datetime.today",
        "date.today",
        "time.time",
        "time.monotonic",
        "os.urandom",
        "uuid.uuid4",
        "open",
    }
)


def _modules() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _bad_imports(tree: ast.Module) -> list[str]:
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        bad += [
            f"line {node.lineno}: import {name}"
            for name in names
            if not (name.startswith("bot.engine") or name in ALLOWED)
        ]
    return bad


def _clock_calls(tree: ast.Module) -> list[str]:
    return [
        f"line {node.lineno}: {name}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (name := _dotted(node.func)) is not None
        and name in FORBIDDEN_CALLS
    ]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_engine_module_imports_only_pure_modules(path: Path) -> None:
    bad = _bad_imports(ast.parse(path.read_text(), str(path)))
    assert not bad, f"{path.name} imports outside the engine's allow-list: {bad}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.name)
def test_engine_module_reads_no_clock_and_no_random_source(path: Path) -> None:
    calls = _clock_calls(ast.parse(path.read_text(), str(path)))
    assert not calls, f"{path.name} reads the clock or a random source: {calls}"


def test_the_checks_catch_an_impure_module() -> None:
    impure = ast.parse("import socket\nfrom datetime import datetime\nstamp = datetime.now()\n")
    assert _bad_imports(impure) == ["line 1: import socket"]
    assert _clock_calls(impure) == ["line 3: datetime.now()"]
