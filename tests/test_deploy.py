"""The deployment files (Dockerfile, compose.yaml, .env.example, requirements.lock, docs/) held
against the code: every command they run parses, every setting, route, port and path exists.
Docker is not needed: the files are parsed, and the health check is run against a real server."""

from __future__ import annotations

import fnmatch
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from pydantic import SecretStr

from bot.commands.main import parser
from bot.config import Settings, load_settings
from tests.kit.database import migrated_sqlite
from tests.kit.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = set(Settings.model_fields)
# Settings that branches not merged yet add to Settings; .env.example already lists them.
PENDING: set[str] = set()
# Names the docs may use that are no wargabot setting: gettext's folder, the Dockerfile's ARG.
NOT_SETTINGS = {"LC_MESSAGES", "BASE_IMAGE", "POSTGRES_HOST_AUTH_METHOD"}  # the image's, not ours
# Variables of the Python interpreter itself, which the Dockerfile sets: not wargabot settings.
INTERPRETER_ENV = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
# The image's platform, for dependency markers: a Python 3.11 base on Linux. The lock must be
# complete on each of these releases: Debian bookworm's python3 (a BASE_IMAGE built from Debian,
# like the stand-in in `make container-test`) and a recent python:3.11-slim.
PYTHONS = ("3.11.2", "3.11.9")
IMAGE_MARKERS = {
    "python_version": "3.11",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
}


@pytest.fixture(autouse=True)
def no_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from the environment and ./.env too: start each test with neither."""
    for name in SETTINGS | PENDING:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


DEFAULTS = {name: field.default for name, field in Settings.model_fields.items()}


# --- reading the files ---------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    out, current = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.endswith("\\"):
            current += text[:-1] + " "
            continue
        word, _, rest = (current + text).partition(" ")
        out.append((word.upper(), rest.strip()))
        current = ""
    assert not current, "the Dockerfile ends in the middle of a continued line"
    return out


def instructions(name: str) -> list[str]:
    return [args for word, args in dockerfile() if word == name]


def image_env() -> dict[str, str]:
    env = {}
    for args in instructions("ENV"):
        for item in shlex.split(args):
            name, eq, value = item.partition("=")
            assert eq, f"write ENV as NAME=value: {args}"
            env[name] = value
    return env


def workdir() -> PurePosixPath:
    return PurePosixPath(instructions("WORKDIR")[-1])


def healthcheck_argv() -> list[str]:
    (args,) = instructions("HEALTHCHECK")
    _, cmd, exec_form = args.partition(" CMD ")
    assert cmd, f"HEALTHCHECK without CMD: {args}"
    argv: list[str] = json.loads(exec_form)
    return argv


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def app_services() -> dict[str, dict[str, Any]]:
    """The compose services that run the wargabot image (every one but Redis and PostgreSQL)."""
    services = compose()["services"]
    return {name: s for name, s in services.items() if name not in ("redis", "postgres")}


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME-default}."""

    def one(m: re.Match[str]) -> str:
        name, op, default = m.group(1), m.group(2), m.group(3) or ""
        if op == ":-":
            return env.get(name) or default
        if op == "-":
            return env.get(name, default)
        return env.get(name, "")

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}", one, text)


def parse_command(argv: list[str]) -> Any:
    assert argv[0] == "wargabot", f"not a wargabot command: {argv}"
    try:
        return parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(
            f"`{shlex.join(argv)}` does not parse with bot.commands.main.parser() (see stderr)"
        )


# --- the image -----------------------------------------------------------------------------------


def test_the_image_runs_wargabot_serve() -> None:
    (cmd,) = instructions("CMD")
    args = parse_command(json.loads(cmd))
    assert args.command == "serve"
    assert image_env()["HOST"] == "0.0.0.0", "inside a container 127.0.0.1 is unreachable"


