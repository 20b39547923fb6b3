"""The wargabot image as built: Docker's format with its HEALTHCHECK, the service user and its
owner-only var/, nothing inside but what the app needs, a complete set of dependencies; and a
HEALTHCHECK that asks the wrong port is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.container.podman import (
    ROOT,
    build_image,
    image_healthcheck,
    podman,
    say,
    wait_healthy,
)
from tests.test_deploy import healthcheck_argv, instructions

pytestmark = pytest.mark.container
UID = 999  # docs/operations.md says so, a bind-mounted var/ is chown'ed to it


def in_image(image: str, *argv: str, user: str = "") -> str:
    as_user = [f"--user={user}"] if user else []
    return podman("run", "--rm", *as_user, image, *argv).stdout.strip()


def test_the_image_keeps_the_dockerfiles_healthcheck(image: str) -> None:
    test = image_healthcheck(image)
    assert test == ["CMD", *healthcheck_argv()], (
        f"the image's HEALTHCHECK is {test}, not the Dockerfile's (podman keeps it only with "
        "--format docker)"
    )
    say(f"HEALTHCHECK {' '.join(test[1:])[:80]}...")


def test_the_image_runs_as_the_service_user_with_owner_only_var(image: str) -> None:
    assert in_image(image, "id", "-un") == "wargabot"
    assert in_image(image, "id", "-u") == str(UID)
    assert f"uid {UID}" in (ROOT / "docs" / "operations.md").read_text()
    modes = in_image(image, "stat", "-c", "%a %U:%G %n", "var", "var/media", "var/inbox")
    say(modes.replace("\n", "; "))
    for line in modes.splitlines():
        assert line.startswith("700 wargabot:wargabot "), line


def test_the_image_holds_the_app_and_nothing_else(image: str) -> None:
    copied = {Path(src).name for args in instructions("COPY") for src in args.split()[:-1]}
    inside = set(in_image(image, "ls", "-A", "/app").split())
    assert inside == copied | {"var"}, "in /app"
    # the build's mounts (the host's CA bundle and pip settings) left nothing behind
    left = in_image(image, "sh", "-c", "ls -A /root /etc/pip.conf 2>&1 || true", user="root")
    assert ".config" not in left and "No such file" in left, left
    say(f"/app: {', '.join(sorted(inside))}")


def test_the_pinned_dependencies_are_complete_on_the_base_python(image: str) -> None:
    """--no-deps installs exactly requirements.lock: a requirement it misses on this base's
    Python (Debian's 3.11.2 needs async-timeout for redis) would break the import."""
    version = in_image(image, "python", "--version")
    check = in_image(image, "python", "-m", "pip", "check")
    assert check == "No broken requirements found.", check
    in_image(image, "python", "-c", "import bot.web.app, bot.delivery.worker, redis.asyncio")
    say(f"{version}: {check}")


def test_the_base_image_is_a_build_argument(image: str) -> None:
    """ARG BASE_IMAGE reaches FROM: a build from a base that does not exist fails naming it."""
    res = podman(
        "build",
        "--format=docker",
        "--pull=never",
        "--build-arg=BASE_IMAGE=localhost/no-such-base:3.11",
        f"--file={ROOT / 'Dockerfile'}",
        str(ROOT),
        check=False,
    )
    assert res.returncode != 0 and "localhost/no-such-base:3.11" in res.stderr, res.stderr
    say("BASE_IMAGE=localhost/no-such-base:3.11: the build fails on that name")


def test_a_healthcheck_that_asks_the_wrong_port_fails(image: str, tmp_path: Path) -> None:
    """The same check as for the stack's web service, on two containers started alike: the
    image as built turns healthy, a copy whose HEALTHCHECK runs with PORT=9 never does."""
    text = (ROOT / "Dockerfile").read_text()
    broken = text.replace('CMD ["python", "-c"', 'CMD ["env", "PORT=9", "python", "-c"')
    assert broken.count("PORT=9") == 1, "no HEALTHCHECK to break"
    (tmp_path / "Dockerfile").write_text(broken)
    broken_tag = "localhost/wargabot-broken-healthcheck:test"
    bad = build_image(broken_tag, tmp_path / "Dockerfile")
    names = {"good": "wargabot-test-good", "broken": "wargabot-test-broken"}
    try:
        for which, img in (("good", image), ("broken", bad)):  # serve needs its tables
            serve = "wargabot db upgrade >/dev/null && exec wargabot serve"
            podman("run", "--detach", f"--name={names[which]}", img, "sh", "-c", serve)
        say(f"image as built: {wait_healthy(names['good'], timeout=30)}")
        with pytest.raises(AssertionError) as failed:
            wait_healthy(names["broken"], timeout=10)
        assert "unhealthy" in str(failed.value) and "refused" in str(failed.value).lower()
        say(f"HEALTHCHECK on port 9: {failed.value}")
    finally:
        for name in names.values():
            podman("rm", "--force", "--volumes", name, check=False)
        podman("rmi", broken_tag, check=False)  # the tag: the image may be `image` itself
