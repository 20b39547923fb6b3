"""The terminal chat end to end: typed lines in, the bot's words out, the dossier in the Maildir
with its summary, JSON record and photos."""

from __future__ import annotations

import email
import json
from email.message import Message
from pathlib import Path
from typing import cast

import pytest

from bot.channels.console import ConsoleChat, run
from bot.delivery.sinks.maildir import MaildirSink
from bot.engine.flowset import FlowSet
from bot.engine.model import PhotoReceived, PhotoRejected, TextReceived, Unsupported
from bot.media.store import MediaStore
from tests.conftest import NOW
from tests.kit.images import pdf, png


@pytest.fixture
def chat(tmp_path: Path, flows: FlowSet) -> ConsoleChat:
    media = MediaStore(tmp_path / "media")
    return ConsoleChat(flows, media, MaildirSink(tmp_path / "inbox", media), clock=lambda: NOW)


def _script(chat: ConsoleChat, lines: list[str]) -> list[str]:
    out: list[str] = []
    feed = iter(lines)

    def read(prompt: str) -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    run(chat, read=read, write=out.append)
    return out


def _parts(path: Path) -> dict[str, Message]:
    msg = email.message_from_bytes(path.read_bytes())
    return {str(p.get_filename() or p.get_content_type()): p for p in msg.walk()}


def test_a_whole_gowa_application_in_the_terminal(chat: ConsoleChat, tmp_path: Path) -> None:
    photos = {}
    for i, name in enumerate(["ktp", "kk", "opname", "rumah1", "rumah2", "keluarga"]):
        photos[name] = tmp_path / f"{name}.png"
        photos[name].write_bytes(png(seed=i))
    (tmp_path / "surat.pdf").write_bytes(pdf())
    lines = [
        "ya",
        "1",
        "mulai",
        "Nurhayati",
        "7306015203850002",
        f"/photo {photos['ktp']}",
        "7306010203150011",
        f"/photo {photos['kk']}",
        "sudah",
        "iya",
        f"/photo {tmp_path / 'surat.pdf'}",
        f"/photo {photos['rumah1']} {photos['rumah2']}",
        "selesai",
        f"/photo {photos['keluarga']}",
        "selesai",
        "/contact 0852 9999 8888",
        "1",
    ]
    out = "\n".join(_script(chat, lines))
    assert "Nomor pengajuan: GWA-" in out
    assert len(chat.delivered) == 1
    path = chat.delivered[0]
    assert path.parent.name == "new" and path.stat().st_mode & 0o077 == 0
    parts = _parts(path)
    ref = chat.delivered[0].name.split(".")[0]
    record = json.loads(cast(bytes, parts[f"{ref}.json"].get_payload(decode=True)))
    assert record["schema"] == "wargabot.dossier/1"
    assert record["answers"]["nama"]["value"] == "Nurhayati"
    assert record["answers"]["hp"]["value"] == "+6285299998888"
    assert record["submitted_at"] == "2026-11-22T10:00:00+08:00"  # WITA
    files = [p["file"] for p in record["photos"]]
    assert files == [
        "foto_ktp-1.png",
        "foto_kk-1.png",
        "surat_opname-1.pdf",
        "foto_rumah-1.png",
        "foto_rumah-2.png",
        "foto_keluarga-1.png",
    ]
    assert parts["foto_rumah-2.png"].get_payload(decode=True) == photos["rumah2"].read_bytes()
    assert parts["surat_opname-1.pdf"].get_content_type() == "application/pdf"
    summary = cast(bytes, parts["text/plain"].get_payload(decode=True)).decode()
    assert "Nurhayati" in summary and ref in summary and "foto_rumah-2.png" in summary


def test_photo_command_reads_the_format_from_the_bytes(chat: ConsoleChat, tmp_path: Path) -> None:
    fake = tmp_path / "foto.jpg"
    fake.write_bytes(b"not an image at all")
    assert chat.event_for(f"/photo {fake}") == PhotoRejected("format")
    real = tmp_path / "no-extension"
    real.write_bytes(png())
    event = chat.event_for(f"/photo {real}")
    assert isinstance(event, PhotoReceived)
    assert event.media[0].mime == "image/png"
    stored = tmp_path / "media" / event.media[0].key
    assert stored.read_bytes() == png() and stored.stat().st_mode & 0o077 == 0


def test_console_lines_become_events(chat: ConsoleChat, tmp_path: Path) -> None:
    assert chat.event_for("halo") == TextReceived("halo")
    assert chat.event_for("/sticker") == Unsupported("sticker")
    assert chat.event_for(f"/photo {tmp_path / 'missing.png'}") == (
        f"(file tidak ditemukan: {tmp_path / 'missing.png'})"
    )
    assert chat.event_for("/photo") == "(/photo PATH: tulis lokasi file foto atau PDF)"


def test_choices_are_numbered_and_the_chat_ends_on_eof(chat: ConsoleChat) -> None:
    out = _script(chat, ["bahasa"])
    text = "\n".join(out)
    assert "1. Ya, setuju" in text and "2. Tidak setuju" in text
    assert "1. Yes, I agree" in text  # "bahasa" switched to English