def test_the_image_runs_as_a_service_user_that_owns_the_volume() -> None:
    users = instructions("USER")
    assert users, "the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    steps = dockerfile()
    volume_at = next(i for i, (word, _) in enumerate(steps) if word == "VOLUME")
    user_at = max(i for i, (word, _) in enumerate(steps) if word == "USER")
    assert user_at < [i for i, (word, _) in enumerate(steps) if word == "CMD"][-1]
    (volume,) = json.loads(instructions("VOLUME")[0])
    relative = str(PurePosixPath(volume).relative_to(workdir()))
    # Docker discards what a RUN changes in a volume's folder after the VOLUME line.
    # `install -d -o USER -g GROUP -m 700 var var/media var/inbox`: owned by the user, owner-only
    made = [
        set(m.group(1).split())
        for word, args in steps[:volume_at]
        if word == "RUN"
        for m in [re.search(rf"install -d -o {user} -g \S+ -m 700 ((?:\S+ ?)+)", args)]
        if m
    ]
    wanted = {relative} | {
        str(PurePosixPath(image_env()[name]).relative_to(workdir()))
        for name in ("MEDIA_DIR", "INBOX_MAILDIR")
    }
    assert made and wanted <= made[0], f"no RUN before VOLUME makes {wanted} owner-only for {user}"


def test_no_secret_is_baked_into_the_image_or_written_in_compose() -> None:
    secrets = {
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    }
    assert {"TELEGRAM_BOT_TOKEN", "TWILIO_AUTH_TOKEN", "SMTP_URL"} <= secrets
    # build arguments after FROM end up in the image's history; before it, they only choose
    # the base image
    steps = dockerfile()
    first_from = next(i for i, (word, _) in enumerate(steps) if word == "FROM")
    args = [(i, args) for i, (word, args) in enumerate(steps) if word == "ARG"]
    assert [args for _, args in args] == ["BASE_IMAGE=python:3.11-slim"]
    assert all(i < first_from for i, _ in args), "an ARG after FROM is kept in the history"
    assert steps[first_from][1] == "${BASE_IMAGE}"
    assert secrets & set(image_env()) == set()
    for name, service in app_services().items():
        assert secrets & set(service.get("environment", {})) == set(), f"compose {name}"


def test_dependencies_are_installed_from_the_lock_before_the_code_is_copied() -> None:
    steps = dockerfile()
    copies = [(i, args.split()) for i, (word, args) in enumerate(steps) if word == "COPY"]
    lock_copy = next(i for i, parts in copies if parts[0] == "requirements.lock")
    install = next(
        i
        for i, (word, args) in enumerate(steps)
        if word == "RUN" and "-r requirements.lock" in args
    )
    code_copies = [i for i, parts in copies if parts[0] in ("bot/", "bot")]
    assert lock_copy < install < min(code_copies), "the dependency layer would not be cached"
    app_install = [args for word, args in steps if word == "RUN" and "install" in args][1:]
    assert any("--no-deps" in args for args in app_install), "the app must not re-resolve deps"


def test_the_image_copies_what_it_needs_and_dockerignore_keeps_out_the_rest() -> None:
    patterns = [
        p.strip()
        for p in (ROOT / ".dockerignore").read_text().splitlines()
        if p.strip() and not p.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path.rstrip("/"), p.rstrip("/")) for p in patterns)

    for must_stay_out in (".git", ".venv", "var", ".env", ".pytest_cache", ".mypy_cache"):
        assert ignored(must_stay_out), f".dockerignore lets {must_stay_out} into the image"
    for args in instructions("COPY"):
        *sources, _ = args.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            assert not ignored(source), f"COPY {source}, but .dockerignore leaves it out"


def test_flows_and_locales_settings_point_at_the_copied_folders() -> None:
    env, base = image_env(), workdir()
    copied = {}
    for args in instructions("COPY"):
        *sources, dest = args.split()
        for source in sources:
            copied[source.rstrip("/")] = base / dest
    assert PurePosixPath(env["FLOWS_DIR"]) == copied["flows"]
    assert PurePosixPath(env["LOCALES_DIR"]) == copied["locales"]


def test_var_is_the_volume_and_holds_media_and_the_maildir() -> None:
    (volume,) = json.loads(instructions("VOLUME")[0])
    env, base = image_env(), workdir()
    for name in ("MEDIA_DIR", "INBOX_MAILDIR"):
        default = Path(Settings.model_fields[name].default)
        assert not default.is_absolute()
        assert str(base / default.parent) == volume, f"{name}'s default is not in the volume"
        if name in env:  # set in the image: it must still be inside the volume
            assert PurePosixPath(volume) in PurePosixPath(env[name]).parents
    for name, service in app_services().items():
        mounts = [str(v).split(":") for v in service.get("volumes", [])]
        assert any(m[1] == volume for m in mounts), f"compose {name} does not mount {volume}"
        for source, *_ in mounts:
            if not source.startswith((".", "/")):
                assert source in compose()["volumes"], f"volume {source} is not declared"


