"""The data keys: their text form, key ids, the sealed-file header, and the keyring the settings
describe (DATA_KEY, DATA_KEY_FILE, DATA_OLD_KEYS)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.media.keyring import (
    HEADER_SIZE,
    MAGIC,
    OVERHEAD,
    Damaged,
    Keyring,
    decode_key,
    encode_key,
    key_id,
    load_keyring,
    new_key,
)

A, B, C = bytes(range(32)), bytes(range(1, 33)), bytes(range(2, 34))


def test_a_key_reads_back_from_its_text_and_from_openssl_base64() -> None:
    key = new_key()
    text = encode_key(key)
    assert len(text) == 43 and "=" not in text
    assert decode_key(text) == key
    assert decode_key(f"  {text}=\n") == key  # padded, with the newline of a key file
    assert decode_key(base64.b64encode(key).decode()) == key  # `openssl rand -base64 32`


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        encode_key(A)[:-1],
        encode_key(A) + "A",
        "é" * 43,
        base64.b64encode(A * 2).decode(),
    ],
)
def test_a_malformed_key_is_refused_with_the_setting_named(text: str) -> None:
    with pytest.raises(ValueError) as info:
        decode_key(text, "DATA_OLD_KEYS")
    assert str(info.value).startswith("DATA_OLD_KEYS must be a key from `wargabot keys new`")


def test_key_ids_are_stable_short_and_distinct() -> None:
    assert key_id(A) == key_id(bytes(range(32)))
    assert len(key_id(A)) == 8 and int(key_id(A), 16) >= 0
    assert len({key_id(k) for k in (A, B, C)}) == 3
    assert key_id(A) not in encode_key(A)  # the id is not a piece of the key


def test_the_header_names_the_format_and_the_key() -> None:
    ring = Keyring(A)
    sealed = ring.seal(b"data", "x.jpg")
    assert sealed.startswith(MAGIC) and sealed[4] == 1 and sealed[5:9].hex() == key_id(A)
    assert len(sealed) == len(b"data") + OVERHEAD
    assert ring.written_with(sealed[:HEADER_SIZE]) == key_id(A)
    assert ring.written_with(b"\xff\xd8\xff\xe0") is None  # a JPEG from before: plaintext
    assert ring.written_with(b"") is None
    with pytest.raises(Damaged, match="format version 2, written by a newer wargabot"):
        ring.written_with(MAGIC + b"\x02" + sealed[5:], "ab/c.jpg")
    with pytest.raises(Damaged, match="cut short"):
        ring.written_with(sealed[:7], "ab/c.jpg")


def test_each_seal_uses_a_fresh_nonce() -> None:
    ring = Keyring(A)
    first, second = ring.seal(b"same photo", "a.jpg"), ring.seal(b"same photo", "a.jpg")
    assert first[9:21] != second[9:21] and first[21:] != second[21:]
    assert ring.open(first, "a.jpg") == ring.open(second, "a.jpg") == b"same photo"


def test_without_a_current_key_nothing_is_sealed() -> None:
    ring = Keyring(None, (A,))
    assert not ring.encrypts and ring.seal(b"data", "x") == b"data"
    assert ring.open(Keyring(A).seal(b"data", "x"), "x") == b"data"  # old keys still open
    assert ring.describe() == f"no DATA_KEY is set, DATA_OLD_KEYS {key_id(A)}"


# --- from the settings -------------------------------------------------------------------------
def test_data_key_seals_and_old_keys_open() -> None:
    env = {"DATA_KEY": encode_key(A), "DATA_OLD_KEYS": f"{encode_key(B)}, {encode_key(C)}"}
    ring = load_keyring(load_settings(env))
    assert (ring.current_id, ring.old_ids) == (key_id(A), [key_id(B), key_id(C)])
    assert ring.describe() == f"DATA_KEY holds {key_id(A)}, DATA_OLD_KEYS {key_id(B)}, {key_id(C)}"
    sealed_by_b = Keyring(B).seal(b"record", "dossiers/R.json")
    assert ring.open(sealed_by_b, "dossiers/R.json") == b"record"


def test_no_key_setting_means_plaintext_and_empty_values_are_unset() -> None:
    ring = load_keyring(load_settings({"DATA_KEY": "", "DATA_KEY_FILE": "", "DATA_OLD_KEYS": " "}))
    assert not ring.encrypts and ring.old_ids == []


def test_a_key_file_holds_the_current_key_first_then_old_ones(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    path.write_text(f"# wargabot data key\n{encode_key(A)}\n\n{encode_key(B)}  # before 2026-12\n")
    ring = load_keyring(load_settings({"DATA_KEY_FILE": str(path), "DATA_OLD_KEYS": encode_key(C)}))
    assert (ring.current_id, ring.old_ids) == (key_id(A), [key_id(B), key_id(C)])
    assert ring.describe().startswith(f"DATA_KEY_FILE holds {key_id(A)}")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATA_KEY": "not-a-key"}, "DATA_KEY must be a key from `wargabot keys new`"),
        ({"DATA_OLD_KEYS": f"{encode_key(A)},x"}, "DATA_OLD_KEYS must be a key"),
        ({"DATA_KEY": encode_key(A), "DATA_KEY_FILE": "k"}, "DATA_KEY and DATA_KEY_FILE are both"),
        ({"DATA_KEY_FILE": "missing.key"}, "DATA_KEY_FILE: cannot read missing.key (no such file"),
        ({"DATA_KEY_FILE": "empty.key"}, "DATA_KEY_FILE (empty.key) holds no key"),
        ({"DATA_KEY_FILE": "bad.key"}, "DATA_KEY_FILE (bad.key) must be a key"),
    ],
)
def test_a_bad_key_setting_is_a_config_error_naming_it(
    env: dict[str, str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("empty.key").write_text("# nothing yet\n")
    Path("bad.key").write_text("hunter2\n")
    with pytest.raises(ConfigError) as info:
        load_keyring(load_settings(env))
    assert str(info.value).startswith(message)
    assert encode_key(A) not in str(info.value)  # a key is never repeated in an error
