"""The staff Telegram sink: the readable summary, then the photos as albums (ten to an album)
and PDFs as files, in the staff group STAFF_TELEGRAM_CHAT_ID. Each part is recorded once sent,
so a retry after a failure half-way sends only what is missing. A document the citizen sent again
arrives the same way: a line saying which case and document, then its pages."""

from __future__ import annotations

import asyncio
from typing import Protocol

from telegram import Bot, InputMediaPhoto

from bot.delivery.record import photo_filenames, summary_text
from bot.engine.flowset import FlowSet
from bot.engine.model import Dossier, MediaRef, Revision
from bot.media.store import MediaStore

ALBUM = 10  # the Bot API's limit per media group
MAX_TEXT = 4000


class Progress(Protocol):
    def done(self, part: str) -> bool: ...

    async def mark(self, part: str) -> None: ...


class TelegramStaffSink:
    name = "telegram"

    def __init__(
        self, bot: Bot, chat_id: str, media: MediaStore, flows: FlowSet | None = None
    ) -> None:
        self.bot, self.chat_id, self.media, self.flows = bot, chat_id, media, flows

    async def deliver_revision(self, revision: Revision, progress: Progress) -> None:
        """ "GWA-...: Foto Kartu Keluarga dikirim ulang", then the pages (one album)."""
        label = revision.step
        for flow in self.flows.flows.values() if self.flows else ():
            if revision.reference.startswith(flow.reference_prefix + "-") and flow.has_step(
                revision.step
            ):
                label = flow.step(revision.step).label or label
        if not progress.done("summary"):
            text = (
                f"{revision.reference}: {label} dikirim ulang oleh warga (periksa di meja kantor)"
            )
            await self.bot.send_message(self.chat_id, text)
            await progress.mark("summary")
        pages = [(f"{label} {i}", r) for i, r in enumerate(revision.media, 1)]
        images = [(n, r) for n, r in pages if r.mime.startswith("image/")]
        if images and not progress.done("album0"):
            await self._album(revision.reference, images)
            await progress.mark("album0")
        for i, (name, ref) in enumerate(p for p in pages if not p[1].mime.startswith("image/")):
            if not progress.done(f"document{i}"):
                data = await asyncio.to_thread(self.media.read, ref)
                caption = f"{revision.reference} · {name}"
                await self.bot.send_document(
                    self.chat_id, data, filename=f"{name}.pdf", caption=caption
                )
                await progress.mark(f"document{i}")

    async def deliver(self, dossier: Dossier, progress: Progress) -> None:
        if not progress.done("summary"):
            text = summary_text(dossier)
            if len(text) > MAX_TEXT:
                text = text[: MAX_TEXT - 2] + "…"
            await self.bot.send_message(self.chat_id, text)
            await progress.mark("summary")
        files = list(zip(photo_filenames(dossier), (ref for _, ref in dossier.photos), strict=True))
        images = [(n, r) for n, r in files if r.mime.startswith("image/")]
        documents = [(n, r) for n, r in files if not r.mime.startswith("image/")]
        for start in range(0, len(images), ALBUM):
            part = f"album{start // ALBUM}"
            if not progress.done(part):
                await self._album(dossier.reference, images[start : start + ALBUM])
                await progress.mark(part)
        for i, (name, ref) in enumerate(documents):
            part = f"document{i}"
            if not progress.done(part):
                await self.bot.send_document(
                    self.chat_id,
                    await asyncio.to_thread(self.media.read, ref),
                    filename=name,
                    caption=f"{dossier.reference} · {name}",
                )
                await progress.mark(part)

    async def _album(self, reference: str, images: list[tuple[str, MediaRef]]) -> None:
        # read (and decrypt) off the event loop, as the other sinks do
        datas = await asyncio.to_thread(lambda: [self.media.read(ref) for _, ref in images])
        if len(images) == 1:
            caption = f"{reference} · {images[0][0]}"
            await self.bot.send_photo(self.chat_id, datas[0], caption=caption)
            return
        await self.bot.send_media_group(
            self.chat_id,
            [
                InputMediaPhoto(data, caption=f"{reference} · {name}")
                for (name, _), data in zip(images, datas, strict=True)
            ],
        )
