"""Without REDIS_URL (`make run`-style defaults, fakeredis in memory) the journal, the turns and
the reply queue still work: a Telegram conversation is answered in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit.citizens import Chat
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.webapp import running, telegram_env

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_a_conversation_is_answered_with_redis_in_memory(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(telegram_env(tmp_path, "", tg, CASESTORE_ENABLED="false")) as app:
        chat = Chat(app, tg, 5570001)
        assert (await chat.say("halo"))[0].startswith("Halo! Saya wargabot")
        assert (await chat.say("ya"))[0].startswith("Pilih kantor")
        session = await chat.session()
    assert session is not None and session.stage == "office"
