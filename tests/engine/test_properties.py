"""Property tests of the conversation engine with the real flows: whatever a citizen sends, in
whatever order, `step` answers sensibly, keeps a session that survives JSON, and submits only
from the summary. All identity numbers are synthetic."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.authoring.loader import load_flowset
from bot.engine import texts as T
from bot.engine.flow import SUMMARY, Step
from bot.engine.model import (
    REJECT_REASONS,
    AskChoice,
    ChoiceMade,
    ContactShared,
    Dossier,
    Event,
    FileErasure,
    MediaRef,
    PhotoReceived,
    PhotoRejected,
    RequestContact,
    RequestPhoto,
    SendText,
    Session,
    SubmitDossier,
    TextReceived,
    Turn,
    Unsupported,
)
from bot.engine.reference import is_valid_reference
from bot.engine.step import new_session, step

FLOWS = load_flowset()
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SEED = "00" * 16

NIK = "7306014505850002"  # synthetic: a woman (day 5 + 40) born 5 May 1985, Gowa region
KK = "7306011203100004"  # synthetic KK number, Gowa region
PHONE = "0812 3456 7890"
NAME = "Siti Aminah"
PHOTO = PhotoReceived((MediaRef("media/a1.jpg", "image/jpeg", "ab" * 32, 123_456),))

USEFUL_WORDS = [
    "hapus data saya",
    "data saya",
    "1",
    "2",
    "3",
    "ya",
    "tidak",
    "menu",
    "kembali",
    "batal",
    "bantuan",
    "bahasa",
    "selesai",
    "lewati",
    "kirim pengajuan",
    NIK,
    KK,
    PHONE,
    NAME,
]

STEP_IDS = sorted({s.id for f in FLOWS.flows.values() for s in f.steps})
OPTION_VALUES = sorted({o.value for f in FLOWS.flows.values() for s in f.steps for o in s.choices})
CHOICE_VALUES = [
    "ya",
    "tidak",
    "begin",
    "menu",
    "back",
    "resume",
    "submit",
    "edit",
    "done",
    "skip",
    "keep",
    "en",
    "id",
    *(f"office:{o.id}" for o in FLOWS.offices),
    *FLOWS.flows,
    *OPTION_VALUES,
    *(f"edit:{sid}" for sid in STEP_IDS),
]
UNSUPPORTED_KINDS = ["sticker", "voice", "audio", "location", "video", "poll", "contact_card"]

# --- strategies ---------------------------------------------------------------------------------

texts = st.one_of(st.sampled_from(USEFUL_WORDS), st.text(max_size=40))
media = st.builds(
    MediaRef,
    key=st.from_regex(r"media/[a-z0-9]{1,12}\.(jpg|png|pdf)", fullmatch=True),
    mime=st.sampled_from(["image/jpeg", "image/png", "application/pdf"]),
    sha256=st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    size=st.integers(min_value=1, max_value=10_000_000),
)
events: st.SearchStrategy[Event] = st.one_of(
    st.builds(TextReceived, texts),
    st.builds(TextReceived, texts),
    st.builds(ChoiceMade, st.one_of(st.sampled_from(CHOICE_VALUES), st.text(max_size=20))),
    st.builds(PhotoReceived, st.lists(media, min_size=1, max_size=3).map(tuple)),
    st.builds(ContactShared, st.one_of(st.sampled_from([PHONE, "+6281234567890"]), st.text())),
    st.builds(PhotoRejected, st.one_of(st.sampled_from(REJECT_REASONS), st.text(max_size=20))),
    st.builds(Unsupported, st.one_of(st.sampled_from(UNSUPPORTED_KINDS), st.text(max_size=20))),
)


ANSWERS_BY_KIND: dict[str, list[Event]] = {
    "text": [TextReceived("Puskesmas Kassi-Kassi"), TextReceived("x")],
    "name": [TextReceived(NAME), TextReceived("x")],
    "nik": [TextReceived(NIK), TextReceived("123")],
    "kk": [TextReceived(KK)],
    "phone": [TextReceived(PHONE), ContactShared("+6281234567890")],
    "photo": [PHOTO, TextReceived("selesai"), ChoiceMade("keep")],
    "end": [TextReceived("kembali")],
}
NAVIGATION: list[Event] = [
    TextReceived("kembali"),
    TextReceived("kembali"),
    TextReceived("menu"),
    TextReceived("batal"),
    TextReceived("tidak"),
    ChoiceMade("resume"),
    ChoiceMade("back"),
    ChoiceMade("submit"),
    PhotoReceived((MediaRef("media/e1.jpg", "image/jpeg", "cd" * 32, 99),)),
]


def _answer_for(draw: st.DrawFn, step_: Step) -> Event:
    if step_.choices:
        return ChoiceMade(draw(st.sampled_from([o.value for o in step_.choices])))
    return draw(st.sampled_from(ANSWERS_BY_KIND[step_.kind]))


@st.composite
def editing_session(draw: st.DrawFn, flow_id: str) -> list[Event]:
    """What a citizen does at the summary: pick a step to change, answer it, maybe answer the
    questions the change brought up, move around (mostly "kembali"), and finally submit."""
    flow = FLOWS.flows[flow_id]
    questions = [s for s in flow.steps if s.kind != "end"]
    out: list[Event] = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        target = draw(st.sampled_from(questions))
        out += [*edit(target.id), _answer_for(draw, target)]
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            out.append(_answer_for(draw, draw(st.sampled_from(flow.steps))))
        out += draw(st.lists(st.sampled_from(NAVIGATION), max_size=2))
    out.append(ChoiceMade("submit"))
    return out


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- invariants ---------------------------------------------------------------------------------

TEXT_ACTIONS = (SendText, AskChoice, RequestPhoto, RequestContact)


def check_turn(before: Session, before_json: str, turn: Turn) -> None:
    """Every property a single turn must have."""
    assert before.to_json() == before_json, "step() changed the session it was given"
    assert turn.actions, "a turn without any action leaves the citizen waiting"
    submits = [a for a in turn.actions if isinstance(a, SubmitDossier)]
    assert len(submits) <= 1
    for action in turn.actions:
        # FileErasure: the runtime files it and the engine then says what it did (privacy.py)
        assert isinstance(action, (*TEXT_ACTIONS, SubmitDossier, FileErasure)), action
        if isinstance(action, TEXT_ACTIONS):
            assert isinstance(action.text, str) and action.text.strip(), action
        if isinstance(action, AskChoice):
            assert len(action.options) >= 1, action
            values = [o.value for o in action.options]
            assert len(set(values)) == len(values), f"duplicate option values: {values}"
            for option in action.options:
                assert option.value and option.label.strip(), action
        if isinstance(action, RequestPhoto):
            for option in action.options:
                assert option.value and option.label.strip(), action
        if isinstance(action, RequestContact):
            assert action.button.strip(), action
        if isinstance(action, SubmitDossier):
            dossier = action.dossier
            assert before.stage == "summary", f"submitted from stage {before.stage!r}"
            assert is_valid_reference(dossier.reference), dossier.reference
            flow = FLOWS.flows[dossier.flow_id]
            assert dossier.flow_id == before.flow_id
            assert dossier.reference.startswith(flow.reference_prefix + "-")
            assert dossier.submitted_at == NOW
            assert turn.session.stage == "submitted"
            assert turn.session.reference == dossier.reference
            assert turn.session.answers == {}, "the session must not keep submitted answers"
    assert turn.session.updated_at == NOW


def round_trip(session: Session) -> Session:
    raw = session.to_json()
    again = Session.from_json(raw)
    assert again.to_json() == raw
    assert again == session
    return again


def run(session: Session, evs: Iterable[Event]) -> tuple[Session, list[Turn]]:
    """Feed events one by one, checking every turn and round-tripping the session in between."""
    turns = []
    for ev in evs:
        before_json = session.to_json()
        turn = step(FLOWS, session, ev, NOW)
        check_turn(session, before_json, turn)
        turns.append(turn)
        session = round_trip(turn.session)
    return session, turns


def dossiers(turns: Sequence[Turn]) -> list[Dossier]:
    return [a.dossier for t in turns for a in t.actions if isinstance(a, SubmitDossier)]


def check_dossier_complete(dossier: Dossier) -> None:
    """A dossier must answer a whole path of its flow, from the first step to the summary."""
    flow = FLOWS.flows[dossier.flow_id]
    answers = {item.step: item.value for item in dossier.answers}
    path = FLOWS.machines[flow.id].path(answers)
    assert path[-1] == SUMMARY, f"dossier {dossier.reference} stops at {path[-1]!r}: {answers}"
    assert [item.step for item in dossier.answers] == path[:-1]
    for item in dossier.answers:
        st_ = flow.step(item.step)
        assert st_.kind != "end", f"an end step ({item.step}) is in the dossier"
        assert item.value is not None or st_.optional, f"{item.step} is unanswered"


# --- scripted starting points -------------------------------------------------------------------


def edit(step_id: str) -> list[Event]:
    """From the summary: "Ubah jawaban", then the step to change."""
    return [ChoiceMade("edit"), ChoiceMade(f"edit:{step_id}")]


def _events(*items: str | Event) -> list[Event]:
    return [TextReceived(i) if isinstance(i, str) else i for i in items]


MAKASSAR_TO_SUMMARY = _events(
    "halo",
    "ya",
    ChoiceMade("office:dinsos_makassar"),
    ChoiceMade("begin"),
    "1",  # jenis: baru
    NAME,
    NIK,
    KK,
    PHOTO,  # foto_kk
    "nelayan",
    "sudah",
    PHONE,
    "Puskesmas Kassi-Kassi",
)
GOWA_TO_SUMMARY = _events(
    "halo",
    "ya",
    ChoiceMade("office:dinsos_gowa"),
    ChoiceMade("begin"),
    NAME,
    NIK,
    PHOTO,  # foto_ktp
    KK,
    PHOTO,  # foto_kk
    "sudah",
    "tidak",  # sakit
    PHOTO,  # foto_rumah (up to 10)
    "selesai",
    PHOTO,  # foto_keluarga (up to 10)
    "selesai",
    PHONE,
)


def scripted(evs: Sequence[Event], lang_first: bool = False) -> Session:
    start = new_session("test", "chat-1", SEED)
    session, _ = run(start, ([TextReceived("bahasa")] if lang_first else []) + list(evs))
    return session


# Where the properties start from, built on first use (a broken script then fails the tests
# that need it, not the import of this module).
SCRIPTS: dict[str, tuple[list[Event], bool]] = {
    "new": ([], False),
    "makassar_jenis": (MAKASSAR_TO_SUMMARY[:4], False),  # at the first question
    "makassar_nik": (MAKASSAR_TO_SUMMARY[:6], False),
    "gowa_foto_rumah": (GOWA_TO_SUMMARY[:12], False),  # one house photo sent, more allowed
    "gowa_sakit": (GOWA_TO_SUMMARY[:10], False),
    "makassar_summary": (MAKASSAR_TO_SUMMARY, False),
    "gowa_summary": (GOWA_TO_SUMMARY, False),
    "english_summary": (MAKASSAR_TO_SUMMARY, True),
}


@functools.cache
def start_at(name: str) -> Session:
    evs, lang_first = SCRIPTS[name]
    return scripted(evs, lang_first)


def test_scripts_reach_their_starting_points() -> None:
    assert start_at("new").stage == "new"
    assert start_at("makassar_jenis").step == "jenis"
    assert start_at("makassar_nik").step == "nik"
    assert start_at("gowa_sakit").step == "sakit"
    foto_rumah = start_at("gowa_foto_rumah")
    assert foto_rumah.step == "foto_rumah" and len(foto_rumah.pending) == 1
    for name, flow_id in (
        ("makassar_summary", "makassar-kis-pbi"),
        ("gowa_summary", "gowa-kis-reaktivasi"),
    ):
        assert start_at(name).stage == "summary"
        assert start_at(name).flow_id == flow_id
    assert start_at("english_summary").lang == "en"
    assert start_at("english_summary").stage == "summary"


def test_scripted_submission_makassar() -> None:
    session, turns = run(start_at("makassar_summary"), [ChoiceMade("submit")])
    (dossier,) = dossiers(turns)
    check_dossier_complete(dossier)
    assert dossier.flow_id == "makassar-kis-pbi"
    assert dossier.reference.startswith("MKS-")
    answers = {i.step: i.value for i in dossier.answers}
    assert answers["nik"] == NIK
    assert answers["nomor_kk"] == KK
    assert answers["hp"] == "+6281234567890"
    assert "tunggakan" not in answers and "sktm" not in answers
    assert [step_id for step_id, _ in dossier.photos] == ["foto_kk"]
    assert session.stage == "submitted"


def test_scripted_submission_gowa() -> None:
    _, turns = run(start_at("gowa_summary"), [TextReceived("kirim pengajuan")])
    (dossier,) = dossiers(turns)
    check_dossier_complete(dossier)
    assert dossier.reference.startswith("GWA-")
    assert [step_id for step_id, _ in dossier.photos] == [
        "foto_ktp",
        "foto_kk",
        "foto_rumah",
        "foto_keluarga",
    ]


def test_a_command_acts_once() -> None:
    at_nik = start_at("makassar_nik")
    after, _ = run(at_nik, [TextReceived("kembali")])
    assert (after.stage, after.step) == ("flow", "nama")
    after, _ = run(at_nik, [TextReceived("bahasa")])
    assert after.lang == "en" and after.step == "nik"
    after, _ = run(after, [TextReceived("bahasa")])
    assert after.lang == "id" and after.step == "nik"
    after, _ = run(at_nik, [TextReceived("batal")])
    assert after.stage == "cancel" and after.answers == at_nik.answers


def test_second_submission_gets_a_new_reference() -> None:
    session, turns = run(start_at("makassar_summary"), [ChoiceMade("submit"), TextReceived("menu")])
    first = dossiers(turns)[0].reference
    session, _ = run(session, MAKASSAR_TO_SUMMARY[2:])
    assert session.stage == "summary"
    _, turns = run(session, [ChoiceMade("submit")])
    second = dossiers(turns)[0].reference
    assert first != second
    assert is_valid_reference(second)


# --- properties ---------------------------------------------------------------------------------


@FAST
@given(st.lists(events, max_size=40))
def test_step_never_breaks_from_a_new_session(evs: list[Event]) -> None:
    run(new_session("test", "chat-1", SEED), evs)


@FAST
@given(st.lists(events, max_size=40))
def test_step_never_breaks_in_english(evs: list[Event]) -> None:
    session, turns = run(new_session("test", "chat-1", SEED), [TextReceived("bahasa")])
    assert isinstance(turns[0].actions[-1], AskChoice)  # the consent question, in English
    assert [o.value for o in turns[0].actions[-1].options] == ["ya", "tidak"]
    assert session.lang == "en"
    assert session.stage == "consent"
    run(session, evs)


@FAST
@given(st.sampled_from(sorted(SCRIPTS)), st.lists(events, max_size=40))
def test_step_never_breaks_from_deep_starting_points(name: str, evs: list[Event]) -> None:
    run(start_at(name), evs)


@FAST
@given(st.data())
def test_submitted_dossier_answers_a_complete_path(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["makassar_summary", "gowa_summary"]), label="start")
    start = start_at(name)
    evs = data.draw(editing_session(start.flow_id or ""), label="events")
    _, turns = run(start, evs)
    for dossier in dossiers(turns):
        check_dossier_complete(dossier)


# --- bugs found while writing these tests, pinned as plain examples ------------------------------


def test_back_while_editing_does_not_submit_an_incomplete_dossier() -> None:
    """Edit "jenis" to "peralihan" from the summary, then type "kembali" at the new question
    (tunggakan). This used to show a summary of just [jenis, tunggakan], drop every other
    answer, and let "Kirim pengajuan" submit that incomplete dossier."""
    session, _ = run(
        start_at("makassar_summary"),
        [*edit("jenis"), TextReceived("2"), TextReceived("kembali")],
    )
    path = FLOWS.machines[session.flow_id or ""].path(session.answers)
    assert path[-1] != SUMMARY, "the change to jenis left tunggakan unanswered"
    assert session.stage != "summary", f"summary shown for an unfinished path {path}"
    assert (session.stage, session.step) in {("flow", "jenis"), ("flow", "tunggakan")}
    _, turns = run(session, [ChoiceMade("submit"), TextReceived("kirim pengajuan")])
    assert dossiers(turns) == []


def test_back_while_editing_keeps_the_other_answers() -> None:
    session, _ = run(
        start_at("makassar_summary"),
        [*edit("jenis"), TextReceived("2"), TextReceived("kembali")],
    )
    for step_id in ("nama", "nik", "nomor_kk", "hp", "faskes"):
        assert session.answers.get(step_id) == start_at("makassar_summary").answers[step_id], (
            step_id
        )


def test_back_from_an_end_step_reached_while_editing_returns_to_the_question() -> None:
    """The stop message says 'Bila salah pilih, ketik "kembali"'. Outside an edit that works;
    during an edit from the summary "kembali" must also lead back to the answer to correct."""
    at_tunggakan = [*edit("jenis"), ChoiceMade("peralihan")]
    session, _ = run(start_at("makassar_summary"), [*at_tunggakan, ChoiceMade("ya")])
    assert (session.stage, session.step) == ("flow", "stop_tunggakan")
    for back in (TextReceived("kembali"), ChoiceMade("back")):
        after, _ = run(session, [back])
        assert (after.stage, after.step) == ("flow", "tunggakan"), f"{back}: stuck at {after.step}"


def test_back_from_an_end_step_outside_an_edit_returns_to_the_question() -> None:
    session, _ = run(start_at("makassar_jenis"), [ChoiceMade("peralihan"), ChoiceMade("ya")])
    assert (session.step, session.editing) == ("stop_tunggakan", False)
    after, _ = run(session, [TextReceived("kembali")])
    assert (after.stage, after.step) == ("flow", "tunggakan")


def test_never_in_arrears_is_not_stopped_for_arrears() -> None:
    """At Makassar's "tunggakan" question, "tidak pernah nunggak" (I have never been in arrears)
    must not be recorded as "ya, masih ada tunggakan", which ends the application."""
    at_tunggakan, _ = run(start_at("makassar_jenis"), [ChoiceMade("peralihan")])
    assert at_tunggakan.step == "tunggakan"
    for text in ("tidak nunggak", "tidak pernah nunggak", "gak pernah menunggak pak"):
        after, _ = run(at_tunggakan, [TextReceived(text)])
        assert after.answers.get("tunggakan") in (None, "tidak"), text
        assert after.step != "stop_tunggakan", text


def test_not_hospitalised_is_not_asked_for_a_hospital_letter() -> None:
    """At Gowa's "sakit" question, "tidak sedang dirawat" (not in hospital now) must not be
    recorded as "Ya, sedang sakit/dirawat"."""
    at_sakit = start_at("gowa_sakit")
    assert at_sakit.step == "sakit"
    for text in ("tidak dirawat", "tidak sedang dirawat", "gak lagi dirawat"):
        after, _ = run(at_sakit, [TextReceived(text)])
        assert after.answers.get("sakit") in (None, "tidak"), text


def test_superscript_digit_at_a_question_does_not_crash() -> None:
    """Found by test_step_never_breaks_in_english: "¹" passes str.isdigit() but int() refuses
    it, and parse_choice raised ValueError out of step() at the very first question."""
    consent = scripted([TextReceived("halo")])
    assert consent.stage == "consent"
    for text in ("¹", "²", "①"):
        turn = step(FLOWS, consent, TextReceived(text), NOW)
        assert turn.session.stage == "consent"
        assert isinstance(turn.actions[-1], AskChoice)


def test_superscript_digits_at_the_nik_step_do_not_crash() -> None:
    """ "²" passes str.isdigit() but not int(): parse_nik used to raise ValueError in step()."""
    at_nik = start_at("makassar_nik")
    turn = step(FLOWS, at_nik, TextReceived("²" * 16), NOW)
    assert turn.session.step == "nik"
    assert [a.text for a in turn.actions if isinstance(a, SendText)] == [T.NIK_NOT_DIGITS]