def test_the_healthcheck_asks_a_route_of_the_app() -> None:
    from bot.web.app import create_app

    argv = healthcheck_argv()
    match = re.search(r"http://127\.0\.0\.1:[^/]+(/\w+)", " ".join(argv))
    assert match, f"no local URL in the HEALTHCHECK: {argv}"
    paths = {getattr(route, "path", None) for route in create_app(load_settings({})).routes}
    assert match.group(1) in paths, f"{match.group(1)} is not a route: {sorted(map(str, paths))}"


def test_the_healthcheck_command_passes_on_a_running_server_and_fails_without(
    tmp_path: Path,
) -> None:
    argv = healthcheck_argv()
    assert argv[0] == "python"  # slim has no curl; its python is the one the app runs on
    check = [sys.executable, *argv[1:]]
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "REDIS_URL": ""}
    env["DATABASE_URL"] = migrated_sqlite(tmp_path)  # serve's worker stores cases
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert subprocess.run(check, env=env, timeout=30).returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=30)
    failed = subprocess.run(check, env=env, capture_output=True, timeout=30)
    assert failed.returncode != 0, "the health check passes with no server"


# --- compose.yaml --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "command"),
    [("web", "serve"), ("worker", "worker"), ("desk", "desk"), ("migrate", "db")],
)
def test_compose_commands_parse(service: str, command: str) -> None:
    argv = app_services()[service]["command"]
    assert isinstance(argv, list), "write the command as a list, as Docker runs it"
    assert parse_command(argv).command == command


def test_compose_web_serves_without_its_own_worker() -> None:
    args = parse_command(app_services()["web"]["command"])
    assert args.no_worker, "the worker service delivers: web must not run a second worker"


def test_compose_services_share_the_image_env_file_and_redis() -> None:
    services = compose()["services"]
    redis = services["redis"]
    assert str(redis["image"]).split(":") == ["redis", "7"]
    assert {"--appendonly", "yes", "--appendfsync", "everysec"} <= set(redis["command"])
    assert "redis-cli" in redis["healthcheck"]["test"] and "ping" in redis["healthcheck"]["test"]
    assert any(str(v).endswith(":/data") for v in redis["volumes"])
    for name, service in app_services().items():
        assert service["build"] == "." and service["image"] == app_services()["web"]["image"]
        assert service["env_file"] == ".env", f"{name} must read its settings from .env"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        url = urlparse(service["environment"]["REDIS_URL"])
        assert url.scheme == "redis" and url.hostname in services
        assert url.port == 6379


def test_every_variable_in_the_image_and_compose_is_a_setting() -> None:
    names = set(image_env()) - INTERPRETER_ENV
    for service in app_services().values():
        names |= set(service.get("environment", {}))
    names |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", (ROOT / "compose.yaml").read_text()))
    assert names - SETTINGS == set(), "not settings of bot.config.Settings"
    values = {**image_env(), **app_services()["web"]["environment"]}
    load_settings({k: str(v) for k, v in values.items() if k in SETTINGS})  # valid values


@pytest.mark.parametrize("dotenv", [{}, {"PORT": "9000"}], ids=["default", "PORT in .env"])
def test_the_published_port_is_the_one_the_server_listens_on(dotenv: dict[str, str]) -> None:
    web = app_services()["web"]
    (expose,) = instructions("EXPOSE")
    assert int(expose) == int(image_env()["PORT"]) == Settings.model_fields["PORT"].default
    # Inside the container: compose's environment, else .env (env_file), else the image's ENV.
    listening = web.get("environment", {}).get("PORT") or dotenv.get("PORT") or image_env()["PORT"]
    (published,) = web["ports"]
    host_ip, host_port, container_port = interpolate(str(published), dotenv).split(":")
    assert host_ip == "127.0.0.1", "publish on loopback only: an https proxy faces the internet"
    assert int(container_port) == int(listening)
    assert int(host_port) == int(listening)


def test_the_app_services_run_under_an_init() -> None:
    """make container-test shows why: without it a stop during start-up waits out the grace."""
    for name, service in app_services().items():
        assert service.get("init") is True, f"compose {name}: Python as PID 1 ignores SIGTERM"


