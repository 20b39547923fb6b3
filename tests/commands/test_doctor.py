"""`wargabot doctor` against real servers: redis-server, aiosmtpd, the fake Bot API and the fake
Twilio REST API, real folders; exit codes through `bot.commands.main.main`."""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bot.commands.doctor import (
    Result,
    _scrub,
    _secrets,
    check_folders,
    check_redis,
    check_smtp,
    check_telegram,
    check_twilio,
    check_webhook_sink,
    diagnose,
    mask_url,
)
from bot.commands.main import main
from bot.config import load_settings
from tests.kit.database import migrated_sqlite
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_NUMBER, FakeTwilio
from tests.kit.ports import free_port
from tests.kit.redis_server import RedisServer

pytestmark = [
    pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

TOKEN = "123456:" + "A" * 35
OTHER_TOKEN = "123456:" + "B" * 35
SECRET = "s3cret-webhook-token-123"
STAFF = "-1001234567890"
SMTP_USER, SMTP_PASSWORD = "kantor", "benar-sekali-42"


def only(results: list[Result], name: str) -> Result:
    found = [r for r in results if r.name == name]
    assert len(found) == 1, results
    return found[0]


def base_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {"MEDIA_DIR": str(tmp / "media"), "INBOX_MAILDIR": str(tmp / "inbox")}
    env["DATABASE_URL"] = migrated_sqlite(tmp)
    return env | extra


# --- output ----------------------------------------------------------------------------------
def test_mask_url_hides_passwords_only() -> None:
    assert mask_url("redis://:pass@h:6379/0") == "redis://:***@h:6379/0"
    assert mask_url("rediss://user:p%40ss@h/1") == "rediss://user:***@h/1"
    assert mask_url("redis://h:6379/0") == "redis://h:6379/0"
    assert mask_url("unix:///run/redis.sock?db=0&password=x") == (
        "unix:///run/redis.sock?db=0&password=***"
    )


def test_a_failure_prints_its_fix_on_the_next_line() -> None:
    line = Result("smtp", "fail", "cannot reach mail.example:587 (connection refused)", "fix it")
    assert line.render() == (
        "FAIL  smtp: cannot reach mail.example:587 (connection refused)\n      fix: fix it"
    )
    assert Result("redis", "ok", "fine").render() == "ok    redis: fine"


def test_secrets_are_blotted_out_of_any_text(tmp_path: Path) -> None:
    env = smtp_env(tmp_path, "smtps://kantor:rahasia-99@mail.example.org")
    env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "REDIS_URL": "redis://:sandi-redis@h:6379/0"}
    secrets = _secrets(load_settings(env))
    leaky = Result("x", "fail", f"url .../bot{TOKEN}/getMe said rahasia-99", "sandi-redis")
    assert _scrub(leaky, secrets) == Result("x", "fail", "url .../bot***/getMe said ***", "***")


# --- Redis -----------------------------------------------------------------------------------
async def test_redis_that_answers_without_appendonly_is_a_warning(
    redis_url: str, tmp_path: Path
) -> None:
    [result] = await check_redis(load_settings(base_env(tmp_path, REDIS_URL=redis_url)))
    assert result.status == "warn"
    assert f"{redis_url} answers, but appendonly is no" in result.detail
    assert "appendonly yes" in result.fix


async def test_redis_unreachable_fails(tmp_path: Path) -> None:
    url = f"redis://:hush-hush-99@127.0.0.1:{free_port()}/0"
    [result] = await check_redis(load_settings(base_env(tmp_path, REDIS_URL=url)))
    assert result.status == "fail"
    assert "connection refused" in result.detail
    assert "redis://:***@127.0.0.1:" in result.detail
    assert "hush-hush-99" not in result.render()


async def test_redis_unset_is_a_warning_about_memory(tmp_path: Path) -> None:
    [result] = await check_redis(load_settings(base_env(tmp_path)))
    assert result.status == "warn"
    assert "in memory" in result.detail


