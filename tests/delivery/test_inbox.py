"""The dossier record, its message, and the Maildir sink (atomic and idempotent)."""

from __future__ import annotations

import email
from pathlib import Path

from bot.delivery.message import build_message, message_id
from bot.delivery.record import summary_html, to_record
from bot.delivery.sinks.maildir import MaildirSink
from bot.media.store import MediaStore
from tests.kit.outbox import sample_dossier


def test_record_is_versioned_with_wita_times_and_photo_hashes(tmp_path: Path) -> None:
    media = MediaStore(tmp_path)
    record = to_record(sample_dossier(media))
    assert record["schema"] == "wargabot.dossier/1"
    assert record["submitted_at"] == "2026-11-23T07:30:00+08:00"  # next day in WITA
    assert record["answers"] == {
        "nama": {
            "label": "Nama lengkap",
            "value": "Nur <b>Hayati</b>",
            "display": "Nur <b>Hayati</b>",
        }
    }
    assert [p["file"] for p in record["photos"]] == ["foto_rumah-1.png", "foto_rumah-2.png"]
    assert record["photos"][0]["sha256"] != record["photos"][1]["sha256"]


def test_html_summary_escapes_what_citizens_typed(tmp_path: Path) -> None:
    html = summary_html(sample_dossier(MediaStore(tmp_path)))
    assert "<b>Hayati</b>" not in html and "&lt;b&gt;Hayati&lt;/b&gt;" in html


def test_message_has_a_stable_id_and_every_photo(tmp_path: Path) -> None:
    media = MediaStore(tmp_path)
    msg = build_message(sample_dossier(media), media)
    assert (
        msg["Message-ID"] == message_id("GWA-K7H-W3X-9AR") == "<GWA-K7H-W3X-9AR@wargabot.invalid>"
    )
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names == ["GWA-K7H-W3X-9AR.json", "foto_rumah-1.png", "foto_rumah-2.png"]


def test_maildir_delivery_is_idempotent(tmp_path: Path) -> None:
    media = MediaStore(tmp_path / "media")
    sink = MaildirSink(tmp_path / "inbox", media)
    d = sample_dossier(media)
    first = sink.write(d)
    second = sink.write(d)
    assert first == second
    assert len(list((tmp_path / "inbox" / "new").iterdir())) == 1
    assert not list((tmp_path / "inbox" / "tmp").iterdir())
    parsed = email.message_from_bytes(first.read_bytes())
    assert parsed["X-Wargabot-Reference"] == "GWA-K7H-W3X-9AR"
    # a staff mail client moving the message to cur/ does not make it look undelivered
    moved = tmp_path / "inbox" / "cur" / (first.name + ":2,S")
    first.rename(moved)
    assert sink.write(d) == moved


def test_maildir_folder_and_messages_are_for_the_service_user_only(tmp_path: Path) -> None:
    media = MediaStore(tmp_path / "media")
    path = MaildirSink(tmp_path / "inbox", media).write(sample_dossier(media))
    assert (tmp_path / "inbox").stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600


def test_an_email_too_large_leaves_photos_out_and_names_them(tmp_path: Path) -> None:
    media = MediaStore(tmp_path / "media")
    d = sample_dossier(media)
    size = sum(ref.size for _, ref in d.photos)
    msg = build_message(d, media, max_bytes=256 * 1024 + size * 4 // 3 + 600)  # room for one
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names == ["GWA-K7H-W3X-9AR.json", "foto_rumah-1.png"]
    body = msg.get_body(("plain",))
    assert body is not None and "foto_rumah-2.png" in body.get_content()
    assert "tidak ikut di email ini" in body.get_content()
