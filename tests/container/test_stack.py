"""The compose stack as docs/operations.md describes it, run with podman-compose: every service
up and healthy by its own check, the app's processes unprivileged, the published routes, the
doctor content, one citizen's application end to end with a restart halfway, the dossier in the
`wargabot_var` volume (read with the documented backup command), Redis's data and backup, the
documented commands, logs without personal numbers, and `down --volumes` leaving nothing."""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
import shlex
import tarfile
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.container.conftest import CHAT, KK, NIK, PHONE, Running, ready, wait_until
from tests.container.podman import (
    IMAGE,
    ROOT,
    image_healthcheck,
    inspect,
    output,
    podman,
    say,
)
from tests.container.stack import (
    LONG_RUNNING,
    PROJECT,
    SERVICES,
    UP_IN_ORDER,
    Service,
    compose_file,
    published_port,
    wait_until_exited,
)

pytestmark = pytest.mark.container
DOCS = (ROOT / "docs" / "operations.md").read_text()
PG = ("--username=wargabot", "--dbname=wargabot")  # compose.yaml's POSTGRES_USER and _DB
BY_NAME = {s.name: s for s in SERVICES}


def test_every_service_in_compose_yaml_has_its_checks() -> None:
    assert set(compose_file()["services"]) == set(BY_NAME), "add the service to stack.SERVICES"
    for step in UP_IN_ORDER:  # the test starts the stack as the docs tell podman users to
        assert (
            f"podman-compose {' '.join(step)}\n" in DOCS
            or f"podman-compose {' '.join(step)} " in DOCS
        ), step
    started = {name for step in UP_IN_ORDER for name in step if name in BY_NAME}
    assert started == set(BY_NAME), "a service the documented steps never start"


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_the_service_runs_and_passes_its_health_check(running: Running, service: Service) -> None:
    name = running.stack.container(service.name)
    if service.once:
        state = wait_until_exited(name)
        assert state["ExitCode"] == 0, podman("logs", name).stderr[-2000:]
        say(f"{service.name}: ran once and exited 0: {podman('logs', name).stdout.strip()}")
        return
    container = inspect("container", name)
    assert container is not None and container["State"]["Running"], service.name
    assert container["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    own = (container["Config"].get("Healthcheck") or {}).get("Test")
    if service.health == "none":
        res = podman("healthcheck", "run", running.stack.container(service.name), check=False)
        assert res.returncode != 0 and "no defined healthcheck" in res.stderr, res.stderr
        say(f"{service.name}: running, no health check (as compose.yaml says)")
        return
    if service.health == "image":
        assert own == image_healthcheck(container["Image"]), "not the image's HEALTHCHECK"
    else:
        test = compose_file()["services"][service.name]["healthcheck"]["test"]
        assert own is not None and own[1:] == test[1:], f"not compose.yaml's: {own}"
    assert own is not None
    answer = running.stack.wait_healthy(service.name)
    say(f"{service.name}: `podman healthcheck run` says {answer}: {' '.join(own[1:])[:70]}")


@pytest.mark.parametrize("service", [s for s in LONG_RUNNING if s.user], ids=lambda s: s.name)
def test_the_apps_processes_run_unprivileged_under_an_init(
    running: Running, service: Service
) -> None:
    name = running.stack.container(service.name)
    top = podman("top", name, "pid", "user", "huser", "capeff", "args").stdout.splitlines()[1:]
    rows = [row.split(None, 4) for row in top]
    assert len(rows) >= 2, f"not an init and the app: {top}"
    for _pid, user, huser, caps, _args in rows:
        assert (user, huser, caps) == (service.user, "999", "none"), top
    init = next(args for pid, *_, args in rows if pid == "1")
    assert "init" in init, f"PID 1 is not an init (compose.yaml's init: true): {init}"
    status = podman("exec", name, "grep", "NoNewPrivs", "/proc/1/status").stdout.split()
    assert status == ["NoNewPrivs:", "1"], "no-new-privileges is off"
    say(f"{service.name}: {len(rows)} processes as {service.user} (uid 999), no capabilities")
    say(f"PID 1: {init.strip()}")


@pytest.mark.parametrize("service", [s for s in LONG_RUNNING if s.user], ids=lambda s: s.name)
def test_a_stop_right_after_start_is_prompt(running: Running, service: Service) -> None:
    """SIGTERM while the app is still starting (before Python has set its handler) must stop
    it, not wait out the grace period: a PID 1 ignores signals it has no handler for."""
    name = running.stack.container(service.name)
    podman("stop", name)
    podman("start", name)
    started = time.monotonic()
    podman("stop", "--time=20", name)
    took = time.monotonic() - started
    podman("start", name)
    assert took < 5, f"{service.name} took {took:.1f} s to stop on SIGTERM right after start"
    say(f"{service.name}: stopped {took:.1f} s after a SIGTERM sent as it started")


@pytest.mark.parametrize("service", [s for s in SERVICES if s.http], ids=lambda s: s.name)
def test_the_published_routes_answer_on_loopback(running: Running, service: Service) -> None:
    port = published_port(running.stack.container(service.name))
    assert port is not None, f"{service.name} publishes no port"
    base = f"http://127.0.0.1:{port}"
    wait_until(f"{service.name} listening on {base}", lambda: _answers(f"{base}/"))
    for path, body in service.http:
        res = httpx.get(f"{base}{path}", timeout=5)
        assert res.status_code == 200 and res.text.startswith(body), (path, res.status_code)
        say(f"GET 127.0.0.1:{port}{path}: {res.status_code} {res.text[:20].splitlines()[0]!r}")


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.TransportError:
        return False
    return True


def test_compose_ps_shows_every_health_check_healthy(running: Running) -> None:
    ready(running)
    listing = running.stack.compose("ps")
    for service in LONG_RUNNING:
        (line,) = [
            x for x in listing.splitlines() if x.endswith(running.stack.container(service.name))
        ]
        word = "(healthy)" if service.health != "none" else "Up "
        assert word in line, line
        say(re.sub(r"\s{2,}", "  ", line)[14:])
    assert "podman-compose ps" in DOCS


def set_webhook(running: Running) -> None:
    running.stack.compose("exec", "-T", "web", "wargabot", "telegram", "set-webhook")
    assert running.tg.webhook["url"] == f"{running.stack.env['PUBLIC_BASE_URL']}/telegram/webhook"
    assert running.tg.webhook["secret_token"] == running.stack.env["TELEGRAM_WEBHOOK_SECRET"]


def test_set_webhook_from_the_web_container(running: Running) -> None:
    set_webhook(running)
    say(f"the Bot API was told: setWebhook {running.tg.webhook['url']} with the secret token")


def test_doctor_finds_nothing_wrong(running: Running) -> None:
    set_webhook(running)  # else the doctor warns, rightly
    report = running.stack.compose("exec", "-T", "web", "wargabot", "doctor")
    assert report.rstrip().endswith("0 failed, 0 warning(s)"), report
    for line in (
        "redis: redis://redis:6379/0 answers (appendonly yes)",
        "(mode 0700)",
        "ok    encryption: new files are sealed with key id",
    ):
        assert line in report, report
    for line in report.splitlines():
        if line.startswith(("ok", "skip")):
            say(line)


def test_a_citizen_applies_through_the_containers(application: str) -> None:
    assert re.fullmatch(r"GWA-[A-Z0-9-]+", application), application


def var_backup() -> bytes:
    """The backup of the var volume, with the command in docs/operations.md (podman for docker)."""
    assert f"-v {PROJECT}_var:/data:ro {IMAGE} tar czf - -C /data ." in DOCS
    volume = f"{PROJECT}_var:/data:ro"
    return output("run", "--rm", "-v", volume, IMAGE, "tar", "czf", "-", "-C", "/data", ".")


def redis_backup(redis: str) -> bytes:
    """BGSAVE, then dump.rdb as `podman cp` would copy it out."""
    assert f"podman cp {redis}:/data/dump.rdb" in DOCS
    podman("exec", redis, "redis-cli", "BGSAVE")
    wait_until(
        "the BGSAVE",
        lambda: (
            "rdb_bgsave_in_progress:0"
            in podman("exec", redis, "redis-cli", "INFO", "persistence").stdout
        ),
    )
    with tempfile.TemporaryDirectory() as tmp:
        podman("cp", f"{redis}:/data/dump.rdb", f"{tmp}/dump.rdb")
        return Path(tmp, "dump.rdb").read_bytes()


def inbox(archive: bytes) -> list[tarfile.TarInfo]:
    """The messages in the Maildir's new/ in a backup of the var volume."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return [m for m in tar.getmembers() if m.name.startswith("./inbox/new/") and m.isfile()]


def test_the_backup_of_the_var_volume_holds_the_dossier(running: Running, application: str) -> None:
    archive = var_backup()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers()}
        mails = [m for name, m in members.items() if name.startswith("inbox/new/") and m.isfile()]
        assert len(mails) == 1, sorted(members)
        assert all(m.uid == 999 for m in members.values()), "not all owned by wargabot"
        raw = tar.extractfile(mails[0])
        assert raw is not None
        msg = email.message_from_bytes(raw.read(), policy=email.policy.default)
    attachments = list(msg.iter_attachments())
    record = json.loads(attachments[0].get_content())
    assert record["reference"] == application and record["channel"] == "telegram"
    assert record["answers"]["nama"]["value"] == "Nurhayati"
    photos = [str(a.get_filename()) for a in attachments[1:]]
    assert len(photos) == 4, photos
    stored = [n for n, m in members.items() if n.startswith("media/") and m.isfile()]
    assert len(stored) >= 4, stored
    assert f"media/dossiers/{application}.json" in stored, stored
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:  # DATA_KEY is set: all sealed
        for name in stored:
            head = (tar.extractfile(f"./{name}") or io.BytesIO()).read(8)
            assert not head.startswith((b"\xff\xd8", b"%PDF", b"{")), f"{name} is not encrypted"
    name = mails[0].name.rsplit("/", 1)[1][:24]
    say(f"var backup, {len(archive)} bytes: inbox/new/{name}... holds {application}")
    say(f"with {', '.join(photos)}; media/: {len(stored)} files, all encrypted; owner uid 999")


def test_redis_keeps_only_documented_keys_and_backs_up(running: Running, application: str) -> None:
    redis = running.stack.container("redis")
    keys = podman("exec", redis, "redis-cli", "--scan").stdout.split()
    documented = [
        re.escape(k).replace(r"\{channel:chat\}", r"\{\w+:\d+\}").replace(r"\*", ".+")
        for k in re.findall(r"`(wb:[^`]+)`", DOCS)
    ]
    assert keys and documented
    for key in keys:
        assert any(re.fullmatch(p, key) for p in documented), f"{key} is not in docs/operations.md"
        if f":{CHAT}}}" in key:
            ttl = int(podman("exec", redis, "redis-cli", "TTL", key).stdout)
            assert ttl > 0, f"{key} never expires"
    appendonly = podman("exec", redis, "redis-cli", "CONFIG", "GET", "appendfsync").stdout.split()
    assert appendonly == ["appendfsync", "everysec"]
    dump = redis_backup(redis)
    assert dump.startswith(b"REDIS"), dump[:10]
    say(f"{len(keys)} keys, each one docs/operations.md lists; dump.rdb {len(dump)} bytes")


def test_the_documented_commands_run(running: Running, application: str) -> None:
    status = running.stack.compose("exec", "-T", "worker", "wargabot", "outbox", "status")
    say(f"outbox status: {status.strip().splitlines()[0]}")
    rotate = running.stack.compose("exec", "-T", "worker", "wargabot", "keys", "rotate")
    say(f"keys rotate: {rotate.strip().splitlines()[-1] if rotate.strip() else 'done'}")
    retention = "find /app/var/media /app/var/inbox -type f -mtime +365 -delete"
    assert retention in DOCS
    running.stack.compose("exec", "-T", "worker", *retention.split())


def test_the_logs_show_the_services_and_no_personal_numbers(
    running: Running, application: str
) -> None:
    logs = running.stack.compose("logs", "web", "worker")
    assert "outbox worker" in logs and "Uvicorn running" in logs
    for number in (NIK, KK, PHONE, PHONE.removeprefix("+62")):
        assert number not in logs, f"the logs show {number} in full"
    config = (inspect("container", running.stack.container("web")) or {})["HostConfig"]["LogConfig"]
    assert config["Type"] in ("json-file", "k8s-file") and config["Size"] == "10MB", config
    say(f"{len(logs.splitlines())} log lines, no NIK, KK or phone number in full")
    say(f"log driver {config['Type']}, at most {config['Size']} per container")


def test_readyz_says_503_while_redis_is_down(running: Running) -> None:
    running.stack.compose("stop", "redis")
    try:
        res = httpx.get(f"{running.url}/readyz", timeout=10)
        assert res.status_code == 503, res.status_code
        assert httpx.get(f"{running.url}/healthz", timeout=5).status_code == 200
        say(f"redis stopped: /readyz {res.status_code} {res.text!r}, /healthz 200")
    finally:
        running.stack.compose("start", "redis")
    running.stack.wait_healthy("redis")
    wait_until("/readyz", lambda: httpx.get(f"{running.url}/readyz", timeout=5).status_code == 200)


def restore_commands() -> dict[str, list[str]]:
    """The restore commands in docs/operations.md: {volume: the command run in the image}."""
    found = re.findall(
        rf"docker run --rm -i --user root -v (\S+):/data {IMAGE} (.+?) < /opt/", DOCS, re.S
    )
    return {volume: shlex.split(command.replace("\\\n", " ")) for volume, command in found}


def psql(running: Running, query: str) -> str:
    postgres = running.stack.container("postgres")
    return podman("exec", postgres, "psql", *PG, "-tAc", query).stdout.strip()


def db_backup(running: Running) -> bytes:
    """pg_dump as docs/operations.md runs it (podman exec for docker compose exec -T)."""
    assert "exec -T postgres pg_dump --username=wargabot --format=custom --dbname=wargabot" in DOCS
    postgres = running.stack.container("postgres")
    return output("exec", postgres, "pg_dump", *PG, "--format=custom")


def test_a_restore_from_the_backups_brings_the_data_back(
    running: Running, application: str
) -> None:
    """docs/operations.md's restore: the stack down with its volumes kept, the Redis snapshot,
    the var archive and the database dump put back, the stack up again with what it had when
    they were made."""
    redis = running.stack.container("redis")
    known = f"wb:{{telegram:{CHAT}}}:known"
    case = f"SELECT count(*) FROM cases WHERE reference = '{application}'"
    assert psql(running, case) == "1", "the dossier made no case in the desk's database"
    dump, archive, db = redis_backup(redis), var_backup(), db_backup(running)
    # lost after the backups: a Redis key, the dossier in the Maildir, the case
    podman("exec", redis, "redis-cli", "DEL", known)
    worker = running.stack.container("worker")
    podman("exec", worker, "find", "/app/var/inbox/new", "-type", "f", "-delete")
    assert inbox(var_backup()) == []
    psql(running, "TRUNCATE cases CASCADE")
    assert psql(running, case) == "0"
    running.stack.compose("down")
    restores = restore_commands()
    assert set(restores) == {f"{PROJECT}_redis-data", f"{PROJECT}_var"}, restores
    for volume, data in ((f"{PROJECT}_redis-data", dump), (f"{PROJECT}_var", archive)):
        output(
            "run",
            "--rm",
            "-i",
            "--user=root",
            "-v",
            f"{volume}:/data",
            IMAGE,
            *restores[volume],
            stdin=data,
        )
    assert "docker compose up -d postgres" in DOCS
    running.stack.compose("up", "-d", "postgres")
    running.stack.wait_healthy("postgres")
    restore = "pg_restore --username=wargabot --dbname=wargabot --clean --if-exists"
    assert f"exec -T postgres {restore}" in DOCS
    output("exec", "-i", running.stack.container("postgres"), *restore.split(), stdin=db)
    running.stack.up()
    assert podman("exec", redis, "redis-cli", "EXISTS", known).stdout.strip() == "1"
    mails = inbox(var_backup())
    assert len(mails) == 1 and mails[0].uid == 999, mails
    assert psql(running, case) == "1"
    say(f"after the restore: {known}, inbox/new/{mails[0].name[12:36]}... and case")
    say(f"{application} are back (database dump: {len(db)} bytes)")


def test_down_removes_containers_volumes_and_network(running: Running) -> None:
    started = time.monotonic()
    assert running.stack.down() == [], "podman-compose down --volumes left these"
    say(f"down --volumes in {time.monotonic() - started:.1f} s: nothing of {PROJECT} is left")
