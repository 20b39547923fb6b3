"""The media store at rest: photos, PDFs and dossier records under MEDIA_DIR are sealed with the
current key, cannot be opened as an image, a PDF or JSON without it, and a wrong key, a changed
file or a moved file is a clear error. Plaintext files from before encryption still read."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
from pathlib import Path

import pytest
from PIL import Image, UnidentifiedImageError

from bot.delivery.record import to_record
from bot.media.intake import intake
from bot.media.keyring import Damaged, Keyring, WrongKey, key_id
from bot.media.store import MediaStore, sniff
from tests.kit import photo_factory as pf
from tests.kit.outbox import make_dossier

A, B = bytes(range(32)), bytes(range(100, 132))


def record_bytes(store: MediaStore) -> tuple[str, bytes]:
    dossier = make_dossier(store, 7, photos=1)
    data = json.dumps(to_record(dossier), ensure_ascii=False, indent=2).encode()
    return f"dossiers/{dossier.reference}.json", data


async def test_nothing_under_media_dir_opens_without_the_key(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media", Keyring(A))
    photo = await intake(pf.jpeg(pf.document(seed=3)), store)  # the real intake: a clean JPEG
    pdf = store.put(pf.pdf(pages=2), "application/pdf")
    name, record = record_bytes(store)
    store.write(name, record)
    stored = sorted(p for p in (tmp_path / "media").rglob("*") if p.is_file())
    assert len(stored) == 4  # the photo, the PDF, the record and the record's own photo
    for path in stored:
        raw = path.read_bytes()
        assert sniff(raw) is None, path
        with pytest.raises(UnidentifiedImageError):
            Image.open(io.BytesIO(raw))
        with pytest.raises(ValueError):  # UnicodeDecodeError and JSONDecodeError both are
            json.loads(raw)
        assert b"7371010101900001" not in raw and b"Budi Contoh" not in raw  # NIK, name
        assert path.stat().st_mode & 0o077 == 0
    # with the key everything reads back as it was, under the same content-addressed names
    plain = store.read(photo)
    assert sniff(plain) == "image/jpeg" and Image.open(io.BytesIO(plain)).size[0] > 0
    assert photo.sha256 == hashlib.sha256(plain).hexdigest() and photo.size == len(plain)
    assert photo.key == f"{photo.sha256[:2]}/{photo.sha256}.jpg"
    assert store.read(pdf) == pf.pdf(pages=2)
    assert json.loads(store.read(name))["answers"]["nik"]["value"] == "7371010101900001"


def test_a_wrong_or_missing_key_names_both_key_ids(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, Keyring(A))
    name, record = record_bytes(store)
    store.write(name, record)
    with pytest.raises(WrongKey) as info:
        MediaStore(tmp_path, Keyring(B)).read(name)
    assert str(info.value).startswith(
        f"{name} was written with key id {key_id(A)}; DATA_KEY holds {key_id(B)}. "
        f"Set the key with id {key_id(A)}"
    )
    with pytest.raises(WrongKey, match=f"key id {key_id(A)}; no DATA_KEY is set"):
        MediaStore(tmp_path).read(name)
    assert MediaStore(tmp_path, Keyring(B, (A,))).read(name) == record  # as an old key it opens


def test_a_changed_cut_or_moved_file_does_not_decrypt(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, Keyring(A))
    first = store.put(pf.jpeg(pf.document(seed=1)), "image/jpeg")
    second = store.put(pf.jpeg(pf.document(seed=2)), "image/jpeg")
    path = store.path(first)
    raw = path.read_bytes()
    path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    with pytest.raises(Damaged, match=f"{first.key} \\(key id {key_id(A)}\\) does not decrypt"):
        store.read(first)
    path.write_bytes(raw[:1000])
    with pytest.raises(Damaged):
        store.read(first)
    path.write_bytes(store.path(second).read_bytes())  # one citizen's photo in another's place
    with pytest.raises(Damaged, match="moved from another name"):
        store.read(first)


def test_plaintext_files_from_before_still_read_and_put_seals_them(tmp_path: Path) -> None:
    before = MediaStore(tmp_path)  # no key: as wargabot stored files until now
    data = pf.jpeg(pf.document(seed=4))
    ref = before.put(data, "image/jpeg")
    assert sniff(before.path(ref).read_bytes()) == "image/jpeg"
    keyed = MediaStore(tmp_path, Keyring(A))
    assert keyed.read(ref) == data
    assert keyed.put(data, "image/jpeg") == ref  # the same photo again: now sealed
    assert keyed.keyring.written_with(keyed.path(ref).read_bytes()) == key_id(A)
    inode = keyed.path(ref).stat().st_ino
    keyed.put(data, "image/jpeg")
    assert keyed.path(ref).stat().st_ino == inode  # already under the current key: untouched
    MediaStore(tmp_path, Keyring(B, (A,))).put(data, "image/jpeg")
    assert keyed.keyring.written_with(keyed.path(ref).read_bytes()) == key_id(B)


def test_a_damaged_copy_is_replaced_when_the_same_photo_comes_again(tmp_path: Path) -> None:
    store = MediaStore(tmp_path, Keyring(A))
    data = pf.jpeg(pf.document(seed=5))
    ref = store.put(data, "image/jpeg")
    store.path(ref).write_bytes(b"\x89WBE\x01")  # cut short by a full disk, say
    assert store.put(data, "image/jpeg") == ref
    assert store.read(ref) == data


def test_the_same_photo_stored_by_many_threads_at_once(tmp_path: Path) -> None:
    """Each writer has its own temporary file (they shared `NAME.tmp`, and a second rename of it
    failed with FileNotFoundError)."""
    data = pf.jpeg(pf.document(seed=6))
    errors: list[BaseException] = []
    for round_ in range(5):
        store = MediaStore(tmp_path / str(round_), Keyring(A))
        start = threading.Barrier(8)

        def put(store: MediaStore = store, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                store.put(data, "image/jpeg")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=put) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [p.name for p in store.root.rglob("*") if p.is_file()] == [
            f"{hashlib.sha256(data).hexdigest()}.jpg"
        ]
    assert errors == []


def test_paths_outside_the_folder_are_refused(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media", Keyring(A))
    for key in ("../x.json", "/etc/passwd", "dossiers/../../x"):
        with pytest.raises(ValueError, match="outside the media folder"):
            store.write(key, b"x")
        with pytest.raises(ValueError, match="outside the media folder"):
            store.read(key)


def test_the_census_counts_files_by_key_and_skips_temporary_ones(tmp_path: Path) -> None:
    MediaStore(tmp_path).write("ab/plain.jpg", b"\xff\xd8\xff")
    MediaStore(tmp_path, Keyring(A)).write("ab/a.jpg", b"a")
    MediaStore(tmp_path, Keyring(B)).write("dossiers/b.json", b"{}")
    (tmp_path / "ab" / ".a.jpg.1234.tmp").write_bytes(b"half")
    (tmp_path / "ab" / "cut.jpg").write_bytes(b"\x89WBE\x01\x00")
    store = MediaStore(tmp_path, Keyring(A))
    census = store.census()
    assert dict(census.files) == {"plaintext": 1, key_id(A): 1, key_id(B): 1, "damaged": 1}
    assert census.unreadable(store.keyring) == {key_id(B): 1}
    assert census.old(MediaStore(tmp_path, Keyring(A, (B,))).keyring) == {key_id(B): 1}
    assert census.problems == ["ab/cut.jpg is cut short: a sealed file's header is 21 bytes"]
    assert list(store.names()) == ["ab/a.jpg", "ab/cut.jpg", "ab/plain.jpg", "dossiers/b.json"]


def test_without_a_key_files_are_stored_as_before(tmp_path: Path) -> None:
    store = MediaStore(tmp_path)
    ref = store.put(pf.pdf(), "application/pdf")
    assert store.path(ref).read_bytes() == pf.pdf()
    assert not any(name.endswith(".tmp") for name in os.listdir(store.path(ref).parent))


def test_reseal_leaves_alone_a_file_rewritten_while_it_worked(tmp_path: Path) -> None:
    """The same photo arriving again (put) while a rotation re-encrypts it: the newer copy stays,
    and rotation does not count it as its own."""
    data = pf.jpeg(pf.document(seed=8))
    ref = MediaStore(tmp_path, Keyring(A)).put(data, "image/jpeg")

    class Busy(Keyring):
        def open(self, blob: bytes, name: str) -> bytes:
            plain = super().open(blob, name)
            MediaStore(tmp_path, Keyring(B)).write(name, plain)  # another process, meanwhile
            return plain

    store = MediaStore(tmp_path, Busy(B, (A,)))
    assert store.reseal(ref.key) is False
    assert MediaStore(tmp_path, Keyring(B)).read(ref) == data
    assert not list(tmp_path.rglob("*.tmp"))
