"""Podman for the container test: its settings (containers.conf beside this file), the local
stand-ins for Docker Hub's base images, and the build of the wargabot image. It pulls nothing
from a registry and never reads or changes the machine's own podman configuration."""

from __future__ import annotations

import ast
import fcntl
import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ENV = {**os.environ, "CONTAINERS_CONF": str(HERE / "containers.conf")}
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
BOOKWORM = "localhost/wargabot-standin/bookworm:minbase"
# The names compose.yaml and the Dockerfile use, as podman resolves them.
STANDINS = {
    "docker.io/library/python:3.11-slim": "python.Containerfile",
    "docker.io/library/redis:7": "redis.Containerfile",
    "docker.io/library/postgres:16": "postgres.Containerfile",
}
LABEL = "org.wargabot.standin"  # on each stand-in: a digest of what it was built from
IMAGE = "wargabot:latest"  # compose.yaml's image
NOISE = ("unable to get systemd connection", "failed to connect to syslog")  # no systemd here


@contextmanager
def exclusive(path: Path = Path("/var/tmp/wargabot-container-test.lock")) -> Iterator[None]:
    """One container test at a time on this machine: they share the image's tag and the compose
    project's name. A second run waits for the first."""
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another container test is running on this machine; waiting for it ({path})")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def say(text: str) -> None:
    print(f"    {text}", flush=True)


def quiet(text: str) -> str:
    """podman's output without its complaints about the missing systemd (timers, syslog)."""
    return "\n".join(line for line in text.splitlines() if not any(n in line for n in NOISE))


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    input: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        list(argv), env=ENV, input=input, capture_output=True, text=True, timeout=timeout
    )
    if check and res.returncode != 0:
        said = quiet(res.stdout + res.stderr).splitlines()[-40:]
        raise AssertionError(f"`{shlex.join(argv)}` exited {res.returncode}:\n" + "\n".join(said))
    return res


def output(*args: str, stdin: bytes | None = None, timeout: float = 120) -> bytes:
    """What `podman ARGS` writes to stdout, as bytes (an archive, a file); `stdin` is fed to it."""
    res = subprocess.run(
        ["podman", *args], env=ENV, input=stdin, capture_output=True, timeout=timeout
    )
    assert res.returncode == 0, quiet(res.stderr.decode(errors="replace"))
    return res.stdout


def podman(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return run(["podman", *args], **kwargs)


def inspect(kind: str, name: str) -> dict[str, Any] | None:
    res = podman(kind, "inspect", name, check=False)
    if res.returncode != 0:
        return None
    found: list[dict[str, Any]] = json.loads(res.stdout)
    return found[0]


def wait_healthy(container: str, timeout: float = 60) -> str:
    """Runs the container's health check (`podman healthcheck run`: no systemd timer does it
    here) until it passes, and returns podman's answer; fails with the check's last output."""
    deadline = time.monotonic() + timeout
    while True:
        res = podman("healthcheck", "run", container, check=False)
        answer = quiet(res.stdout + res.stderr).strip()
        if res.returncode == 0:
            return answer or "healthy"
        if time.monotonic() > deadline:
            raise AssertionError(f"{container}: {answer} for {timeout:.0f} s: {_why(container)}")
        time.sleep(1)


def _why(container: str) -> str:
    """The last line the container's health check command writes when run by hand (podman's
    health log keeps only the start of it)."""
    found = inspect("container", container) or {}
    test = (found.get("Config", {}).get("Healthcheck") or {}).get("Test") or []
    argv = test[1:] if test[:1] == ["CMD"] else ["sh", "-c", *test[1:]]
    res = podman("exec", container, *argv, check=False)
    lines = quiet(res.stderr + res.stdout).strip().splitlines()
    return f"exit {res.returncode}, {lines[-1] if lines else 'nothing said'}"


def image_healthcheck(image: str) -> list[str] | None:
    """The HEALTHCHECK test of an image (podman keeps it beside Config, Docker inside)."""
    found = inspect("image", image) or {}
    check = found.get("Healthcheck") or (found.get("Config") or {}).get("Healthcheck") or {}
    test: list[str] | None = check.get("Test")
    return test


def _label(image: str) -> str | None:
    found = inspect("image", image)
    labels = (found or {}).get("Labels") or {}
    return labels.get(LABEL)


# --- the stand-ins for Docker Hub's images -------------------------------------------------------


def _digest(*parts: str | Path) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.read_bytes() if isinstance(part, Path) else part.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def ensure_base_images() -> None:
    """python:3.11-slim, redis:7 and postgres:16 built from Debian bookworm's packages: `debootstrap
    --variant=minbase`, then the Containerfiles in standins/. Kept between runs; rebuilt when
    what they are built from changes."""
    bootstrap = _digest("bookworm", "minbase", MIRROR)
    files = sorted((HERE / "standins").iterdir())
    digest = _digest(bootstrap, *files)
    if all(_label(tag) == digest for tag in STANDINS):
        say(f"base images: {', '.join(STANDINS)} (stand-ins {digest}, kept from an earlier run)")
        return
    started = time.monotonic()
    if _label(BOOKWORM) != bootstrap:
        with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="wargabot-bookworm-") as tmp:
            rootfs = Path(tmp) / "rootfs"
            debootstrap = ["debootstrap", "--variant=minbase", "bookworm", str(rootfs), MIRROR]
            run(debootstrap, timeout=900)
            run(
                [
                    "sh",
                    "-c",
                    f"rm -rf {rootfs}/var/cache/apt/archives/*.deb {rootfs}/var/lib/apt/lists/*",
                ]
            )
            tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
            try:
                subprocess.run(
                    ["podman", "import", "--change", f"LABEL {LABEL}={bootstrap}", "-", BOOKWORM],
                    stdin=tar.stdout,
                    env=ENV,
                    capture_output=True,
                    check=True,
                    timeout=300,
                )
            finally:
                assert tar.stdout is not None
                tar.stdout.close()
                assert tar.wait() == 0, "tar of the bookworm root file system failed"
    for tag, containerfile in STANDINS.items():
        podman(
            "build",
            "--format=docker",
            f"--build-arg=BOOKWORM={BOOKWORM}",
            f"--label={LABEL}={digest}",
            f"--file={HERE / 'standins' / containerfile}",
            f"--tag={tag}",
            str(HERE / "standins"),
            timeout=900,
        )
    took = time.monotonic() - started
    say(f"base images: {', '.join(STANDINS)} built from Debian bookworm in {took:.0f} s")


