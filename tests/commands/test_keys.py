"""`wargabot keys new | status | rotate` on real folders: a new key is never written over an old
one; rotation seals every file with the current key, one atomic replacement at a time, survives
being killed half-way and finishes when run again."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bot.commands import keys
from bot.commands.main import main
from bot.config import Settings
from bot.media.keyring import Keyring, decode_key, encode_key, key_id
from bot.media.store import MediaStore

OLD, NEW = bytes(range(32)), bytes(range(50, 82))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDIA_DIR", str(tmp_path / "media"))


def fill(root: Path, n: int, size: int = 2048) -> dict[str, bytes]:
    """n files: a third plaintext (from before encryption), the rest under OLD; by name."""
    files = {}
    for i in range(n):
        data = os.urandom(size)
        store = MediaStore(root) if i % 3 == 0 else MediaStore(root, Keyring(OLD))
        files[store.put(data, "image/jpeg").key] = data
    return files


def test_keys_new_prints_a_key_and_its_id(capsys: Any) -> None:
    assert main(["keys", "new"]) == 0
    out, err = capsys.readouterr()
    key = decode_key(out.strip())
    assert out.count("\n") == 1 and f"key id {key_id(key)}" in err
    assert "apart from the data" in err
    assert main(["keys", "new"]) == 0
    assert capsys.readouterr().out != out  # random every time


def test_keys_new_writes_an_owner_only_file_and_never_overwrites_one(
    tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "secrets" / "data.key"
    assert main(["keys", "new", "--out", str(path)]) == 0
    text = path.read_text()
    decode_key(text)
    assert path.stat().st_mode & 0o777 == 0o600
    assert main(["keys", "new", "--out", str(path)]) == 2
    assert "is never overwritten" in capsys.readouterr().err
    assert path.read_text() == text


def test_status_counts_files_by_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(tmp_path / "media", 6)
    out = io.StringIO()
    store = MediaStore(tmp_path / "media", Keyring(NEW, (OLD,)))
    assert keys.status(store, out) == 0
    text = out.getvalue()
    assert f"keys: DATA_KEY holds {key_id(NEW)}, DATA_OLD_KEYS {key_id(OLD)}" in text
    assert f"        4  sealed with key id {key_id(OLD)} (DATA_OLD_KEYS)" in text
    assert "        2  not encrypted" in text
    assert "6 files are not yet under key id" in text
    out = io.StringIO()
    assert keys.status(MediaStore(tmp_path / "media", Keyring(NEW)), out) == 1  # OLD is missing
    assert f"4  sealed with key id {key_id(OLD)}: no key set here opens them" in out.getvalue()


def test_rotate_seals_every_file_with_the_current_key(tmp_path: Path, capsys: Any) -> None:
    root = tmp_path / "media"
    files = fill(root, 9)
    os.environ["DATA_KEY"], os.environ["DATA_OLD_KEYS"] = encode_key(NEW), encode_key(OLD)
    try:
        assert main(["keys", "rotate"]) == 0
        out = capsys.readouterr().out
        assert "done: 9 files sealed anew, 0 already were, 0 could not be opened" in out
        assert "DATA_OLD_KEYS is no longer needed" in out
        assert main(["keys", "rotate"]) == 0  # again: nothing left to do
        assert "done: 0 files sealed anew, 9 already were" in capsys.readouterr().out
    finally:
        del os.environ["DATA_KEY"], os.environ["DATA_OLD_KEYS"]
    only_new = MediaStore(root, Keyring(NEW))
    assert dict(only_new.census().files) == {key_id(NEW): 9}
    assert {name: only_new.read(name) for name in files} == files


def test_rotate_keeps_the_time_each_file_was_received(tmp_path: Path) -> None:
    """Retention deletes by age (`find -mtime +365`): a rotation must not make old files new."""
    root = tmp_path / "media"
    files = fill(root, 3)
    received = time.time() - 400 * 86400
    for name in files:
        os.utime(root / name, (received, received))
    assert keys.rotate(MediaStore(root, Keyring(NEW, (OLD,))), io.StringIO()) == 0
    for name in files:
        assert abs((root / name).stat().st_mtime - received) < 1
    assert dict(MediaStore(root, Keyring(NEW)).census().files) == {key_id(NEW): 3}


def test_rotate_leaves_files_it_cannot_open_and_names_them(tmp_path: Path) -> None:
    root = tmp_path / "media"
    fill(root, 3)
    out = io.StringIO()
    assert keys.rotate(MediaStore(root, Keyring(NEW)), out) == 1  # OLD not given
    text = out.getvalue()
    assert "done: 1 files sealed anew, 0 already were, 2 could not be opened" in text
    assert f"was written with key id {key_id(OLD)}; DATA_KEY holds {key_id(NEW)}" in text
    census = MediaStore(root, Keyring(NEW)).census()
    assert dict(census.files) == {key_id(NEW): 1, key_id(OLD): 2}  # untouched, still readable


def test_rotate_needs_a_current_key(capsys: Any) -> None:
    os.environ["DATA_OLD_KEYS"] = encode_key(OLD)
    try:
        assert main(["keys", "rotate"]) == 2
    finally:
        del os.environ["DATA_OLD_KEYS"]
    assert "DATA_KEY is not set" in capsys.readouterr().err


def test_a_bad_key_setting_stops_the_command(capsys: Any) -> None:
    os.environ["DATA_KEY"] = "too-short"
    try:
        assert main(["keys", "status"]) == 2
    finally:
        del os.environ["DATA_KEY"]
    assert "bad setting: DATA_KEY must be a key" in capsys.readouterr().err


def test_an_interrupted_rotation_loses_nothing_and_finishes_when_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted in the middle of one file (after its new copy is written, before it takes
    the old one's place): the old copy stays, the half-done one is a temporary file."""
    root = tmp_path / "media"
    files = fill(root, 6)
    ring = Keyring(NEW, (OLD,))
    real_replace, calls = os.replace, []

    def crash_on_the_fourth(src: Any, dst: Any) -> None:
        calls.append(dst)
        if len(calls) == 4:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the machine going down
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        keys.rotate(MediaStore(root, ring), io.StringIO())
    monkeypatch.setattr(os, "replace", real_replace)
    store = MediaStore(root, ring)
    assert {name: store.read(name) for name in files} == files
    census = store.census()
    assert census.files[key_id(NEW)] == 3 and census.total == 6  # three done, three to go
    assert not list(root.rglob("*.tmp"))  # the interrupted file's new copy was cleared away
    out = io.StringIO()
    assert keys.rotate(store, out) == 0
    assert "done: 3 files sealed anew, 3 already were" in out.getvalue()
    assert {name: store.read(name) for name in files} == files
    assert dict(store.census().files) == {key_id(NEW): 6}


