"""`wargabot doctor` on encryption at rest: it warns while personal data is stored unencrypted
(no key, or plaintext files left from before), fails when files need a key it does not have, and
checks the key file's permissions and place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.commands.doctor import Result, check_encryption, diagnose
from bot.commands.main import main
from bot.config import Settings, load_settings
from bot.media.keyring import Keyring, encode_key, key_id
from bot.media.store import MediaStore
from tests.kit.database import migrated_sqlite

KEY, OLD = bytes(range(32)), bytes(range(50, 82))


def encryption(results: list[Result]) -> list[tuple[str, str]]:
    return [(r.status, r.detail) for r in results if r.name == "encryption"]


async def check(tmp: Path, **env: str) -> list[tuple[str, str]]:
    settings = load_settings({"MEDIA_DIR": str(tmp / "media"), **env})
    return encryption(await check_encryption(settings))


async def test_no_key_is_a_warning_that_says_how_many_files_are_unencrypted(
    tmp_path: Path,
) -> None:
    ((status, detail),) = await check(tmp_path)
    assert status == "warn"
    assert (
        detail
        == "DATA_KEY is not set: photos and dossier records in MEDIA_DIR are stored unencrypted"
    )
    MediaStore(tmp_path / "media").write("ab/x.jpg", b"\xff\xd8\xff")
    ((status, detail),) = await check(tmp_path)
    assert status == "warn" and detail.endswith("stored unencrypted (1 files now)")


async def test_with_a_key_plaintext_and_old_files_left_are_a_warning(tmp_path: Path) -> None:
    media = tmp_path / "media"
    MediaStore(media).write("ab/plain.jpg", b"\xff\xd8\xff")
    MediaStore(media, Keyring(OLD)).write("ab/old.jpg", b"x")
    MediaStore(media, Keyring(KEY)).write("ab/new.jpg", b"x")
    found = await check(tmp_path, DATA_KEY=encode_key(KEY), DATA_OLD_KEYS=encode_key(OLD))
    assert found == [
        ("ok", f"new files are sealed with key id {key_id(KEY)}"),
        (
            "warn",
            f"2 files in MEDIA_DIR are not under key id {key_id(KEY)} "
            f"(1 unencrypted, 1 under old key id {key_id(OLD)})",
        ),
    ]
    MediaStore(media, Keyring(KEY, (OLD,))).reseal("ab/plain.jpg")
    MediaStore(media, Keyring(KEY, (OLD,))).reseal("ab/old.jpg")
    found = await check(tmp_path, DATA_KEY=encode_key(KEY), DATA_OLD_KEYS=encode_key(OLD))
    assert found == [
        (
            "ok",
            f"new files are sealed with key id {key_id(KEY)}; no file needs old key id "
            f"{key_id(OLD)} any more",
        )
    ]


async def test_files_no_configured_key_opens_fail(tmp_path: Path) -> None:
    MediaStore(tmp_path / "media", Keyring(OLD)).write("dossiers/R.json", b"{}")
    found = await check(tmp_path, DATA_KEY=encode_key(KEY))
    assert found[-1] == (
        "fail",
        f"1 files in MEDIA_DIR were sealed with key id {key_id(OLD)}, which no key set here has",
    )
    (tmp_path / "media" / "dossiers" / "cut.json").write_bytes(b"\x89WBE\x01")
    found = await check(tmp_path, DATA_KEY=encode_key(KEY), DATA_OLD_KEYS=encode_key(OLD))
    assert found[-1][0] == "fail"
    assert found[-1][1].startswith("1 files in MEDIA_DIR are damaged: dossiers/cut.json is cut")


async def test_a_key_file_readable_by_others_or_inside_media_dir_is_a_warning(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "media" / "data.key"
    key_file.parent.mkdir()
    key_file.write_text(encode_key(KEY) + "\n")
    key_file.chmod(0o644)
    found = await check(tmp_path, DATA_KEY_FILE=str(key_file))
    assert found[:2] == [
        ("warn", f"DATA_KEY_FILE {key_file} is readable by others (mode 0644)"),
        (
            "warn",
            f"DATA_KEY_FILE {key_file} is inside MEDIA_DIR: a copy of the folder carries its key",
        ),
    ]
    key_file.unlink()  # it also counted as a plaintext file in MEDIA_DIR
    safe = tmp_path / "keys" / "data.key"
    safe.parent.mkdir()
    safe.write_text(encode_key(KEY) + "\n")
    safe.chmod(0o600)
    assert await check(tmp_path, DATA_KEY_FILE=str(safe)) == [
        ("ok", f"new files are sealed with key id {key_id(KEY)}")
    ]


async def test_a_bad_key_setting_fails_and_no_key_is_ever_printed(tmp_path: Path) -> None:
    env = {
        "MEDIA_DIR": str(tmp_path / "media"),
        "INBOX_MAILDIR": str(tmp_path / "inbox"),
        "DATA_KEY": encode_key(KEY),
        "DATA_OLD_KEYS": "nonsense",
    }
    results = await diagnose(env)
    assert encryption(results) == [
        (
            "fail",
            "DATA_OLD_KEYS must be a key from `wargabot keys new` (43 characters of base64), "
            "not 8 characters",
        )
    ]
    text = "\n".join(r.render() for r in results)
    assert encode_key(KEY) not in text


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("INBOX_MAILDIR", str(tmp_path / "inbox"))
    monkeypatch.setenv("DATABASE_URL", migrated_sqlite(tmp_path))  # the doctor checks it too
    return tmp_path


def test_doctor_exits_1_when_files_need_a_missing_key(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    MediaStore(clean_env / "media", Keyring(OLD)).write("ab/x.jpg", b"x")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert f"FAIL  encryption: 1 files in MEDIA_DIR were sealed with key id {key_id(OLD)}" in out
    monkeypatch.setenv("DATA_KEY", encode_key(OLD))
    assert main(["doctor"]) == 0
    assert (
        f"ok    encryption: new files are sealed with key id {key_id(OLD)}"
        in capsys.readouterr().out
    )
