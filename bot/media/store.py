"""Where photos, PDFs and dossier records live once received: content-addressed files under
MEDIA_DIR, owner-only, sealed with the keyring's current key (AES-GCM, see keyring.py) when one is
set. Every read and write of a file under MEDIA_DIR goes through here; judging images does not.

A photo's name is the SHA-256 of its plaintext (`ab/abcd....jpg`), as before encryption: equal
photos are stored once, and the name tells anyone who can list the folder which stored files are
equal and, to someone holding the exact same bytes, that this file is stored here."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.engine.model import MediaRef
from bot.media.keyring import HEADER_SIZE, Keyring, SealedFileError, load_keyring

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}
STALE_TMP_SECONDS = 3600  # a temporary file this old was left by a crash


def sniff(data: bytes) -> str | None:
    """The media type read from the bytes themselves, never from a name or a header."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass
class Census:
    """Files under MEDIA_DIR by how they are stored: key id, "plaintext" or "damaged"."""

    files: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # why each damaged file cannot be read

    @property
    def total(self) -> int:
        return sum(self.files.values())

    def old(self, keyring: Keyring) -> dict[str, int]:
        """Files under keys the keyring only reads (DATA_OLD_KEYS), by key id."""
        return {kid: self.files[kid] for kid in keyring.old_ids if self.files[kid]}

    def unreadable(self, keyring: Keyring) -> dict[str, int]:
        """Files under keys the keyring does not hold, by key id: nothing here can open them."""
        known = {"plaintext", "damaged", keyring.current_id, *keyring.old_ids}
        return {kid: n for kid, n in sorted(self.files.items()) if kid not in known and n}


class MediaStore:
    def __init__(self, root: Path, keyring: Keyring | None = None) -> None:
        self.root = root
        self.keyring = keyring or Keyring()

    @classmethod
    def from_settings(cls, settings: Settings, root: Path | None = None) -> MediaStore:
        """The store at MEDIA_DIR (or `root`) with the keyring of the settings; ConfigError when
        a key setting is bad."""
        return cls(root or settings.MEDIA_DIR, load_keyring(settings))

    def put(self, data: bytes, mime: str) -> MediaRef:
        """Store a received file once; a stored copy this store would not write the same way (a
        plaintext one, or sealed with another key) is rewritten from the bytes in hand."""
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}.{EXTENSIONS.get(mime, 'bin')}"
        try:
            kept = self._sealed_with(key) == self.keyring.current_id
        except (FileNotFoundError, SealedFileError):
            kept = False  # not there yet, or damaged: written anew from the bytes in hand
        if not kept:
            self.write(key, data)
        else:  # received again: its time says so (retention keeps what is in use)
            os.utime(self._locate(key))
        return MediaRef(key=key, mime=mime, sha256=digest, size=len(data))

    def write(self, key: str, data: bytes) -> Path:
        """Atomically and durably (fsync) write a file under the media folder, owner-only."""
        path = self._locate(key)
        self._replace(path, self.keyring.seal_parts(data, self._name(path)))
        return path

    def path(self, ref: MediaRef | str) -> Path:
        """Where a file is: its bytes are sealed, so read it with read(), never directly."""
        return self._locate(ref.key if isinstance(ref, MediaRef) else ref)

    def read(self, ref: MediaRef | str) -> bytes:
        """A stored file's plaintext (a MediaRef, or a name such as "dossiers/REF.json");
        SealedFileError, naming the file and the key ids, when it cannot be opened."""
        path = self.path(ref)
        return self.keyring.open(path.read_bytes(), self._name(path))

    def remove(self, ref: MediaRef | str) -> bool:
        """Delete a stored file for good (retention, a citizen's request); False when it was not
        there. The folder is synced, so the deletion survives a power cut."""
        path = self.path(ref)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        dirfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
        return True

    # --- the whole folder: census and rotation ---------------------------------------------------
    def names(self) -> Iterator[str]:
        """Every stored file, by name; temporary files of writes under way are left out."""
        root = self.root.resolve()
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for filename in sorted(filenames):
                if not filename.endswith(".tmp") and not filename.startswith("."):
                    yield (Path(dirpath) / filename).relative_to(root).as_posix()

    def census(self) -> Census:
        """How every file is stored (reads only the headers)."""
        census = Census()
        for name in self.names():
            try:
                census.files[self._sealed_with(name) or "plaintext"] += 1
            except FileNotFoundError:
                continue  # deleted since the folder was listed
            except SealedFileError as exc:
                census.files["damaged"] += 1
                census.problems.append(str(exc))
        return census

    def reseal(self, name: str) -> bool:
        """Rewrite one file with the current key if it is plaintext or under an old key; False
        when it already is under the current key. The old file stays until the new one is
        safely in its place, so an interrupted rotation loses nothing and can be run again."""
        if self._sealed_with(name) == self.keyring.current_id:
            return False  # done before: only the header was read
        path = self._locate(name)
        before = path.stat()
        data = self.keyring.open(path.read_bytes(), name)
        if not self._replace(path, self.keyring.seal_parts(data, name), before):
            return False  # someone else rewrote it meanwhile: theirs stays
        # keep the time it was received: retention (`find -mtime`) counts from it
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        return True

    def remove_stale_tmp(self, now: float | None = None) -> int:
        """Delete temporary files left by writes a crash interrupted; how many."""
        cutoff = (now if now is not None else time.time()) - STALE_TMP_SECONDS
        removed = 0
        for tmp in self.root.rglob("*.tmp") if self.root.is_dir() else ():
            if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed

    # --- files -----------------------------------------------------------------------------------
    def _locate(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("media key outside the media folder")
        return path

    def _name(self, path: Path) -> str:
        """The file's name under the folder, as sealed into it (moving it breaks the seal)."""
        return path.resolve().relative_to(self.root.resolve()).as_posix()

    def _sealed_with(self, name: str) -> str | None:
        """The key id a stored file was sealed with (its header only), None if plaintext."""
        with self._locate(name).open("rb") as fh:
            return self.keyring.written_with(fh.read(HEADER_SIZE), name)

    def _replace(
        self, path: Path, parts: tuple[bytes, ...], expect: os.stat_result | None = None
    ) -> bool:
        """Write `parts` to a temporary file, fsync it, rename it over `path`, fsync the folder;
        False (nothing changed) when `expect` is given and the file is no longer that one."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")  # one per writer
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                for part in parts:
                    fh.write(part)
                fh.flush()
                os.fsync(fh.fileno())
            if expect is not None and _changed(path, expect):
                os.unlink(tmp)
                return False
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        dirfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dirfd)  # the rename itself survives a power cut
        finally:
            os.close(dirfd)
        return True


def _changed(path: Path, before: os.stat_result) -> bool:
    try:
        now = path.stat()
    except FileNotFoundError:
        return True
    return (now.st_ino, now.st_mtime_ns, now.st_size) != (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