def test_rotation_killed_by_sigkill_resumes(tmp_path: Path) -> None:
    """The real command, SIGKILLed while it works through 600 files: every file still opens
    with the keyring, and a second run seals the rest."""
    root = tmp_path / "media"
    files = fill(root, 600, size=256)
    env = {
        **os.environ,
        "MEDIA_DIR": str(root),
        "DATA_KEY": encode_key(NEW),
        "DATA_OLD_KEYS": encode_key(OLD),
    }
    ring = Keyring(NEW, (OLD,))
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "keys", "rotate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while MediaStore(root, ring).census().files[key_id(NEW)] < 20:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    store = MediaStore(root, ring)
    done = store.census().files[key_id(NEW)]
    assert 20 <= done < 600, done  # killed part-way through
    assert {name: store.read(name) for name in files} == files
    again = subprocess.run(
        [sys.executable, "-m", "bot", "keys", "rotate"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"{600 - done} files sealed anew" in again.stdout
    assert dict(store.census().files) == {key_id(NEW): 600}
    assert {name: store.read(name) for name in files} == files


def test_stale_temporary_files_are_removed_by_rotate(tmp_path: Path) -> None:
    root = tmp_path / "media"
    fill(root, 1)
    (root / "ab").mkdir(parents=True, exist_ok=True)
    stale, fresh = root / "ab" / ".x.jpg.0001.tmp", root / "ab" / ".y.jpg.0002.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"being written now")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    out = io.StringIO()
    assert keys.rotate(MediaStore(root, Keyring(NEW, (OLD,))), out) == 0
    assert "1 left-over temporary files removed" in out.getvalue()
    assert not stale.exists() and fresh.exists()


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["chat"]])
def test_a_bad_key_stops_serve_worker_and_chat_before_they_start(
    command: list[str], tmp_path: Path, capsys: Any
) -> None:
    os.environ["DATA_KEY_FILE"] = str(tmp_path / "nowhere.key")
    try:
        assert main(command) == 2
    finally:
        del os.environ["DATA_KEY_FILE"]
    assert f"DATA_KEY_FILE: cannot read {tmp_path / 'nowhere.key'}" in capsys.readouterr().err
