"""Where photos and PDFs live once received: content-addressed files under MEDIA_DIR, readable
by the service user only. It stores and reads bytes; judging image quality is media.py's job."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bot.engine.model import MediaRef

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


def sniff(data: bytes) -> str | None:
    """The media type read from the bytes themselves, never from a name or a header."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, mime: str) -> MediaRef:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}.{EXTENSIONS.get(mime, 'bin')}"
        if not (self.root / key).exists():
            self.write(key, data)
        return MediaRef(key=key, mime=mime, sha256=digest, size=len(data))

    def write(self, key: str, data: bytes) -> Path:
        """Atomically and durably (fsync) write a file under the media folder, owner-only."""
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path

    def path(self, ref: MediaRef) -> Path:
        path = (self.root / ref.key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("media key outside the media folder")
        return path

    def read(self, ref: MediaRef) -> bytes:
        return self.path(ref).read_bytes()
