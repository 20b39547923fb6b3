"""What the engine decides about a conversation beyond one answer: a KK number that repeats the
NIK is refused with the reason, a declined consent keeps nothing, an expired conversation is
announced, and a choice question survives 10,000 digits. Synthetic numbers only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.engine import texts as T
from bot.engine.flowset import FlowSet
from bot.engine.model import Action, AskChoice, Session, TextReceived, Turn
from bot.engine.step import new_session, step

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
NIK = "7371014506900001"  # synthetic, Makassar
KK = "7371010203150007"  # synthetic, Makassar
TO_NIK = ["halo", "iya", "2", "1", "1", "Siti Aminah"]  # Makassar KIS PBI, up to the NIK


def _texts(actions: tuple[Action, ...]) -> list[str]:
    return [a.text for a in actions if hasattr(a, "text")]


def _say(flows: FlowSet, session: Session, *texts: str) -> tuple[Session, Turn]:
    turn = Turn(session, ())
    for text in texts:
        turn = step(flows, session, TextReceived(text), NOW)
        session = turn.session
    return session, turn


@pytest.mark.parametrize("typed", [NIK, "7371 0145 0690 0001", "KK saya 7371.0145.0690.0001"])
def test_a_kk_number_equal_to_the_nik_is_refused_with_the_reason(
    flows: FlowSet, typed: str
) -> None:
    session, _ = _say(flows, new_session("test", "1", "00" * 16), *TO_NIK, NIK)
    assert session.step == "nomor_kk"
    session, turn = _say(flows, session, typed)
    assert session.step == "nomor_kk" and "nomor_kk" not in session.answers
    assert _texts(turn.actions) == [flows.tr("id").t(T.KK_IS_NIK)]
    session, turn = _say(flows, session, KK)  # the real KK number goes through
    assert session.answers["nomor_kk"] == KK and session.step != "nomor_kk"


def test_the_refusal_is_said_in_english_too(flows: FlowSet) -> None:
    session, _ = _say(flows, new_session("test", "1", "00" * 16), *TO_NIK, NIK, "english")
    _, turn = _say(flows, session, NIK)
    said = _texts(turn.actions)[0]
    assert said.startswith("That number is the NIK you sent before.")


def test_declining_consent_keeps_nothing_and_agreeing_keeps_the_session(flows: FlowSet) -> None:
    session, first = _say(flows, new_session("test", "1", "00" * 16), "halo")
    assert first.keep
    _, declined = _say(flows, session, "tidak")
    assert declined.keep is False
    assert _texts(declined.actions)[0] == flows.tr("id").t(T.DECLINED)
    _, agreed = _say(flows, session, "iya")
    assert agreed.keep is True


def test_an_expired_conversation_is_announced_once_then_forgotten(flows: FlowSet) -> None:
    fresh = new_session("test", "1", "00" * 16, expired_days=7)
    session, turn = _say(flows, fresh, "halo")
    notice = flows.tr("id").t(T.SESSION_EXPIRED, days="7")
    assert _texts(turn.actions)[0] == notice
    assert session.expired_days is None
    assert "expired_days" not in session.to_json()  # stored only until the notice is said
    assert Session.from_json(fresh.to_json()).expired_days == 7
    assert Session.from_json(session.to_json()) == session
    _, again = _say(flows, session, "iya")
    assert notice not in _texts(again.actions)


def test_ten_thousand_digits_at_a_choice_question_is_not_understood(flows: FlowSet) -> None:
    session, _ = _say(flows, new_session("test", "1", "00" * 16), "halo", "iya")
    question = _say(flows, session, "menu")[1].actions[-1]
    assert isinstance(question, AskChoice)
    after, turn = _say(flows, session, "1234567890" * 1_000)
    assert after.stage == session.stage
    assert flows.tr("id").t(T.NOT_UNDERSTOOD) in _texts(turn.actions)[0]
