"""The office's side in the engine (bot/engine/office.py), beyond the goldens: what asks for a
status, an office event at any stage (never a crash, never counted as the citizen's message),
a document asked of a chat with no conversation, a closed case ending the wait, and a photo of
several pages kept within the step's limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import texts as T
from bot.engine.flowset import FlowSet
from bot.engine.model import (
    CaseData,
    DataLooked,
    DocumentRequested,
    ErasureDecided,
    ErasureFiled,
    Event,
    MediaRef,
    PhotoReceived,
    ReminderDue,
    Session,
    StatusChanged,
    StatusLooked,
    SubmitRevision,
    Tell,
    TextReceived,
)
from bot.engine.reference import make_reference
from bot.engine.stages import Stage
from bot.engine.step import new_session, step, wants_photo, wants_status
from tests.conftest import NOW
from tests.engine.test_properties import FLOWS
from tests.engine.test_properties import events as citizen_events

REF = make_reference("GWA", "5eed" * 8, 1)  # a well-formed one: GWA-Y26-X4R-343
FLOW = "gowa-kis-reaktivasi"


def photo(n: int) -> MediaRef:
    return MediaRef(f"ab/{n:064x}", "image/jpeg", f"{n:064x}", 1000)


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("status", ""),
        ("cek pengajuan pak", ""),
        (REF, REF),
        (f"cek {REF}", REF),
        (f"status {REF.lower()}?", REF),
        ("GWA-Y26-X4R-342", None),  # a mistyped check character: no reference
        (f"{REF} saya mau daftar lagi", None),
        ("7306015203850002", None),
        ("Nurhayati", None),
    ],
)
def test_what_asks_for_a_status(text: str, asks: str | None) -> None:
    assert wants_status(TextReceived(text)) == asks


def _at(flows: FlowSet, *texts: str) -> Session:
    s = new_session("test", "1", "5eed" * 8)
    for text in texts:
        s = step(flows, s, TextReceived(text), NOW).session
    return s


SEEN = CaseData(REF, FLOW, "in_review", "dinsos_gowa", (("nama", "Nama", "Siti"),),
                (("foto_kk", "Foto KK", "refused"),))  # fmt: skip
OFFICE: list[Event] = [
    DocumentRequested(REF, FLOW, "foto_kk", "blurred"),
    DocumentRequested(REF, "no-such-flow", "no_step", "other", "x"),
    StatusChanged(REF, FLOW, "rejected", "Tidak terdaftar"),
    StatusChanged(REF, FLOW, "no_such_status"),
    ReminderDue("document", reference=REF, step="foto_kk"),
    ReminderDue("draft", since=NOW.isoformat()),
    ReminderDue("draft", since="not a time"),
    StatusLooked("", None),
    StatusLooked(REF, ()),
    DataLooked(None),
    DataLooked(()),
    DataLooked((SEEN, CaseData(REF, "no-such-flow", "x", "no_office", purged=True))),
    ErasureFiled(None),
    ErasureFiled(("dinsos_gowa",)),
    ErasureFiled((), ("dinsos_gowa",)),
    ErasureDecided("dinsos_gowa", True, "", (REF,)),
    ErasureDecided("no_such_office", False, "masih diperiksa"),
]


@pytest.mark.parametrize("event", OFFICE, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    "texts",
    [
        (),
        ("halo",),
        ("halo", "ya"),
        ("halo", "ya", "2", "1", "Siti Aminah"),
        ("halo", "ya", "2", "1", "batal"),
    ],
)
def test_an_office_event_at_any_stage(flows: FlowSet, event: Event, texts: tuple[str, ...]) -> None:
    before = _at(flows, *texts)
    later = NOW + timedelta(hours=30)
    turn = step(flows, before, event, later)
    assert turn.session.updated_at == before.updated_at  # not the citizen's message
    Session.from_json(turn.session.to_json())
    again = step(flows, turn.session, TextReceived("menu"), later)  # and the chat goes on
    assert again.actions


def test_a_document_asked_of_a_chat_with_no_conversation(flows: FlowSet) -> None:
    s = new_session("test", "1", "5eed" * 8)
    turn = step(flows, s, DocumentRequested(REF, FLOW, "foto_kk", "cut_off"), NOW)
    assert turn.session.stage == Stage.REVISION and wants_photo(flows, turn.session)
    assert isinstance(turn.actions[0], Tell) and turn.actions[0].kind == "document_request"
    turn = step(flows, turn.session, PhotoReceived((photo(1),)), NOW)
    sent = [a for a in turn.actions if isinstance(a, SubmitRevision)]
    assert [r.revision.key for r in sent] == [f"{REF}/foto_kk/1"]
    assert turn.session.stage == Stage.NEW and turn.session.awaiting == []
    turn = step(flows, turn.session, TextReceived("halo"), NOW)
    assert turn.session.stage == Stage.CONSENT  # a new application asks consent first


def test_the_menu_from_a_document_asked_before_any_conversation_greets(flows: FlowSet) -> None:
    s = new_session("test", "1", "5eed" * 8)
    s = step(flows, s, DocumentRequested(REF, FLOW, "foto_kk", "blurred"), NOW).session
    turn = step(flows, s, TextReceived("menu"), NOW)
    assert turn.session.stage == Stage.CONSENT and turn.session.awaiting  # still awaited


@pytest.mark.parametrize("text", ["kembali", "kmbali pak", "back"])
def test_going_back_from_a_document_asked_before_any_conversation_is_answered(
    flows: FlowSet, text: str
) -> None:
    s = new_session("test", "1", "5eed" * 8)
    s = step(flows, s, DocumentRequested(REF, FLOW, "foto_ktp", "blurred"), NOW).session
    turn = step(flows, s, TextReceived(text), NOW)
    said = " ".join(getattr(a, "text", "") for a in turn.actions)
    assert "kirim dokumen" in said.lower() and turn.session.awaiting  # later, still awaited
    assert turn.session.stage == Stage.NEW


def test_a_message_after_the_case_closed_during_the_request_is_answered(flows: FlowSet) -> None:
    s = new_session("test", "1", "5eed" * 8)
    s = step(flows, s, DocumentRequested(REF, FLOW, "foto_kk", "blurred"), NOW).session
    s = step(flows, s, StatusChanged(REF, FLOW, "rejected", "Tidak terdaftar"), NOW).session
    turn = step(flows, s, TextReceived("halo"), NOW)
    assert any(getattr(a, "text", "") for a in turn.actions)


def test_a_closed_case_ends_the_wait(flows: FlowSet) -> None:
    s = _at(flows, "halo", "ya")
    s = step(flows, s, DocumentRequested(REF, FLOW, "foto_kk", "blurred"), NOW).session
    assert s.stage == Stage.REVISION
    turn = step(flows, s, StatusChanged(REF, FLOW, "rejected", "Tidak terdaftar"), NOW)
    assert turn.session.awaiting == [] and turn.session.stage != Stage.REVISION
    said = " ".join(getattr(a, "text", "") for a in turn.actions)
    assert "Tidak terdaftar" in said and "Pengaduan" in said  # the reason and the complaints


def test_a_revision_keeps_at_most_the_steps_pages(flows: FlowSet) -> None:
    s = _at(flows, "halo", "ya")
    s = step(flows, s, DocumentRequested(REF, FLOW, "surat_opname", "cut_off"), NOW).session
    turn = step(flows, s, PhotoReceived(tuple(photo(n) for n in range(5))), NOW)
    (sent,) = [a for a in turn.actions if isinstance(a, SubmitRevision)]
    assert len(sent.revision.media) == 3  # surat_opname takes 3 pages


def test_status_without_a_lookup_says_it_cannot_now(flows: FlowSet) -> None:
    s = _at(flows, "halo", "ya")
    turn = step(flows, s, TextReceived("status"), NOW)
    said = " ".join(getattr(a, "text", "") for a in turn.actions)
    assert flows.tr("id").t(T.STATUS_UNAVAILABLE) in said


# --- a property: the office's events mixed into anything a citizen can send ---------------------

office_events = st.one_of(
    st.sampled_from(OFFICE),
    st.builds(
        DocumentRequested,
        st.just(REF),
        st.just(FLOW),
        st.sampled_from(["foto_ktp", "foto_kk", "foto_rumah", "surat_opname"]),
        st.sampled_from(["blurred", "cut_off", "wrong_document", "expired", "other"]),
        st.text(max_size=20),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(citizen_events, office_events), max_size=40))
def test_a_citizen_is_always_answered_whatever_the_office_says(evs: list[Event]) -> None:
    s = new_session("test", "1", "5eed" * 8)
    for ev in evs:
        turn = step(FLOWS, s, ev, NOW)
        if not isinstance(ev, DocumentRequested | StatusChanged | ReminderDue | StatusLooked):
            assert any(not isinstance(a, Tell | SubmitRevision) for a in turn.actions), ev
        for a in turn.actions:
            if isinstance(a, SubmitRevision):
                assert a.revision.media and a.revision.reference == REF
        s = Session.from_json(turn.session.to_json())
