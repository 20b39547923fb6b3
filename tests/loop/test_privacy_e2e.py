"""A citizen's data end to end: a Gowa application over Telegram through the real web app (its
worker stores the case); "data sy apa aja yg disimpan" shows the answers and documents, never a
photo; "hapus data saya" asks once, "lanjut" changes nothing, the yes files the request; the
office's admin approves it at the desk (its page, its CSRF form); the loop tells the citizen in
the same chat, and "data saya" then says the data is gone."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.base import ChatKey, Inbound
from bot.desk.models import Case, Notice, PrivacyRequest
from bot.engine.flowset import FlowSet
from bot.engine.model import ErasureDecided
from tests.desk.deskapp import desk_app
from tests.kit import photo_factory as pf
from tests.kit.citizens import GOWA, Chat
from tests.kit.fake_telegram import FakeTelegram, contact_update
from tests.kit.webapp import running, telegram_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_a_deletion_request_through_telegram_and_the_desk(
    tmp_path: Path, redis_url: str, tg: FakeTelegram, flows: FlowSet
) -> None:
    env = telegram_env(tmp_path, redis_url, tg)
    async with running(env) as app:
        chat = Chat(app, tg, 5551001)
        for step in GOWA:
            if isinstance(step, tuple):
                await chat.photo(pf.jpeg(pf.document(seed=step[1])))
            else:
                await chat.say(step)
        assert await chat.post(contact_update(Chat.next_id(), 5551001, "+6285299998888")) == 200
        await app.settle()
        done = await chat.say("Kirim pengajuan")  # the worker's "received" may follow at once
        found = re.search(r"Nomor pengajuan: (GWA-[\w-]+)", "\n".join(done))
        assert found, done
        reference = found.group(1)
        await app.delivered()

        (shown,) = await chat.say("data sy apa aja yg disimpan")
        assert f"Pengajuan {reference} (Rekomendasi Pengaktifan Kembali KIS" in shown
        assert "- NIK: 7306015203850002" in shown and "- Nomor HP: 085299998888" in shown
        assert "- Foto KTP: belum diperiksa" in shown and "1 foto" not in shown
        assert 'Ketik "hapus data saya"' in shown

        (asked,) = await chat.say("tolong hapus data sy pak")
        assert "Admin kantor yang memutuskan" in asked
        assert "tidak ada yang dihapus" in (await chat.say("lanjut"))[0]
        await chat.say("hapus data saya")
        filed = await chat.say("Ya, hapus data saya")  # the button's label, typed
        assert "sudah dicatat untuk Dinas Sosial Kabupaten Gowa" in filed[-1]
        media = app.services.runtime.media
        async with desk_app(env["DATABASE_URL"], flows, tmp_path, media=media) as desk:
            admin = await desk.signed_in("rahmat", office="dinsos_gowa", role="admin")
            page = await admin.get("/admin/requests")
            assert f'href="/cases/{reference}"' in page.text and "Nurhayati" not in page.text
            async with desk.sessions() as db:
                request_id = (await db.scalars(select(PrivacyRequest.id))).one()
            res = await admin.post(f"/admin/requests/{request_id}",
                                   {"action": "approve", "confirm": "yes"},
                                   form_page="/admin/requests")  # fmt: skip
            assert res.status_code == 303
            async with desk.sessions() as db:
                case = (await db.scalars(select(Case))).one()
                assert (case.status, case.answers, case.chat_id) == ("withdrawn", None, "")

            deadline = time.monotonic() + 30  # the worker's loop hands the notice to the chat
            while not any("telah menghapus data pribadi Anda" in t for t in tg.texts_to(5551001)):
                assert time.monotonic() < deadline, tg.texts_to(5551001)[-3:]
                await asyncio.sleep(0.2)
            await app.settle()
            told = tg.texts_to(5551001)[-1]
            assert (
                f"Dinas Sosial Kabupaten Gowa telah menghapus data pribadi Anda ({reference})"
                in told
            )
            async with desk.sessions() as db:
                states = [(n.kind, n.state) for n in await db.scalars(select(Notice))]
            assert states[-1][0] == "privacy_request" and states[-1][1] in ("queued", "sent")

        (after,) = await chat.say("data saya")
        assert (
            f"Pengajuan {reference} (Rekomendasi Pengaktifan Kembali KIS): data pribadinya" in after
        )
        assert "7306015203850002" not in after


def test_the_decision_waits_in_the_chats_journal_like_any_office_event() -> None:
    decided = ErasureDecided("dinsos_gowa", False, "masih diperiksa", ("GWA-W64-ARX-MR4",))
    inbound = Inbound(ChatKey("telegram", "5551001"), "notice:7", decided)
    assert Inbound.from_json(inbound.to_json()) == inbound
