"""Property tests of the conversation engine with the real flows: whatever a citizen sends, in
whatever order, `step` answers sensibly, keeps a session that survives JSON, and submits only
from the summary. All identity numbers are synthetic."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import texts as T
from bot.engine.flow import SUMMARY, Step
from bot.engine.model import (
    REJECT_REASONS,
    AskChoice,
    ChoiceMade,
    ContactShared,
    Event,
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
from bot.loader import load_flowset

FLOWS = load_flowset()
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SEED = "00" * 16

NIK = "7306014505850002"  # synthetic: a woman (day 5 + 40) born 5 May 1985, Gowa region
KK = "7306011203100004"  # synthetic KK number, Gowa region
PHONE = "0812 3456 7890"
NAME = "Siti Aminah"
PHOTO = PhotoReceived((MediaRef("media/a1.jpg", "image/jpeg", "ab" * 32, 123_456),))

USEFUL_WORDS = [
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
    "text": [TextReceived(NAME), TextReceived("x")],
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
        assert isinstance(action, (*TEXT_ACTIONS, SubmitDossier)), action
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


def dossiers(turns: Sequence[Turn]) -> list:
    return [a.dossier for t in turns for a in t.actions if isinstance(a, SubmitDossier)]


def check_dossier_complete(dossier) -> None:
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


MAKASSAR_SUMMARY = scripted(MAKASSAR_TO_SUMMARY)
GOWA_SUMMARY = scripted(GOWA_TO_SUMMARY)
STARTS = [
    new_session("test", "chat-1", SEED),
    scripted(MAKASSAR_TO_SUMMARY[:4]),  # Makassar, at the first question
    scripted(MAKASSAR_TO_SUMMARY[:6]),  # Makassar, at the NIK
    scripted(GOWA_TO_SUMMARY[:12]),  # Gowa, in the middle of the house photos
    MAKASSAR_SUMMARY,
    GOWA_SUMMARY,
    scripted(MAKASSAR_TO_SUMMARY, lang_first=True),  # English, at the summary
]


def test_scripts_reach_the_summary():
    assert MAKASSAR_SUMMARY.stage == "summary"
    assert MAKASSAR_SUMMARY.flow_id == "makassar-kis-pbi"
    assert GOWA_SUMMARY.stage == "summary"
    assert GOWA_SUMMARY.flow_id == "gowa-kis-reaktivasi"
    assert STARTS[2].stage == "flow" and STARTS[2].step == "nik"
    assert STARTS[3].step == "foto_rumah" and len(STARTS[3].pending) == 1
    assert STARTS[-1].lang == "en" and STARTS[-1].stage == "summary"


def test_scripted_submission_makassar():
    session, turns = run(MAKASSAR_SUMMARY, [ChoiceMade("submit")])
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


def test_scripted_submission_gowa():
    _, turns = run(GOWA_SUMMARY, [TextReceived("kirim pengajuan")])
    (dossier,) = dossiers(turns)
    check_dossier_complete(dossier)
    assert dossier.reference.startswith("GWA-")
    assert [step_id for step_id, _ in dossier.photos] == [
        "foto_ktp",
        "foto_kk",
        "foto_rumah",
        "foto_keluarga",
    ]


def test_second_submission_gets_a_new_reference():
    session, turns = run(MAKASSAR_SUMMARY, [ChoiceMade("submit"), TextReceived("menu")])
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
def test_step_never_breaks_from_a_new_session(evs):
    run(new_session("test", "chat-1", SEED), evs)


@FAST
@given(st.lists(events, max_size=40))
def test_step_never_breaks_in_english(evs):
    session, turns = run(new_session("test", "chat-1", SEED), [TextReceived("bahasa")])
    assert session.lang == "en"
    assert session.stage == "consent"
    run(session, evs)


@FAST
@given(st.sampled_from(STARTS), st.lists(events, max_size=40))
def test_step_never_breaks_from_deep_starting_points(start, evs):
    run(start, evs)


@FAST
@given(st.data())
def test_submitted_dossier_answers_a_complete_path(data):
    start = data.draw(st.sampled_from([MAKASSAR_SUMMARY, GOWA_SUMMARY]), label="start")
    evs = data.draw(editing_session(start.flow_id or ""), label="events")
    _, turns = run(start, evs)
    for dossier in dossiers(turns):
        check_dossier_complete(dossier)


# --- bugs found while writing these tests, pinned as plain examples ------------------------------


def test_back_while_editing_does_not_submit_an_incomplete_dossier():
    """Edit "jenis" to "peralihan" from the summary, then type "kembali" at the new question
    (tunggakan): the engine must not show a summary of an unfinished path and submit it."""
    session, turns = run(
        MAKASSAR_SUMMARY,
        [*edit("jenis"), TextReceived("2"), TextReceived("kembali")],
    )
    if session.stage == "summary":
        path = FLOWS.machines[session.flow_id or ""].path(session.answers)
        assert path[-1] == SUMMARY, f"summary shown for an unfinished path {path}"
    _, turns = run(session, [ChoiceMade("submit")])
    for dossier in dossiers(turns):
        check_dossier_complete(dossier)


def test_back_while_editing_keeps_the_other_answers():
    session, _ = run(
        MAKASSAR_SUMMARY,
        [*edit("jenis"), TextReceived("2"), TextReceived("kembali")],
    )
    for step_id in ("nama", "nik", "nomor_kk", "hp", "faskes"):
        assert session.answers.get(step_id) == MAKASSAR_SUMMARY.answers[step_id], step_id


def test_back_from_an_end_step_reached_while_editing_returns_to_the_question():
    """The stop message says 'Bila salah pilih, ketik "kembali"'. Outside an edit that works;
    during an edit from the summary "kembali" must also lead back to the answer to correct."""
    at_tunggakan = [*edit("jenis"), ChoiceMade("peralihan")]
    session, _ = run(MAKASSAR_SUMMARY, [*at_tunggakan, ChoiceMade("ya")])
    assert (session.stage, session.step) == ("flow", "stop_tunggakan")
    for back in (TextReceived("kembali"), ChoiceMade("back")):
        after, _ = run(session, [back])
        assert (after.stage, after.step) == ("flow", "tunggakan"), f"{back}: stuck at {after.step}"


def test_back_from_an_end_step_outside_an_edit_returns_to_the_question():
    session, _ = run(STARTS[1], [ChoiceMade("peralihan"), ChoiceMade("ya")])
    assert (session.step, session.editing) == ("stop_tunggakan", False)
    after, _ = run(session, [TextReceived("kembali")])
    assert (after.stage, after.step) == ("flow", "tunggakan")


def test_superscript_digits_at_the_nik_step_do_not_crash():
    """ "²" passes str.isdigit() but not int(): parse_nik raises ValueError inside step()."""
    at_nik = STARTS[2]
    turn = step(FLOWS, at_nik, TextReceived("²" * 16), NOW)
    assert turn.session.step == "nik"
    assert [a.text for a in turn.actions if isinstance(a, SendText)] == [T.NIK_NOT_DIGITS]