@pytest.fixture
def aof_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """Its own redis-server with appendonly on and a password (not the shared one)."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is needed (see tests/kit/redis_server.py)"
    server = RedisServer(binary, free_port(), tmp_path)
    server.start(appendonly=True)
    with redis.Redis(port=server.port) as client:
        client.config_set("requirepass", "kunci-redis-77")
    try:
        yield server
    finally:
        server.stop()


async def test_redis_password_and_appendonly(aof_redis: RedisServer, tmp_path: Path) -> None:
    good = f"redis://:kunci-redis-77@127.0.0.1:{aof_redis.port}/0"
    [result] = await check_redis(load_settings(base_env(tmp_path, REDIS_URL=good)))
    assert result.render() == f"ok    redis: redis://:***@127.0.0.1:{aof_redis.port}/0 answers " + (
        "(appendonly yes)"
    )
    wrong = f"redis://:salah-77@127.0.0.1:{aof_redis.port}/0"
    [result] = await check_redis(load_settings(base_env(tmp_path, REDIS_URL=wrong)))
    assert result.status == "fail"
    assert "refused the login" in result.detail
    assert "salah-77" not in result.render()


# --- SMTP ------------------------------------------------------------------------------------
class Accept:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raise AssertionError("doctor must not send mail")


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), which also serves as its own CA."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    args = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    args += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
    subprocess.run(
        [*args, "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[int]:
    """aiosmtpd with STARTTLS and AUTH (PLAIN/LOGIN) on 127.0.0.1; yields its port."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    port = free_port()
    controller = Controller(
        Accept(),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def smtp_env(tmp: Path, url: str, **extra: str) -> dict[str, str]:
    return base_env(tmp, SMTP_URL=url, INBOX_EMAIL_TO="dinsos@example.org") | extra


async def test_smtp_starttls_and_login(
    smtp_server: int, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    url = f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp_server}"
    env = smtp_env(tmp_path, url, SMTP_CA_FILE=str(certificate[0]))
    [result] = await check_smtp(load_settings(env))
    assert result.render() == f"ok    smtp: 127.0.0.1:{smtp_server} logged in (STARTTLS)"


async def test_smtp_wrong_password_is_a_login_failure(
    smtp_server: int, certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    url = f"smtp://{SMTP_USER}:keliru-sekali-13@127.0.0.1:{smtp_server}"
    env = smtp_env(tmp_path, url, SMTP_CA_FILE=str(certificate[0]))
    [result] = await check_smtp(load_settings(env))
    assert result.status == "fail"
    assert result.detail == f"127.0.0.1:{smtp_server} refused the login (535)"
    assert "password in SMTP_URL" in result.fix
    assert "keliru-sekali-13" not in result.render()


async def test_smtp_untrusted_certificate_is_a_tls_failure(
    smtp_server: int, tmp_path: Path
) -> None:
    url = f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp_server}"
    [result] = await check_smtp(load_settings(smtp_env(tmp_path, url)))
    assert result.status == "fail"
    assert result.detail.startswith(f"TLS failed with 127.0.0.1:{smtp_server}")
    assert "SMTP_CA_FILE" in result.fix
    assert SMTP_PASSWORD not in result.render()


async def test_smtps_against_a_plain_server_is_a_tls_failure(
    smtp_server: int, tmp_path: Path
) -> None:
    url = f"smtps://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp_server}"
    [result] = await check_smtp(load_settings(smtp_env(tmp_path, url)))
    assert result.status == "fail"
    assert result.detail.startswith("TLS failed")


async def test_smtp_unreachable(tmp_path: Path) -> None:
    port = free_port()
    url = f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{port}"
    [result] = await check_smtp(load_settings(smtp_env(tmp_path, url)))
    assert result.render().startswith(
        f"FAIL  smtp: cannot reach 127.0.0.1:{port} (connection refused)\n      fix: "
    )
    assert SMTP_PASSWORD not in result.render()


# --- Telegram --------------------------------------------------------------------------------
def telegram_env(tmp: Path, tg: FakeTelegram, token: str = TOKEN, **extra: str) -> dict[str, str]:
    env = base_env(tmp, TELEGRAM_BOT_TOKEN=token, TELEGRAM_WEBHOOK_SECRET=SECRET)
    return env | {"TELEGRAM_API_URL": tg.url} | extra


async def test_telegram_good_token_webhook_and_staff_chat(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        tg.tokens = {TOKEN}
        tg.webhook["url"] = "https://bot.example.org/telegram/webhook"
        tg.webhook_extra = {"pending_update_count": 3}
        tg.chats[STAFF] = {"id": int(STAFF), "type": "supergroup", "title": "Staf Dinsos"}
        env = telegram_env(
            tmp_path, tg, PUBLIC_BASE_URL="https://bot.example.org", STAFF_TELEGRAM_CHAT_ID=STAFF
        )
        results = await check_telegram(load_settings(env))
    assert [r.status for r in results] == ["ok", "ok", "ok"], results
    assert results[0].detail == "bot @wargauji_bot (id 123456) answers"
    assert results[1].detail == "https://bot.example.org/telegram/webhook, 3 pending update(s)"
    assert results[2].detail == f"supergroup chat {STAFF} 'Staf Dinsos'"
    assert TOKEN not in "\n".join(r.render() for r in results)


async def test_telegram_webhook_mismatch_and_unknown_staff_chat(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        tg.webhook["url"] = "https://old.example.org/telegram/webhook"
        tg.webhook_extra = {"last_error_message": "Connection refused"}
        env = telegram_env(
            tmp_path, tg, PUBLIC_BASE_URL="https://bot.example.org", STAFF_TELEGRAM_CHAT_ID=STAFF
        )
        results = await check_telegram(load_settings(env))
        hook = only(results, "telegram webhook")
        assert hook.status == "warn"
        assert "last delivery error: Connection refused" in hook.detail
        tg.webhook_extra = {}
        results = await check_telegram(load_settings(env))
    hook = only(results, "telegram webhook")
    assert hook.status == "warn"
    assert hook.detail.startswith(
        "is https://old.example.org/telegram/webhook, expected https://bot.example.org/telegram/"
    )
    assert hook.fix == "wargabot telegram set-webhook"
    staff = only(results, "telegram staff chat")
    assert staff.status == "fail"
    assert "add the bot to the staff group" in staff.fix


async def test_telegram_empty_webhook_is_a_warning(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        env = telegram_env(tmp_path, tg, PUBLIC_BASE_URL="https://bot.example.org")
        hook = only(await check_telegram(load_settings(env)), "telegram webhook")
    assert hook.status == "warn"
    assert hook.detail.startswith("is not set, expected https://bot.example.org/telegram/webhook")


async def test_telegram_refused_token(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        tg.tokens = {TOKEN}
        results = await check_telegram(load_settings(telegram_env(tmp_path, tg, OTHER_TOKEN)))
    [result] = results
    assert result.status == "fail"
    assert result.fix.startswith("check TELEGRAM_BOT_TOKEN from BotFather")
    assert OTHER_TOKEN not in result.render()


# --- Twilio ----------------------------------------------------------------------------------
def twilio_env(tmp: Path, tw: FakeTwilio, token: str = AUTH_TOKEN, **extra: str) -> dict[str, str]:
    env = base_env(tmp, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=token)
    env |= {"TWILIO_API_URL": tw.url, "TWILIO_WHATSAPP_FROM": WHATSAPP_NUMBER}
    return env | {"PUBLIC_BASE_URL": "https://bot.example.org"} | extra


async def test_twilio_good_credentials(tmp_path: Path) -> None:
    async with FakeTwilio() as tw:
        results = await check_twilio(load_settings(twilio_env(tmp_path, tw)))
    assert [r.status for r in results] == ["ok", "ok"], results
    assert results[0].detail == f"account {ACCOUNT_SID} is active (Full)"
    assert AUTH_TOKEN not in "\n".join(r.render() for r in results)


async def test_twilio_bad_credentials_and_sender(tmp_path: Path) -> None:
    async with FakeTwilio() as tw:
        env = twilio_env(tmp_path, tw, "0" * 32, TWILIO_WHATSAPP_FROM="+62 812 0000 0101")
        results = await check_twilio(load_settings(env))
    account, sender = results
    assert account.status == "fail"
    assert "(401)" in account.detail
    assert account.fix.startswith("check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN")
    assert sender.status == "fail"
    assert "whatsapp:+" in sender.fix


async def test_twilio_suspended_account_fails(tmp_path: Path) -> None:
    async with FakeTwilio() as tw:
        tw.account_status = "suspended"
        results = await check_twilio(load_settings(twilio_env(tmp_path, tw)))
    assert results[0].status == "fail"
    assert "suspended" in results[0].detail


# --- folders ---------------------------------------------------------------------------------
async def test_folders_are_created_owner_only_and_writable(tmp_path: Path) -> None:
    results = await check_folders(load_settings(base_env(tmp_path)))
    assert [r.status for r in results] == ["ok", "ok"], results
    assert (tmp_path / "inbox" / "tmp").is_dir()
    assert list((tmp_path / "inbox" / "tmp").iterdir()) == []  # the probe file is gone
    assert (tmp_path / "inbox").stat().st_mode & 0o777 == 0o700


async def test_a_folder_readable_by_others_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir(mode=0o755)
    os.chmod(tmp_path / "inbox", 0o755)
    maildir = only(await check_folders(load_settings(base_env(tmp_path))), "maildir")
    assert maildir.status == "warn"
    assert maildir.fix == f"chmod 700 {tmp_path / 'inbox'}"


async def test_a_maildir_under_a_file_fails(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a folder")
    env = base_env(tmp_path, INBOX_MAILDIR=str(tmp_path / "plain-file" / "inbox"))
    maildir = only(await check_folders(load_settings(env)), "maildir")
    assert maildir.status == "fail"
    assert "not writable (not a directory)" in maildir.detail
    assert "INBOX_MAILDIR" in maildir.fix


async def test_a_read_only_media_folder_fails(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: a read-only folder is still writable")
    (tmp_path / "media").mkdir(mode=0o500)
    try:
        media = only(await check_folders(load_settings(base_env(tmp_path))), "media")
    finally:
        os.chmod(tmp_path / "media", 0o700)
    assert media.status == "fail"
    assert "permission denied" in media.detail


async def test_maildir_off_is_not_checked(tmp_path: Path) -> None:
    env = base_env(tmp_path, INBOX_MAILDIR_ENABLED="false", INBOX_WEBHOOK_URL="http://127.0.0.1:1")
    env["INBOX_WEBHOOK_SECRET"] = "x" * 20
    results = await check_folders(load_settings(env))
    assert only(results, "maildir").status == "skip"
    assert not (tmp_path / "inbox").exists()


# --- webhook sink ----------------------------------------------------------------------------
async def test_webhook_sink_connects_and_sends_nothing(tmp_path: Path) -> None:
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read())
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    env = base_env(tmp_path, INBOX_WEBHOOK_URL=f"http://127.0.0.1:{port}/dossier?token=abc")
    env["INBOX_WEBHOOK_SECRET"] = "x" * 20
    async with server:
        [result] = await check_webhook_sink(load_settings(env))
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
    assert result.render() == (
        f"ok    inbox webhook: http://127.0.0.1:{port} accepts connections (nothing was sent)"
    )
    assert received == [b""]

    env["INBOX_WEBHOOK_URL"] = f"http://127.0.0.1:{free_port()}/dossier"
    [result] = await check_webhook_sink(load_settings(env))
    assert result.status == "fail"
    assert "connection refused" in result.detail


# --- the whole run ---------------------------------------------------------------------------
async def test_a_bad_setting_names_itself_and_the_other_checks_still_run(
    tmp_path: Path, redis_url: str
) -> None:
    env = base_env(tmp_path, REDIS_URL=redis_url, TELEGRAM_BOT_TOKEN="not-a-token", PORT="x")
    results = await diagnose(env)
    settings = only(results, "settings")
    assert settings.status == "fail"
    assert "TELEGRAM_BOT_TOKEN: " in settings.detail
    assert "PORT: " in settings.detail
    assert "not-a-token" not in settings.render()
    assert only(results, "telegram").detail.startswith("not checked: TELEGRAM_BOT_TOKEN is bad")
    assert only(results, "redis").detail.startswith(f"{redis_url} answers")
    assert only(results, "maildir").status == "ok"


async def test_channels_and_inbox_problems_are_reported(tmp_path: Path) -> None:
    env = base_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, INBOX_EMAIL_TO="dinsos@example.org")
    env["TELEGRAM_API_URL"] = f"http://127.0.0.1:{free_port()}"
    results = await diagnose(env)
    assert only(results, "channels").detail.startswith("TELEGRAM_WEBHOOK_SECRET is missing")
    assert only(results, "inbox").detail.startswith("SMTP_URL is missing")
    telegram = only(results, "telegram")
    assert telegram.status == "fail"
    assert telegram.detail.startswith("cannot reach http://127.0.0.1:")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No wargabot settings from this machine's environment; cwd without a .env."""
    from bot.config import Settings

    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("INBOX_MAILDIR", str(tmp_path / "inbox"))
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite(tmp_path))
    return tmp_path


async def test_the_database_is_checked_answering_and_current(tmp_path: Path) -> None:
    results = await diagnose(base_env(tmp_path))
    db = next(r for r in results if r.name == "database")
    assert db.status == "ok" and "schema current" in db.detail
    old = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    db = next(
        r for r in await diagnose(base_env(tmp_path, DATABASE_URL=old)) if r.name == "database"
    )
    assert db.status == "fail" and db.fix == "run `wargabot db upgrade`"
    down = f"postgresql+asyncpg://wargabot:s3cr3t-pass@127.0.0.1:{free_port()}/wargabot"
    results = await diagnose(base_env(tmp_path, DATABASE_URL=down))
    db = next(r for r in results if r.name == "database")
    assert db.status == "fail" and "cannot connect (connection refused)" in db.detail
    assert "s3cr3t-pass" not in db.detail + db.fix and "***" in db.detail


def test_exit_code_0_with_warnings_only(
    clean_env: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("DATA_KEY", "Example-key-do-not-use-0123456789abcdefghij")  # no 2nd warning
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"warn  redis: {redis_url} answers, but appendonly is no" in out
    assert "0 failed, 1 warning(s)" in out


def test_exit_code_1_when_redis_is_unreachable(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert main(["doctor"]) == 1
    assert "FAIL  redis: cannot reach" in capsys.readouterr().out


def test_exit_code_1_for_a_bad_setting(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("SESSION_TTL_DAYS", "-3")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  settings: SESSION_TTL_DAYS: " in out
    assert "ok    maildir: " in out  # the other checks still ran
