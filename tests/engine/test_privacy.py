"""The citizen's own data in the engine (bot/engine/privacy.py), beyond the goldens: only an
unambiguous yes files a deletion, whatever stage it was asked from; "lanjut", "tidak" or anything
unclear change nothing; an approved deletion ends the wait for those cases' documents; "data
saya" without a lookup says it cannot now."""

from __future__ import annotations

import pytest

from bot.engine import texts as T
from bot.engine.flowset import FlowSet
from bot.engine.model import (
    ChoiceMade,
    ErasureDecided,
    Event,
    FileErasure,
    Session,
    TextReceived,
)
from bot.engine.stages import Stage
from bot.engine.step import new_session, step, wants_data
from tests.conftest import NOW

REF = "GWA-Y26-X4R-343"
START = {
    "new": (),
    "consent": ("halo",),
    "menu": ("halo", "ya"),
    "a draft": ("halo", "ya", "1", "mulai", "Siti Aminah"),
    "cancel": ("halo", "ya", "1", "mulai", "Siti Aminah", "batal"),
}


def _play(flows: FlowSet, s: Session, *events: Event) -> tuple[Session, list[object]]:
    out: list[object] = []
    for event in events:
        turn = step(flows, s, event, NOW)
        s, out = turn.session, out + list(turn.actions)
    return s, out


def _at(flows: FlowSet, texts: tuple[str, ...]) -> Session:
    s = new_session("test", "1", "5eed" * 8)
    return _play(flows, s, *(TextReceived(t) for t in texts))[0]


@pytest.mark.parametrize("where", list(START))
@pytest.mark.parametrize("answer", ["lanjut", "tidak", "jangan dihapus", "hmm", "ya tidak", "3"])
def test_only_an_unambiguous_yes_files_a_deletion(flows: FlowSet, where: str, answer: str) -> None:
    before = _at(flows, START[where])
    asked, _ = _play(flows, before, TextReceived("hapus data sy pak"))
    assert asked.stage == Stage.ERASE
    after, actions = _play(flows, asked, TextReceived(answer))
    assert not any(isinstance(a, FileErasure) for a in actions)
    assert after.answers == before.answers  # nothing of a draft is lost


@pytest.mark.parametrize("where", list(START))
@pytest.mark.parametrize("yes", [TextReceived("iya hapus"), TextReceived("ya"), ChoiceMade("ya")])
def test_a_yes_files_it_and_deletes_the_draft_at_once(
    flows: FlowSet, where: str, yes: Event
) -> None:
    asked, _ = _play(flows, _at(flows, START[where]), TextReceived("hapus data saya"))
    after, actions = _play(flows, asked, yes)
    assert any(isinstance(a, FileErasure) for a in actions)
    assert after.answers == {} and after.stage != Stage.ERASE
    assert after.stage not in (Stage.REQUIREMENTS, Stage.FLOW, Stage.SUMMARY, Stage.CANCEL)


def test_an_approved_deletion_ends_the_wait_for_its_documents(flows: FlowSet) -> None:
    s = _at(flows, ("halo", "ya"))
    s.awaiting = [
        {"ref": REF, "flow": "gowa-kis-reaktivasi", "step": "foto_kk"},
        {"ref": "MKS-K7H-W3X-9AR", "flow": "makassar-kis-pbi", "step": "sktm"},
    ]
    refused, _ = _play(flows, s, ErasureDecided("dinsos_gowa", False, "belum bisa", (REF,)))
    assert len(refused.awaiting) == 2
    approved, _ = _play(flows, s, ErasureDecided("dinsos_gowa", True, "", (REF,)))
    assert [e["ref"] for e in approved.awaiting] == ["MKS-K7H-W3X-9AR"]


def test_data_saya_without_a_lookup_says_it_cannot_now(flows: FlowSet) -> None:
    assert wants_data(TextReceived("data sy apa aja yg disimpan"))
    assert not wants_data(TextReceived("data saya untuk apa?"))
    _, actions = _play(flows, _at(flows, ("halo", "ya")), TextReceived("lihat data saya"))
    assert flows.tr("id").t(T.DATA_UNAVAILABLE) in " ".join(getattr(a, "text", "") for a in actions)
