"""The keys that seal files at rest and the sealed-file format (AES-256-GCM, a key id in every
file). It turns bytes into sealed bytes and back; reading and writing files is MediaStore's job.

A sealed file, version 1 (37 bytes longer than the plaintext):

    offset  size  field
    0       4     magic b"\\x89WBE" (not text, not the start of any image, PDF or JSON)
    4       1     format version, 1
    5       4     key id: the first 4 bytes of SHA-256("wargabot data key id" NUL key)
    9       12    nonce, random for every write
    21      n+16  AES-256-GCM ciphertext and tag; the associated data is bytes 0-20 and the
                  file's name under MEDIA_DIR, so a file moved or swapped for another fails

A file that does not start with the magic is plaintext, from before encryption was turned on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.config import ConfigError, Settings

MAGIC = b"\x89WBE"
VERSION = 1
_HEADER = struct.Struct(">4sB4s12s")  # magic, version, key id, nonce
HEADER_SIZE = _HEADER.size
OVERHEAD = HEADER_SIZE + 16  # the header and GCM's tag
_KEY_TEXT = re.compile(r"[A-Za-z0-9_+/-]{43}=?")


class SealedFileError(Exception):
    """A stored file cannot be opened; the message names the file and what to do."""


class WrongKey(SealedFileError):
    """The file was sealed with a key the keyring does not hold."""


class Damaged(SealedFileError):
    """The file is truncated, changed, moved, or of a format this version does not know."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def encode_key(key: bytes) -> str:
    """The key as settings hold it: 43 characters of URL-safe base64."""
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode()


def decode_key(text: str, where: str = "DATA_KEY") -> bytes:
    """A key from its text (URL-safe or standard base64 of 32 bytes, e.g. `openssl rand -base64
    32`); ValueError names `where` and says what a key looks like."""
    text = text.strip()
    if not _KEY_TEXT.fullmatch(text):
        raise ValueError(
            f"{where} must be a key from `wargabot keys new` (43 characters of base64), "
            f"not {len(text)} characters"
        )
    try:
        return base64.urlsafe_b64decode(text.rstrip("=").replace("+", "-").replace("/", "_") + "=")
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{where} is not valid base64 ({exc})") from None


def key_id(key: bytes) -> str:
    """Eight hex digits naming a key, written in every file it seals; it reveals nothing of it."""
    return hashlib.sha256(b"wargabot data key id\0" + key).hexdigest()[:8]


def _aad(header: bytes, name: str) -> bytes:
    return header + name.encode()


class Keyring:
    """The current key seals; it and every old key open. No current key: files stay plaintext."""

    def __init__(
        self, current: bytes | None = None, old: tuple[bytes, ...] = (), source: str = "DATA_KEY"
    ) -> None:
        self.current_id = key_id(current) if current is not None else None
        self.source = source  # where the current key came from, for messages
        self._ciphers: dict[str, AESGCM] = {}
        self.old_ids: list[str] = []
        for key in (current, *old) if current is not None else old:
            kid = key_id(key)
            if kid in self._ciphers:
                continue  # the same key twice, e.g. still in DATA_OLD_KEYS: harmless
            self._ciphers[kid] = AESGCM(key)
            if kid != self.current_id:
                self.old_ids.append(kid)

    @property
    def encrypts(self) -> bool:
        return self.current_id is not None

    def describe(self) -> str:
        """What the keyring holds, by key id: "DATA_KEY holds 1a2b3c4d, DATA_OLD_KEYS 5e6f7a8b"."""
        held = f"{self.source} holds {self.current_id}" if self.current_id else "no DATA_KEY is set"
        if self.old_ids:
            held += f", DATA_OLD_KEYS {', '.join(self.old_ids)}"
        return held

    def seal(self, data: bytes, name: str) -> bytes:
        """`data` sealed with the current key for the file `name`; as it is without a key."""
        return b"".join(self.seal_parts(data, name))

    def seal_parts(self, data: bytes, name: str) -> tuple[bytes, ...]:
        """seal() as (header, ciphertext), to be written one after the other: joining them would
        copy a whole photo once more (0.7 ms a megabyte, as much as the encryption itself)."""
        if self.current_id is None:
            return (data,)
        header = _HEADER.pack(MAGIC, VERSION, bytes.fromhex(self.current_id), os.urandom(12))
        cipher = self._ciphers[self.current_id]
        return header, cipher.encrypt(header[9:], data, _aad(header, name))

    def written_with(self, head: bytes, name: str = "the file") -> str | None:
        """The key id in a file's first HEADER_SIZE bytes; None for a plaintext file."""
        if not head.startswith(MAGIC):
            return None
        if len(head) < HEADER_SIZE:
            raise Damaged(f"{name} is cut short: a sealed file's header is {HEADER_SIZE} bytes")
        version, kid = head[4], head[5:9]
        if version != VERSION:
            raise Damaged(f"{name} has format version {version}, written by a newer wargabot")
        return kid.hex()

    def open(self, blob: bytes, name: str) -> bytes:
        """The plaintext of a stored file (a plaintext file as it is); SealedFileError says why
        it cannot be opened."""
        kid = self.written_with(blob, name)
        if kid is None:
            return blob
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise WrongKey(
                f"{name} was written with key id {kid}; {self.describe()}. Set the key with id "
                f"{kid} (as DATA_KEY, or in DATA_OLD_KEYS to read it only)"
            )
        header = blob[:HEADER_SIZE]
        try:  # a view, not a slice: no copy of the whole file
            return cipher.decrypt(header[9:], memoryview(blob)[HEADER_SIZE:], _aad(header, name))
        except InvalidTag:
            raise Damaged(
                f"{name} (key id {kid}) does not decrypt: it was changed, cut short, or moved "
                "from another name"
            ) from None


def _keys_in(text: str, where: str) -> list[bytes]:
    """The keys in a text: separated by commas, spaces or lines; `#` starts a comment."""
    lines = (line.split("#", 1)[0] for line in text.splitlines())
    return [decode_key(word, where) for line in lines for word in line.replace(",", " ").split()]


def load_keyring(settings: Settings) -> Keyring:
    """The keyring the settings describe: DATA_KEY or the first key of DATA_KEY_FILE seals, the
    file's further keys and DATA_OLD_KEYS only open. ConfigError names a bad setting."""
    key = settings.DATA_KEY.get_secret_value() if settings.DATA_KEY else ""
    olds = settings.DATA_OLD_KEYS.get_secret_value() if settings.DATA_OLD_KEYS else ""
    path = settings.DATA_KEY_FILE
    try:
        old = _keys_in(olds, "DATA_OLD_KEYS")
        if key and path is not None:
            raise ConfigError("DATA_KEY and DATA_KEY_FILE are both set: keep one of them")
        if path is None:
            return Keyring(decode_key(key) if key else None, tuple(old))
        in_file = _keys_in(_read_key_file(path), f"DATA_KEY_FILE ({path})")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if not in_file:
        raise ConfigError(f"DATA_KEY_FILE ({path}) holds no key: `wargabot keys new --out FILE`")
    return Keyring(in_file[0], (*in_file[1:], *old), source="DATA_KEY_FILE")


def _read_key_file(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"DATA_KEY_FILE: cannot read {path} ({reason.lower()})") from None
