"""Encryption at rest end to end: a whole application through the Telegram webhook with DATA_KEY
set stores only sealed files under MEDIA_DIR, while every office inbox gets the plain photos and
record; a worker holding the wrong key fails with a clear error, loses nothing, and delivers once
it is given the key."""

from __future__ import annotations

import email
import email.policy
import io
import json
import logging
from pathlib import Path

import pytest
from PIL import Image, UnidentifiedImageError
from redis.asyncio import Redis

from bot.delivery.queue import DossierOutbox
from bot.delivery.sinks.maildir import MaildirSink
from bot.delivery.worker import Policy, Worker
from bot.media.keyring import Keyring, encode_key, key_id
from bot.media.store import MediaStore, sniff
from tests.kit import photo_factory as pf
from tests.kit.citizens import GOWA, Chat
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.outbox import make_dossier
from tests.kit.webapp import env_for, running, telegram_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
KEY, OTHER = bytes(range(32)), bytes(range(7, 39))
STAFF = "-1001234567890"


def attachments(message: Path) -> list[bytes]:
    msg = email.message_from_bytes(message.read_bytes(), policy=email.policy.default)
    found = []
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        found.append(data)
    return found


async def test_a_whole_application_is_sealed_at_rest_and_plain_in_the_inboxes(
    tmp_path: Path, redis_url: str, tg: FakeTelegram
) -> None:
    env = telegram_env(
        tmp_path, redis_url, tg, DATA_KEY=encode_key(KEY), STAFF_TELEGRAM_CHAT_ID=STAFF
    )
    async with running(env) as app:
        chat = Chat(app, tg, 5552001)
        for step in GOWA:
            if isinstance(step, str):
                await chat.say(step)
            else:
                await chat.photo(pf.jpeg(pf.document(seed=40 + int(step[1]))))
        await chat.say("085299998888")
        done = await chat.say("Kirim pengajuan")
        reference = done[-1].split("Nomor pengajuan: ")[1].split()[0]
        await app.delivered()
        media = app.services.runtime.media
    # MEDIA_DIR: four photos and the dossier record, every one sealed with KEY
    stored = sorted(p for p in (tmp_path / "media").rglob("*") if p.is_file())
    names = [p.relative_to(tmp_path / "media").as_posix() for p in stored]
    assert f"dossiers/{reference}.json" in names and len(names) == 5
    for path in stored:
        raw = path.read_bytes()
        assert Keyring().written_with(raw) == key_id(KEY), path
        assert sniff(raw) is None and b"Nurhayati" not in raw and b"7306015203850002" not in raw
        with pytest.raises(UnidentifiedImageError):
            Image.open(io.BytesIO(raw))
        with pytest.raises(ValueError):
            json.loads(raw)
    record = json.loads(media.read(f"dossiers/{reference}.json"))
    assert record["answers"]["nama"]["value"] == "Nurhayati"
    photos = {
        p["sha256"]: media.read(f"{p['sha256'][:2]}/{p['sha256']}.jpg") for p in record["photos"]
    }
    # the Maildir message and the staff chat carry the plain photos, byte for byte
    (message,) = list((tmp_path / "inbox" / "new").iterdir())
    attached = attachments(message)[1:]  # after the JSON record
    assert sorted(attached) == sorted(photos.values())
    assert all(Image.open(io.BytesIO(data)).format == "JPEG" for data in attached)
    sent = [data for u in tg.uploads if str(u["chat_id"]) == STAFF for _, data in u["files"]]
    assert sorted(sent) == sorted(photos.values())


async def test_a_worker_with_the_wrong_key_says_which_key_and_delivers_once_it_has_it(
    tmp_path: Path, redis_url: str
) -> None:
    redis = Redis.from_url(redis_url)
    try:
        outbox = DossierOutbox(redis)
        await outbox.ensure_group()
        dossier = make_dossier(MediaStore(tmp_path / "media", Keyring(KEY)), 31, photos=2)
        await outbox.submit(dossier)
        wrong = MediaStore(tmp_path / "media", Keyring(OTHER))  # DATA_KEY changed, old one lost
        inbox = tmp_path / "inbox"
        await Worker(outbox, [MaildirSink(inbox, wrong)], "w1", Policy(retry_base=0.01)).tick()
        item = await outbox.item(dossier.reference)
        assert item.attempts == 1 and "delivered" not in item.fields
        error = item.fields["error"]
        assert error.startswith("maildir: WrongKey: ")
        assert f"was written with key id {key_id(KEY)}; DATA_KEY holds {key_id(OTHER)}" in error
        assert not list((inbox / "new").glob("*"))  # nothing half-written in the inbox
        # the operator puts the old key back as an old key: the retry delivers it
        fixed = MediaStore(tmp_path / "media", Keyring(OTHER, (KEY,)))
        worker = Worker(outbox, [MaildirSink(inbox, fixed)], "w1", Policy(retry_base=0.01))
        for _ in range(50):
            await worker.tick(block_ms=20)
            if (await outbox.status())["undelivered"] == 0:
                break
        assert (await outbox.status())["undelivered"] == 0
        (message,) = list((inbox / "new").iterdir())
        attached = attachments(message)[1:]
        assert attached == [fixed.read(ref) for _, ref in dossier.photos]
    finally:
        await redis.aclose()


async def test_the_service_says_at_start_whether_media_is_encrypted(
    tmp_path: Path, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="wargabot"):
        async with running(env_for(tmp_path, redis_url)):
            pass
        warned = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert any(r.getMessage().startswith("DATA_KEY is not set: photos") for r in warned)
        caplog.clear()
        async with running(env_for(tmp_path, redis_url, DATA_KEY=encode_key(KEY))):
            pass
    said = [r.getMessage() for r in caplog.records]
    assert f"files in MEDIA_DIR are sealed with key id {key_id(KEY)}" in said
    assert not any("DATA_KEY is not set" in m for m in said)