def test_the_desk_listens_on_its_own_published_port_and_checks_its_own_health() -> None:
    desk, services = app_services()["desk"], compose()["services"]
    listening = Settings.model_fields["DESK_PORT"].default
    (published,) = desk["ports"]
    host_ip, host_port, container_port = interpolate(str(published), {}).split(":")
    assert host_ip == "127.0.0.1" and int(host_port) == int(container_port) == listening
    assert desk["environment"]["DESK_HOST"] == "0.0.0.0"
    assert "DESK_PORT" in " ".join(desk["healthcheck"]["test"]) and "/healthz" in str(desk)
    assert urlparse(desk["environment"]["DATABASE_URL"]).hostname == "postgres"
    for name in ("desk", "worker"):  # they refuse an old schema: the migration runs first
        condition = app_services()[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"
    assert parse_command(app_services()["migrate"]["command"]).db_command == "upgrade"
    assert any(
        str(v).endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"]
    )


def test_the_worker_has_no_web_healthcheck() -> None:
    worker = app_services()["worker"]
    assert worker.get("healthcheck", {}).get("disable") is True, (
        "the image's HEALTHCHECK asks /healthz, which the worker does not serve"
    )
    assert "ports" not in worker


# --- .env.example --------------------------------------------------------------------------------

SETTING_LINE = re.compile(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$")
EXAMPLE_LINE = re.compile(r"^# Example: ([A-Z][A-Z0-9_]*)=(.*)$")


def env_example_blocks() -> list[list[str]]:
    text = (ROOT / ".env.example").read_text()
    return [block.splitlines() for block in re.split(r"\n\s*\n", text) if block.strip()]


def env_example() -> tuple[dict[str, tuple[bool, str]], dict[str, str]]:
    """{NAME: (active, value)} of the setting lines, and {NAME: value} of the examples."""
    settings: dict[str, tuple[bool, str]] = {}
    examples: dict[str, str] = {}
    for block in env_example_blocks():
        for line in block:
            if m := SETTING_LINE.match(line):
                assert m.group(2) not in settings, f"{m.group(2)} is in .env.example twice"
                settings[m.group(2)] = (not m.group(1), m.group(3))
            elif m := EXAMPLE_LINE.match(line):
                examples[m.group(1)] = m.group(2)
    return settings, examples


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    settings, examples = env_example()
    assert SETTINGS - set(settings) == set(), "missing from .env.example"
    assert set(settings) - SETTINGS - PENDING == set(), "in .env.example, not in Settings"
    assert set(examples) == set(settings), "every setting needs one `# Example: NAME=value`"


def test_env_example_says_what_each_setting_is_and_its_default() -> None:
    for block in env_example_blocks():
        names = [m.group(2) for line in block if (m := SETTING_LINE.match(line))]
        if not names:
            continue
        assert len(names) == 1, f"one setting per paragraph: {names}"
        prose = [line for line in block if line.startswith("# ") and "Example:" not in line]
        assert prose, f"{names[0]}: no comment saying what it is"
        assert "Default:" in " ".join(prose), f"{names[0]}: no `Default:` in its comment"


def _same(value: Any, default: Any) -> bool:
    if isinstance(default, Path) and isinstance(value, Path):
        return (ROOT / value).resolve() == (ROOT / default).resolve()
    if default is None:  # unset: None, or an empty string where the code tests truthiness
        secret = value.get_secret_value() if isinstance(value, SecretStr) else value
        return secret is None or secret == ""
    return bool(value == default)


def test_env_example_values_are_the_defaults() -> None:
    """A fresh copy of .env.example changes nothing: every line holds the built-in default."""
    settings, _ = env_example()
    for name, (_, value) in settings.items():
        if name not in SETTINGS:
            continue  # PENDING
        got = getattr(load_settings({name: value}), name)
        assert _same(got, DEFAULTS[name]), f"{name}={value} is not the default"


def _load_dotenv(text: str) -> Settings:
    """The settings as `wargabot` reads them from a .env file in its working directory."""
    Path(".env").write_text(text)
    return load_settings()


def test_a_copy_of_env_example_starts() -> None:
    settings, _ = env_example()
    active = {name for name, (on, _) in settings.items() if on}
    assert "TELEGRAM_BOT_TOKEN" in active, "the settings to fill in stand uncommented"
    loaded = _load_dotenv((ROOT / ".env.example").read_text())
    loaded.check_channels()
    loaded.check_inbox()
    for name in SETTINGS:
        assert _same(getattr(loaded, name), DEFAULTS[name]), f"a copy of .env.example sets {name}"


def test_the_examples_together_are_a_complete_valid_configuration() -> None:
    text = (ROOT / ".env.example").read_text()
    _, examples = env_example()
    filled = "\n".join(  # each setting line replaced by its example
        line.removeprefix("# Example: ")
        for line in text.splitlines()
        if not SETTING_LINE.match(line)
    )
    loaded = _load_dotenv(filled)
    loaded.check_channels()  # both channels complete
    loaded.check_inbox()  # every inbox complete
    assert loaded.telegram_enabled and loaded.whatsapp_enabled
    assert loaded.SMTP_URL is not None and loaded.INBOX_WEBHOOK_URL
    for name, value in examples.items():
        assert value, f"{name} has an empty example"
        if name in SETTINGS:
            assert getattr(loaded, name) == getattr(load_settings({name: value}), name)
            assert getattr(loaded, name) is not None, f"the example of {name} reads as unset"
    changed = {n for n in SETTINGS if not _same(getattr(loaded, n), DEFAULTS[n])}
    assert len(changed) > len(SETTINGS) / 2, "the examples should show other values than defaults"


def test_an_empty_ca_file_setting_means_unset() -> None:
    assert load_settings({"SMTP_CA_FILE": ""}).SMTP_CA_FILE is None
    ca = load_settings({"SMTP_CA_FILE": "/etc/ssl/ca.pem"}).SMTP_CA_FILE
    assert ca == Path("/etc/ssl/ca.pem")


# --- requirements.lock ---------------------------------------------------------------------------


def lock(python: str = PYTHONS[-1]) -> dict[str, Version]:
    """The pins that apply on this Python release (a pin may carry a marker, e.g. one that only
    older 3.11 releases need)."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        pinned = len(specs) == 1 and specs[0].operator == "==" and not req.extras
        assert pinned, f"not a pin: {line}"
        if req.marker is None or req.marker.evaluate(marker_env(python)):
            pins[str(canonicalize_name(req.name))] = Version(specs[0].version)
    return pins


def marker_env(python: str, extra: str = "") -> dict[str, str]:
    return {**IMAGE_MARKERS, "python_full_version": python, "extra": extra}


def project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return data


@pytest.mark.parametrize("python", PYTHONS)
def test_the_lock_pins_every_runtime_dependency_within_its_range(python: str) -> None:
    pins = lock(python)
    for spec in project()["dependencies"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements.lock: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[name]}, outside {req.specifier}"
        )


@pytest.mark.parametrize("python", PYTHONS)
def test_the_lock_is_complete_and_has_no_dev_tools(python: str) -> None:
    """Each pinned package's own requirements (for the image's platform and Python release) are
    pinned too, judged from the metadata of the installed copy when it is the pinned version:
    the image installs the lock with --no-deps, so a missing one breaks an import."""
    pins = lock(python)
    assert "wargabot" not in pins
    dev = {
        canonicalize_name(Requirement(s).name) for s in project()["optional-dependencies"]["dev"]
    }
    runtime = {canonicalize_name(Requirement(s).name) for s in project()["dependencies"]}
    assert (dev - runtime) & set(pins) == set(), "dev tools do not belong in the image"
    extras: dict[str, set[str]] = {
        str(canonicalize_name(Requirement(s).name)): Requirement(s).extras
        for s in project()["dependencies"]
    }
    checked = 0
    for name, version in pins.items():
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if Version(dist.version) != version:
            continue
        checked += 1
        for spec in dist.requires or []:
            req = Requirement(spec)
            wanted = req.marker is None or any(
                req.marker.evaluate(marker_env(python, extra))
                for extra in {"", *extras.get(name, set())}
            )
            if wanted:
                dep = canonicalize_name(req.name)
                assert dep in pins, (
                    f"{name} needs {req} on Python {python}, which requirements.lock does not pin"
                )
                assert req.specifier.contains(pins[dep], prereleases=True), f"{name}: {req}"
    assert checked >= len(project()["dependencies"]), "too few pins could be checked here"


# --- docs ----------------------------------------------------------------------------------------

DOCS = sorted((ROOT / "docs").glob("*.md"))
COMMAND = re.compile(r"(?:^|\s)(?:\S*/bin/)?wargabot\s+([^|;&>#`\n]*)")


def shell_code(text: str) -> list[str]:
    """The lines of shell (or untagged) code blocks, and each inline code span of the prose."""
    code, prose, fence = [], [], None
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fence = line.strip()[3:].strip() if fence is None else None
        elif fence is None:
            prose.append(line)
        elif fence in ("", "sh", "bash", "console"):
            code.append(line)
    return code + re.findall(r"`([^`\n]+)`", "\n".join(prose))


def doc_commands() -> list[tuple[str, str]]:
    """Every `wargabot ...` in the shell code and inline code of docs/*.md and .env.example."""
    return [
        (path.name, m.group(1).strip())
        for path in [*DOCS, ROOT / ".env.example"]
        for line in shell_code(path.read_text())
        for m in COMMAND.finditer(line)
    ]


def test_the_docs_show_commands() -> None:
    commands = {c for _, c in doc_commands()}
    for expected in ("telegram set-webhook", "telegram poll", "worker", "flows check"):
        assert expected in commands


@pytest.mark.parametrize(("doc", "command"), doc_commands())
def test_every_command_in_the_docs_parses(doc: str, command: str) -> None:
    parse_command(["wargabot", *shlex.split(command)])


def test_the_docs_name_only_settings_that_exist() -> None:
    for path in [*DOCS, ROOT / "README.md"]:
        names = set(re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
        unknown = names - SETTINGS - PENDING - NOT_SETTINGS
        assert not unknown, f"{path.name} names settings that do not exist: {sorted(unknown)}"


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def test_readme_links_every_guide_and_every_link_lands() -> None:
    readme = (ROOT / "README.md").read_text()
    for path in DOCS:
        assert f"(docs/{path.name})" in readme, f"README.md does not link docs/{path.name}"
    for path in [*DOCS, ROOT / "README.md"]:
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve() if file else path
            assert dest.exists(), f"{path.name} links {target}: no such file"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", dest.read_text(), re.M)
                assert anchor in {_anchor(h) for h in headings}, f"{path.name}: {target}"


def test_the_flow_example_in_the_docs_is_a_valid_flow_with_every_kind() -> None:
    from typing import get_args

    from bot.engine.checks import check_flow
    from bot.engine.flow import Flow, StepKind

    text = (ROOT / "docs" / "flows.md").read_text()
    (example,) = re.findall(r"```yaml\n(# Dinas Sosial Kota Contoh.*?)```", text, re.S)
    flow = Flow.model_validate(yaml.safe_load(example))
    assert check_flow(flow, "docs/flows.md") == []
    assert {s.kind for s in flow.steps} == set(get_args(StepKind))
    table = re.findall(r"^\| `(\w+)` \|", text, re.M)
    assert sorted(table) == sorted(get_args(StepKind)), "the table of kinds is out of date"


def test_the_record_example_in_the_inbox_guide_has_the_record_fields(tmp_path: Path) -> None:
    from bot.delivery.record import to_record
    from bot.media.store import MediaStore
    from tests.kit.outbox import sample_dossier

    record = to_record(sample_dossier(MediaStore(tmp_path)))
    text = (ROOT / "docs" / "inbox.md").read_text()
    (block,) = re.findall(r"```json\n(.*?)```", text, re.S)
    example = json.loads(block)
    assert set(example) == set(record)
    assert set(example["photos"][0]) == set(record["photos"][0]) | {"content_base64"}
    assert set(example["answers"]["nama"]) == set(record["answers"]["nama"])


def test_the_signature_check_in_the_inbox_guide_accepts_wargabot_and_nothing_else() -> None:
    from bot.delivery.sinks.webhook import sign  # the lead's webhook sink

    text = (ROOT / "docs" / "inbox.md").read_text()
    (snippet,) = re.findall(r"```python\n(.*?)```", text, re.S)
    scope: dict[str, Any] = {}
    exec(compile(snippet, "docs/inbox.md", "exec"), scope)
    verify = scope["verify"]
    secret, body, now = "s" * 32, b'{"reference": "MKS-K7H-W3X-9AR"}', str(int(time.time()))
    assert verify(secret, now, sign(secret, now, body), body)
    assert not verify(secret, now, sign(secret, now, body), body + b" ")
    assert not verify("t" * 32, now, sign(secret, now, body), body)
    old = str(int(time.time()) - 3600)
    assert not verify(secret, old, sign(secret, old, body), body)