# --- the wargabot image --------------------------------------------------------------------------


def host_pip() -> dict[str, str]:
    """The host pip's settings (from its pip.conf files and PIP_* variables, which win)."""
    out = run([sys.executable, "-m", "pip", "config", "list"], check=False).stdout
    found: dict[str, str] = {}
    for line in sorted(out.splitlines(), key=lambda line: line.startswith(":env:")):
        key, eq, value = line.partition("=")
        if eq:
            found[key.rpartition(".")[2]] = str(ast.literal_eval(value))
    return found


def _ca_bundle(pip: dict[str, str]) -> Path | None:
    for candidate in (
        pip.get("cert"),
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("REQUESTS_CA_BUNDLE"),
        "/etc/ssl/certs/ca-certificates.crt",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@contextmanager
def build_mounts() -> Iterator[list[str]]:
    """`--volume`s that give pip inside the build the host's CA bundle and package index: the
    bundle over the base image's own (/etc/ssl/certs/ca-certificates.crt), and a pip.conf in a
    folder mounted over /root (both exist in the base image, so the build leaves nothing
    behind; a mount on a new path would leave an empty file in the image)."""
    pip = host_pip()
    ca = _ca_bundle(pip)
    conf = ["[global]"]
    if ca is not None:
        conf.append("cert = /etc/ssl/certs/ca-certificates.crt")
    for key in ("index-url", "extra-index-url", "trusted-host"):
        values = [v for v in pip.get(key, "").split() if not v.startswith("file:")]
        if values:
            conf.append(f"{key} = {' '.join(values)}")
    with tempfile.TemporaryDirectory(prefix="wargabot-build-home-") as home:
        (Path(home) / ".config" / "pip").mkdir(parents=True)
        (Path(home) / ".config" / "pip" / "pip.conf").write_text("\n".join(conf) + "\n")
        os.chmod(home, 0o755)
        mounts = [f"--volume={home}:/root:ro"]
        if ca is not None:
            mounts.append(f"--volume={ca}:/etc/ssl/certs/ca-certificates.crt:ro")
        yield mounts


def build_image(tag: str = IMAGE, dockerfile: Path = ROOT / "Dockerfile") -> str:
    """`podman build --format docker` (podman's own format drops HEALTHCHECK); the image's id.
    The image it replaces is removed when nothing else uses it."""
    old = inspect("image", tag)
    started = time.monotonic()
    with build_mounts() as mounts:
        podman(
            "build",
            "--format=docker",
            *mounts,
            f"--file={dockerfile}",
            f"--tag={tag}",
            str(ROOT),
            timeout=1200,
        )
    new = inspect("image", tag)
    assert new is not None
    if old is not None and old["Id"] != new["Id"]:
        podman("rmi", old["Id"], check=False)  # refused while a container or a tag uses it
    say(f"image {tag}: built from {dockerfile.name} in {time.monotonic() - started:.0f} s")
    return str(new["Id"])
