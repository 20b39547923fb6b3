"""The Maildir sink: one message per dossier in a Maildir folder (default var/inbox), written
atomically (tmp/ then new/) and idempotent by reference: a repeated delivery writes nothing."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

from bot.delivery.message import build_message
from bot.engine.model import Dossier
from bot.media.store import MediaStore


class MaildirSink:
    name = "maildir"

    def __init__(self, root: Path, media: MediaStore) -> None:
        self.root = root
        self.media = media

    def _ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)  # personal data: the service user only
        for sub in ("tmp", "new", "cur"):
            (self.root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)

    def find(self, reference: str) -> Path | None:
        for sub in ("new", "cur"):
            for path in (self.root / sub).glob(f"{reference}.*"):
                return path
        return None

    async def deliver(self, dossier: Dossier, progress: object = None) -> None:
        await asyncio.to_thread(self.write, dossier)

    def write(self, dossier: Dossier) -> Path:
        self._ensure()
        existing = self.find(dossier.reference)
        if existing is not None:
            return existing
        data = build_message(dossier, self.media).as_bytes()
        name = f"{dossier.reference}.{socket.gethostname().replace('/', '_')}"
        tmp = self.root / "tmp" / name
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        final = self.root / "new" / name
        os.rename(tmp, final)
        return final
