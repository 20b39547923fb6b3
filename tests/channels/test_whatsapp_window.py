"""WhatsApp's 24-hour window through the real Twilio client and the fake Twilio: inside it a
message goes as text and a template's stand-in is not needed; outside it a message from the
office goes as its Content template and its text waits for the citizen (Hold), a message with
no template waits whole, and a reminder without one is not sent; the fake's window agrees."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.base import Outgoing, Told
from bot.channels.sender import Hold, Skip
from bot.channels.templates import Template, Templates
from bot.channels.whatsapp import WhatsAppChannel
from tests.kit.fake_twilio import FakeTwilio
from tests.kit.webapp import SENDER

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # aiohttp's BasicAuth
CITIZEN = "whatsapp:+6281300000001"
NOW = datetime.now(UTC)
VALUES = (
    ("document", "Foto Kartu Keluarga"),
    ("reason", "buram"),
    ("reference", "MKS-Y26-X4R-343"),
)


Window = tuple[WhatsAppChannel, FakeTwilio, dict[str, datetime]]


@pytest.fixture
async def channel(
    tw: FakeTwilio,
) -> AsyncIterator[tuple[WhatsAppChannel, FakeTwilio, dict[str, datetime]]]:
    sid = tw.add_content("Pengajuan {{1}}: {{2}} perlu diganti ({{3}}). Balas pesan ini.")
    templates = Templates(
        {("document_request", "id"): Template(sid, ("reference", "document", "reason"))}
    )
    ch = WhatsAppChannel(tw.account_sid, tw.auth_token, SENDER, tw.url, templates=templates)
    wrote: dict[str, datetime] = {}

    async def last_inbound(chat_id: str) -> datetime | None:
        return wrote.get(chat_id)

    ch.last_inbound = last_inbound
    yield ch, tw, wrote
    await ch.close()


def told(kind: str = "document_request", standin: bool = False) -> Told:
    return Told(kind, "id", VALUES, standin)


async def test_inside_the_window_text_goes_and_no_template_is_needed(channel: Window) -> None:
    ch, tw, wrote = channel
    wrote[CITIZEN] = tw.last_inbound[CITIZEN] = NOW - timedelta(hours=2)
    with pytest.raises(Skip):
        await ch.deliver(CITIZEN, Outgoing("", told=told(standin=True)))
    await ch.deliver(CITIZEN, Outgoing("Foto KK Anda perlu diganti.", told=told()))
    assert tw.bodies_to(CITIZEN) == ["Foto KK Anda perlu diganti."] and tw.failed == []


async def test_outside_the_window_the_template_goes_and_the_text_waits(channel: Window) -> None:
    ch, tw, wrote = channel
    wrote[CITIZEN] = tw.last_inbound[CITIZEN] = NOW - timedelta(hours=25)
    await ch.deliver(CITIZEN, Outgoing("", told=told(standin=True)))
    (sent,) = tw.sent
    assert (
        sent["Body"]
        == "Pengajuan MKS-Y26-X4R-343: Foto Kartu Keluarga perlu diganti (buram). Balas pesan ini."
    )
    assert json.loads(sent["ContentVariables"]) == {
        "1": "MKS-Y26-X4R-343",
        "2": "Foto Kartu Keluarga",
        "3": "buram",
    }
    with pytest.raises(Hold):  # the full text: when the citizen writes
        await ch.deliver(CITIZEN, Outgoing("Foto KK Anda perlu diganti.", told=told()))
    with pytest.raises(Hold):  # any other message too: Twilio would fail it (63016)
        await ch.deliver(CITIZEN, Outgoing("Ketik NIK Anda."))
    assert tw.failed == []


async def test_outside_the_window_without_a_template(channel: Window) -> None:
    ch, tw, wrote = channel
    wrote[CITIZEN] = NOW - timedelta(days=3)
    with pytest.raises(Skip):  # no status template: the stand-in has nothing to send...
        await ch.deliver(CITIZEN, Outgoing("", told=told("status", standin=True)))
    with pytest.raises(Hold):  # ...and the status waits for the citizen, never dropped
        await ch.deliver(CITIZEN, Outgoing("Status: Sudah didaftarkan.", told=told("status")))
    with pytest.raises(Skip):  # a reminder that cannot go now is not sent at all
        await ch.deliver(CITIZEN, Outgoing("Pengingat: ...", told=told("document_reminder")))
    assert tw.sent == []


async def test_a_citizen_never_heard_from_is_outside_the_window(channel: Window) -> None:
    ch, tw, _ = channel
    with pytest.raises(Hold):
        await ch.deliver(CITIZEN, Outgoing("Halo"))
    assert tw.sent == []
