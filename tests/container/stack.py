"""The compose stack for the container test: the unchanged compose.yaml run by podman-compose in
a folder of its own (with a .env of test settings), the services it must hold and what each
must show, and the guard that keeps the test away from a real installation's volumes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from tests.container.podman import ROOT, inspect, podman, quiet, run, say, wait_healthy

PROJECT = "wargabot"  # compose.yaml's `name:`; podman-compose 1.0 ignored it
WORKDIR_PREFIX = "wargabot-container-test-"
# Written while a test stack is up (under podman.exclusive()): found at the start of a run, it
# says that what is there was left by an interrupted run.
MARKER = Path("/var/tmp/wargabot-container-test.up")
COMPOSE = Path(sys.executable).with_name("podman-compose")  # in the venv, from PyPI


@dataclass(frozen=True)
class Service:
    """One compose service and what the test checks of it."""

    name: str
    # which health check must pass: compose.yaml's `healthcheck`, the image's HEALTHCHECK, or
    # none (the service must then say it has none, like the worker)
    health: Literal["compose", "image", "none"]
    # every process in the container runs as this user, under an init, without capabilities
    # (None: an image that is not ours, like redis)
    user: str | None = None
    # (path, start of the body) answered 200 on the port the service publishes on 127.0.0.1
    http: tuple[tuple[str, str], ...] = ()
    # a one-off job (the migration) that must have exited with status 0, not keep running
    once: bool = False


SERVICES = (
    Service("redis", health="compose"),
    Service("postgres", health="compose"),
    Service("migrate", health="none", user="wargabot", once=True),
    Service(
        "web",
        health="image",
        user="wargabot",
        http=(("/healthz", "ok"), ("/readyz", "ready"), ("/metrics", "# HELP")),
    ),
    Service("worker", health="none", user="wargabot"),
    Service("desk", health="compose", user="wargabot", http=(("/healthz", "ok"),)),
)
LONG_RUNNING = [s for s in SERVICES if not s.once]
# `podman-compose up` in steps, as docs/operations.md says for podman before 4.6
UP_IN_ORDER = (
    ("up", "-d", "redis", "postgres"),
    ("up", "-d", "--no-deps", "migrate"),
    ("up", "-d", "--no-deps", "web", "worker", "desk"),
)


def compose_file() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


class Stack:
    """compose.yaml, copied unchanged into a temporary folder beside a .env of test settings
    (never the repository's own .env), and run with podman-compose."""

    def __init__(self, env: dict[str, str]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
        shutil.copy(ROOT / "compose.yaml", self.dir / "compose.yaml")
        (self.dir / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        (self.dir / ".env").chmod(0o600)
        self.env = dict(env)
        self.claimed = False

    def compose(self, *args: str, check: bool = True, timeout: float = 120) -> str:
        """`podman-compose ARGS` in the stack's folder, as docs/operations.md shows them; what
        it says (stdout and stderr)."""
        res = self._compose(args, check, timeout)
        return quiet(res.stdout + res.stderr)

    def _compose(
        self, args: tuple[str, ...], check: bool, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        command = [str(COMPOSE), "--file", str(self.dir / "compose.yaml"), *args]
        return run(command, check=check, timeout=timeout)

    def setting(self, name: str, value: str) -> None:
        """Adds a setting to the stack's .env (the containers created after see it)."""
        self.env[name] = value
        with (self.dir / ".env").open("a") as env:
            env.write(f"{name}={value}\n")

    @staticmethod
    def container(service: str) -> str:
        return f"{PROJECT}_{service}_1"  # podman-compose's names (Docker's: wargabot-web-1)

    def claim(self) -> None:
        """Before any compose command: the project name is free (or held by what an
        interrupted test left), and from now on the stack is this test's to take down."""
        refuse_a_real_installation()
        MARKER.write_text(str(self.dir))
        self.claimed = True

    def up(self) -> None:
        """The stack up in the order its depends_on asks, as docs/operations.md says for podman
        before 4.6: podman-compose then ignores `condition:` (it warns), and podman 4.3 cannot
        start a container whose dependency has dependencies of its own (the migration's)."""
        assert self.claimed, "claim() first"
        self.compose(*UP_IN_ORDER[0])
        for service in ("redis", "postgres"):
            self.wait_healthy(service)
        self.compose(*UP_IN_ORDER[1])
        state = wait_until_exited(self.container("migrate"))
        assert state["ExitCode"] == 0, podman("logs", self.container("migrate")).stderr[-3000:]
        self.compose(*UP_IN_ORDER[2])

    def down(self) -> list[str]:
        """`down --volumes`, only ever for a stack this test claimed; what it left behind (a
        container in a restart loop, say) is removed by force and returned."""
        left: list[str] = []
        if self.claimed:
            self.compose("down", "--volumes", check=False, timeout=180)
            left = leftovers()
            remove(left)
            MARKER.unlink(missing_ok=True)
            self.claimed = False
        shutil.rmtree(self.dir, ignore_errors=True)
        return left

    def wait_healthy(self, service: str, timeout: float = 60) -> str:
        return wait_healthy(self.container(service), timeout)


def wait_until_exited(container: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state: dict[str, Any] = (inspect("container", container) or {}).get("State") or {}
        if state.get("Status") == "exited":
            return state
        assert time.monotonic() < deadline, f"{container} still {state.get('Status')}"
        time.sleep(0.5)


def leftovers() -> list[str]:
    """Containers, volumes and networks of a compose project named wargabot on this machine."""
    found = []
    for kind in ("container", "volume", "network"):
        listing = podman(
            kind,
            "ls",
            *(["--all"] if kind == "container" else []),
            f"--filter=label=io.podman.compose.project={PROJECT}",
            "--format={{.Name}}" if kind != "container" else "--format={{.Names}}",
        ).stdout
        found += [f"{kind} {name}" for name in listing.split()]
    if podman("pod", "exists", f"pod_{PROJECT}", check=False).returncode == 0:
        found.append(f"pod pod_{PROJECT}")  # podman-compose puts the containers in a pod
    return found


def refuse_a_real_installation() -> None:
    """`down --volumes` deletes the dossiers in the volumes: the test only ever takes down a
    stack it started itself (its marker file says so), never an office's."""
    found = leftovers()
    if not found:
        return
    if not MARKER.exists():
        raise AssertionError(
            f"a compose project named {PROJECT} exists on this machine ({', '.join(found)}): "
            "the container test would delete its volumes; run the test on another machine"
        )
    say(f"removing what an interrupted run left: {', '.join(found)}")
    leftover = Path(MARKER.read_text().strip())
    if (leftover / "compose.yaml").exists():
        run([str(COMPOSE), "--file", str(leftover / "compose.yaml"), "down", "--volumes"])
        shutil.rmtree(leftover, ignore_errors=True)
    remove(leftovers())
    MARKER.unlink()


def remove(items: list[str]) -> None:
    """Removes by force what leftovers() listed: containers (with those that depend on them),
    then pods, networks and volumes."""
    order = {"container": 0, "pod": 1, "network": 2, "volume": 3}
    for item in sorted(items, key=lambda item: order[item.split()[0]]):
        kind, name = item.split()
        extra = ["--depend", "--volumes"] if kind == "container" else []
        podman(kind, "rm", "--force", *extra, name, check=False)  # gone with another: fine
    assert not leftovers(), leftovers()


def published_port(container: str) -> int | None:
    """The host port a container publishes on 127.0.0.1 (None when it publishes none); every
    published port must be on 127.0.0.1."""
    found = inspect("container", container)
    assert found is not None, container
    bindings = [
        b for ports in (found["NetworkSettings"]["Ports"] or {}).values() for b in ports or []
    ]
    assert all(b["HostIp"] == "127.0.0.1" for b in bindings), f"{container} publishes {bindings}"
    return int(bindings[0]["HostPort"]) if bindings else None
