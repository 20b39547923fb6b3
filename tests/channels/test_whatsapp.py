"""WhatsApp end to end: signed Twilio form posts into the real app, twilio-python's REST client
against a local fake Twilio (messages, media with its redirect, deletion), a real redis-server."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from tests.kit import photo_factory as pf
from tests.kit.citizens import MAKASSAR, Citizen
from tests.kit.fake_twilio import AUTH_TOKEN, FakeTwilio, new_sid, signature
from tests.kit.webapp import SENDER, URL, running, whatsapp_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_a_whole_makassar_application_over_whatsapp(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234567001")
        for step in MAKASSAR:
            if isinstance(step, tuple):
                await citizen.photo(pf.jpeg(pf.document(seed=step[1])), not_found_first=1)
            else:
                await citizen.send(step)
        summary = tw.bodies_to(citizen.to)[-1]
        assert "1. Kirim pengajuan\n2. Ubah jawaban atau foto" in summary  # numbered choices
        done = await citizen.send("1")
        assert "Nomor pengajuan: MKS-" in done[0]
        reference = done[0].split("Nomor pengajuan: ")[1].split()[0]
        await app.delivered()
        told = tw.bodies_to(citizen.to)[-1]
        assert f"Pengajuan {reference} sudah masuk ke kotak masuk Dinas Sosial Kota" in told
    assert len(tw.deleted) == 2  # Twilio's copies of both photos were deleted once stored
    assert tw.redirect_auth_seen is False  # credentials never followed the redirect
    files = list((tmp_path / "inbox" / "new").iterdir())
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names[1:] == ["foto_kk-1.jpg", "sktm-1.jpg"]
    assert all(body for body in tw.bodies_to(citizen.to))
    assert {m["From"] for m in tw.sent} == {SENDER}


async def test_forged_signature_is_refused_and_changes_nothing(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234567002")
        params = tw.form_for(new_sid("SM"), citizen.phone, "halo")
        assert (await citizen.post(params, sign=False)).status_code == 403
        tampered = dict(params, Body="batal")
        headers = {"X-Twilio-Signature": signature(AUTH_TOKEN, URL, params)}
        res = await app.client.post("/whatsapp/webhook", data=tampered, headers=headers)
        assert res.status_code == 403
        await app.settle()
        assert tw.sent == []
        assert await app.services.store.redis.keys("wb:{whatsapp:*") == []


async def test_signature_holds_behind_a_reverse_proxy(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    """Twilio signs the public URL; the app sees another host, and checks PUBLIC_BASE_URL."""
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234567003")
        params = tw.form_for(new_sid("SM"), citizen.phone, "halo")
        headers = {
            "X-Twilio-Signature": signature(AUTH_TOKEN, URL, params),
            "Host": "10.0.0.5:8080",
        }
        res = await app.client.post(
            "http://10.0.0.5:8080/whatsapp/webhook", data=params, headers=headers
        )
        assert res.status_code == 200
        await app.settle()
        assert len(tw.bodies_to(citizen.to)) == 1  # greeting and consent: one message


async def test_the_same_message_twice_gets_one_reply(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234567004")
        params = tw.form_for(new_sid("SM"), citizen.phone, "halo")
        assert (await citizen.post(params)).status_code == 200
        assert (await citizen.post(params)).status_code == 200
        await app.settle()
        assert len(tw.bodies_to(citizen.to)) == 1  # greeting and consent: one message


async def test_malformed_posts_get_400(tmp_path: Path, redis_url: str, tw: FakeTwilio) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        params = {"Body": "halo"}  # no MessageSid, no From
        headers = {"X-Twilio-Signature": signature(AUTH_TOKEN, URL, params)}
        res = await app.client.post("/whatsapp/webhook", data=params, headers=headers)
        assert res.status_code == 400


async def test_media_from_another_host_is_never_fetched(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234567005")
        await citizen.reach_kk_photo()
        evil = (("http://127.0.0.1:1/steal.jpg", "image/jpeg"),)
        replies = await citizen.send("", media=evil)
        assert replies[0].startswith("Maaf, file itu tidak bisa saya ambil.")
        session = await citizen.session()
        assert session is not None and session.step == "foto_kk"


async def test_unsupported_and_bad_media_get_clear_answers(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234567006")
        await citizen.reach_kk_photo()
        assert "terlalu besar" in (await citizen.photo(pf.png_bomb(), "image/png"))[0]
        assert "bukan foto" in (await citizen.photo(b"\x00" * 100))[0]
        voice = new_sid("MM")
        url = tw.add_media(voice, b"OggS fake", "audio/ogg")
        params = tw.form_for(voice, citizen.phone, "", media=((url, "audio/ogg"),))
        assert (await citizen.post(params)).status_code == 200
        await app.settle()
        assert "pesan suara" in tw.bodies_to(citizen.to)[-1]
        replies = await citizen.send(
            "", Latitude="-5.14", Longitude="119.43", MessageType="location"
        )
        assert "lokasi tidak diperlukan" in replies[0]
        session = await citizen.session()
        assert session is not None and session.step == "foto_kk"


async def test_last_inbound_time_is_kept_for_the_24_hour_window(
    tmp_path: Path, redis_url: str, tw: FakeTwilio
) -> None:
    async with running(whatsapp_env(tmp_path, redis_url, tw)) as app:
        citizen = Citizen(app, tw, "+6281234567007")
        await citizen.send("halo")
        assert await app.services.store.last_inbound(citizen.key) is not None
