"""The flow checker (authoring/loader.py): each flows_invalid/<case>/flow.yaml here is a copy of
VALID_FLOW with one thing broken, and must yield a Problem naming the file, the step and the fault.
Also: the real flows are clean, missing translations are reported, and the transitions machine
walks the real Makassar flow the way its YAML says."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest

from bot.authoring.loader import (
    DEFAULT_FLOWS,
    DEFAULT_LOCALES,
    FlowError,
    check,
    load_flowset,
    parse_flow,
)
from bot.engine.checks import Problem
from bot.engine.flow import SUMMARY
from bot.engine.machine import FlowMachine
from tests.kit.sample_flow import VALID_FLOW

HERE = Path(__file__).parent
INVALID = HERE / "flows_invalid"


# case directory -> (Problem.where, a distinctive part of Problem.what)
CASES = {
    "unknown_next": ("step 'nama'", "next step 'nomor_hp' does not exist"),
    "unknown_branch_target": (
        "step 'status'",
        "next: 'lama' leads to step 'stop_perpanjangan', which does not exist",
    ),
    "branch_key_not_option": (
        "step 'status'",
        "next: 'hilang' is not one of this step's options ['baru', 'lama', 'pindah']",
    ),
    "unreachable_step": ("step 'stop_pindah'", "unreachable"),
    "loop": ("step 'nama'", "the steps loop: nama -> status -> nama"),
    "choice_one_option": ("step 'status'", "a choice step needs at least two options"),
    "missing_label": ("step 'nama'", "needs a `label`"),
    "unknown_kind": ("step 'nama' kind", "Input should be 'text', 'name', 'nik'"),
    "duplicate_id": ("step 'nama'", "this step id is used twice"),
    "invalid_yaml": ("yaml", "while parsing a flow sequence"),
    "unknown_top_level_field": ("colour", "Extra inputs are not permitted"),
    "unknown_step_field": ("step 'nama' hint", "Extra inputs are not permitted"),
    "reserved_id": ("step 'submitted'", "'submitted' is reserved for the engine"),
    "status_twice": ("statuses", "the status id(s) ['received'] are used twice"),
    "first_status_final": ("statuses", "the first status (a new case's) cannot be final"),
}


@pytest.fixture
def no_locales(tmp_path: Path) -> Path:
    """An empty locales directory: only Indonesian, so no translation is ever missing."""
    d = tmp_path / "locales"
    d.mkdir()
    return d


def write_flow(directory: Path, text: str = VALID_FLOW) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "flow.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def po_file(locales: Path, lang: str, entries: str = "") -> Path:
    path = locales / lang / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    header = (
        'msgid ""\n'
        'msgstr ""\n'
        f'"Language: {lang}\\n"\n'
        '"MIME-Version: 1.0\\n"\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Content-Transfer-Encoding: 8bit\\n"\n\n'
    )
    path.write_text(header + entries, encoding="utf-8")
    return path


# --- the valid base and the broken copies -------------------------------------------------------


def test_valid_minimal_flow_has_no_problems(tmp_path: Path, no_locales: Path) -> None:
    path = write_flow(tmp_path / "flows")
    loaded, problems = check(tmp_path / "flows", no_locales)
    assert problems == []
    assert [(flow.id, file) for flow, file in loaded] == [("uji-mini", str(path))]
    flows = load_flowset(tmp_path / "flows", no_locales, strict=True)
    assert list(flows.flows) == ["uji-mini"]


def test_every_case_directory_is_covered() -> None:
    dirs = {d.name for d in INVALID.iterdir() if d.is_dir()}
    assert dirs == set(CASES)
    for name in dirs:
        assert [p.name for p in (INVALID / name).iterdir()] == ["flow.yaml"], name


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_copy_is_the_valid_flow_with_one_small_edit(case: str) -> None:
    """Guards "one problem at a time": each copy is VALID_FLOW with a few lines changed."""
    broken = (INVALID / case / "flow.yaml").read_text(encoding="utf-8").splitlines()
    broken = [line for line in broken if not line.startswith("#")]
    changed = [
        line
        for line in difflib.ndiff(VALID_FLOW.splitlines(), broken)
        if line.startswith(("+ ", "- "))
    ]
    assert 1 <= len(changed) <= 6, f"{case}: {changed}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_flow_is_reported(case: str, no_locales: Path) -> None:
    where, what = CASES[case]
    path = INVALID / case / "flow.yaml"
    loaded, problems = check(path.parent, no_locales)
    assert problems, f"{case}: no problem reported"
    assert all(flow.id == "uji-mini" for flow, _ in loaded)
    assert len(problems) == 1, f"{case}: expected exactly one problem, got {problems}"
    (problem,) = problems
    assert isinstance(problem, Problem)
    assert problem.file.endswith(str(Path("flows_invalid") / case / "flow.yaml"))
    assert problem.where == where
    assert what in problem.what
    assert str(problem) == f"{problem.file}: {where}: {problem.what}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_flow_stops_the_load(case: str, no_locales: Path) -> None:
    with pytest.raises(FlowError) as info:
        load_flowset(INVALID / case, no_locales)
    assert [p.where for p in info.value.problems] == [CASES[case][0]]
    assert CASES[case][1] in str(info.value)


def test_invalid_yaml_names_the_line(no_locales: Path) -> None:
    path = INVALID / "invalid_yaml" / "flow.yaml"
    line = next(
        i for i, text in enumerate(path.read_text().splitlines(), 1) if "ask: [Siapa" in text
    )
    _, [problem] = check(path.parent, no_locales)
    assert f"line {line}," in problem.what
    assert "\n" not in problem.what


def test_schema_errors_do_not_parse(no_locales: Path) -> None:
    for case in ("unknown_kind", "missing_label", "choice_one_option", "unknown_top_level_field"):
        flow, problems = parse_flow(INVALID / case / "flow.yaml")
        assert flow is None, case
        assert problems, case


def test_graph_errors_parse_but_are_reported() -> None:
    for case in ("unknown_next", "loop", "unreachable_step", "duplicate_id"):
        flow, problems = parse_flow(INVALID / case / "flow.yaml")
        assert flow is not None and flow.id == "uji-mini", case
        assert problems, case


def test_several_files_are_checked_independently(tmp_path: Path, no_locales: Path) -> None:
    flows = tmp_path / "flows"
    write_flow(flows)
    broken = (INVALID / "loop" / "flow.yaml").read_text(encoding="utf-8")
    broken = broken.replace("id: uji-mini", "id: uji-loop").replace("prefix: UJI", "prefix: UJL")
    (flows / "loop.yaml").write_text(broken, encoding="utf-8")
    loaded, problems = check(flows, no_locales)
    assert sorted(f.id for f, _ in loaded) == ["uji-loop", "uji-mini"]
    assert [(Path(p.file).name, p.where) for p in problems] == [("loop.yaml", "step 'nama'")]


def test_empty_flows_directory(tmp_path: Path, no_locales: Path) -> None:
    (tmp_path / "flows").mkdir()
    loaded, problems = check(tmp_path / "flows", no_locales)
    assert loaded == []
    assert [p.what for p in problems] == ["no flow files (*.yaml) here"]


def test_flow_file_that_is_not_utf8_is_a_problem_not_a_crash(
    tmp_path: Path, no_locales: Path
) -> None:
    """A flow saved as Latin-1 (e.g. by an old editor) must be reported like invalid YAML."""
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "flow.yaml").write_bytes(
        VALID_FLOW.replace("Kota Uji", "Kota Uji é").encode("latin-1")
    )
    loaded, problems = check(flows, no_locales)
    assert loaded == []
    assert len(problems) == 1
    assert problems[0].file.endswith("flow.yaml")
    assert "UTF-8" in problems[0].what


# --- the real flows -----------------------------------------------------------------------------


def test_real_flows_have_no_structural_problems() -> None:
    loaded, problems = check(DEFAULT_FLOWS, DEFAULT_LOCALES)
    structural = [str(p) for p in problems if "translation" not in p.what]
    assert structural == []
    assert {f.id for f, _ in loaded} == {"gowa-kis-reaktivasi", "makassar-kis-pbi"}


def test_real_flows_load() -> None:
    flows = load_flowset()
    assert set(flows.flows) == {"gowa-kis-reaktivasi", "makassar-kis-pbi"}
    assert set(flows.machines) == set(flows.flows)
    assert flows.languages[0] == "id"


# --- missing translations -----------------------------------------------------------------------


def test_untranslated_catalog_reports_each_flow_text(tmp_path: Path) -> None:
    flows, locales = tmp_path / "flows", tmp_path / "locales"
    write_flow(flows)
    po_file(locales, "en")
    _, problems = check(flows, locales)
    flow_problems = [p for p in problems if p.file.endswith("flow.yaml")]
    assert flow_problems, "an empty English catalog must be reported"
    assert all("no en translation" in p.what for p in flow_problems)
    by_where = {p.where: p.what for p in flow_problems}
    assert by_where["step 'nama' ask"] == "no en translation for 'Siapa nama lengkap Anda?'"
    assert "step 'nama' label" in by_where
    assert "step 'status' option 'baru'" in by_where
    assert "step 'stop_lama' ask" in by_where
    assert "service.title" in by_where
    # the engine's own texts are reported against the catalog, not the flow
    engine = [p for p in problems if p.where == "engine text"]
    assert engine and all(p.file == "locales/en" for p in engine)


def test_translated_text_is_no_longer_reported(tmp_path: Path) -> None:
    flows, locales = tmp_path / "flows", tmp_path / "locales"
    write_flow(flows)
    po_file(
        locales,
        "en",
        'msgid "Siapa nama lengkap Anda?"\nmsgstr "What is your full name?"\n\n'
        '#, fuzzy\nmsgid "Nama lengkap"\nmsgstr "Full name"\n',
    )
    _, problems = check(flows, locales)
    wheres = {p.where for p in problems if p.file.endswith("flow.yaml")}
    assert "step 'nama' ask" not in wheres
    assert "step 'nama' label" in wheres, "a fuzzy translation must still count as missing"
    assert "step 'hp' ask" in wheres


def test_missing_translations_stop_only_a_strict_load(tmp_path: Path) -> None:
    flows, locales = tmp_path / "flows", tmp_path / "locales"
    write_flow(flows)
    po_file(locales, "en")
    loose = load_flowset(flows, locales)
    assert loose.languages == ["id", "en"]
    assert loose.tr("en").t("Siapa nama lengkap Anda?") == "Siapa nama lengkap Anda?"
    with pytest.raises(FlowError) as info:
        load_flowset(flows, locales, strict=True)
    assert all("translation" in p.what for p in info.value.problems)


def test_broken_flow_is_not_checked_for_translations(tmp_path: Path) -> None:
    flows, locales = tmp_path / "flows", tmp_path / "locales"
    write_flow(flows, (INVALID / "loop" / "flow.yaml").read_text(encoding="utf-8"))
    po_file(locales, "en")
    _, problems = check(flows, locales)
    flow_problems = [p for p in problems if p.file.endswith("flow.yaml")]
    assert [p.where for p in flow_problems] == ["step 'nama'"]


# --- the transitions machine on the real Makassar flow ------------------------------------------

MAKASSAR, _ = parse_flow(DEFAULT_FLOWS / "makassar-kis-pbi.yaml")
GOWA, _ = parse_flow(DEFAULT_FLOWS / "gowa-kis-reaktivasi.yaml")
PHOTO = [{"key": "media/x.jpg", "mime": "image/jpeg", "sha256": "ab" * 32, "size": 1}]
BARU = {
    "jenis": "baru",
    "nama": "Siti Aminah",
    "nik": "7306014505850002",
    "nomor_kk": "7306011203100004",
    "foto_kk": PHOTO,
    "pekerjaan": "nelayan",
    "dtks": "sudah",
    "hp": "+6281234567890",
    "faskes": "Puskesmas Uji",
}


@pytest.fixture(scope="module")
def makassar() -> FlowMachine:
    assert MAKASSAR is not None
    return FlowMachine(MAKASSAR)


def test_path_with_no_answers_is_the_first_step(makassar: FlowMachine) -> None:
    assert makassar.path({}) == ["jenis"]


def test_peralihan_with_tunggakan_stops(makassar: FlowMachine) -> None:
    path = makassar.path({"jenis": "peralihan", "tunggakan": "ya"})
    assert path == ["jenis", "tunggakan", "stop_tunggakan"]
    assert path[-1] == "stop_tunggakan"


def test_stop_is_final_even_with_later_answers(makassar: FlowMachine) -> None:
    path = makassar.path({**BARU, "jenis": "peralihan", "tunggakan": "ya"})
    assert path[-1] == "stop_tunggakan"


def test_peralihan_without_tunggakan_asks_for_proof(makassar: FlowMachine) -> None:
    answers = {**BARU, "jenis": "peralihan", "tunggakan": "tidak", "bukti_bayar": PHOTO}
    path = makassar.path(answers)
    assert path[:4] == ["jenis", "tunggakan", "bukti_bayar", "nama"]
    assert path[-1] == SUMMARY
    assert makassar.path({"jenis": "peralihan", "tunggakan": "tidak"})[-1] == "bukti_bayar"


def test_baru_skips_tunggakan_and_bukti_bayar(makassar: FlowMachine) -> None:
    path = makassar.path(BARU)
    assert path == [*BARU, SUMMARY]
    assert "tunggakan" not in path and "bukti_bayar" not in path
    assert makassar.path({"jenis": "baru"}) == ["jenis", "nama"]


def test_answers_off_the_path_do_not_count(makassar: FlowMachine) -> None:
    path = makassar.path({**BARU, "tunggakan": "ya", "bukti_bayar": PHOTO, "sktm": PHOTO})
    assert path == [*BARU, SUMMARY]


def test_dtks_sudah_skips_sktm(makassar: FlowMachine) -> None:
    path = makassar.path(BARU)
    assert "sktm" not in path
    assert path[path.index("dtks") + 1] == "hp"


@pytest.mark.parametrize("dtks", ["belum", "tidak_tahu"])
def test_dtks_belum_or_tidak_tahu_asks_for_sktm(makassar: FlowMachine, dtks: str) -> None:
    without_sktm = makassar.path({**BARU, "dtks": dtks})
    assert without_sktm[-1] == "sktm"
    path = makassar.path({**BARU, "dtks": dtks, "sktm": PHOTO})
    assert path[path.index("dtks") + 1] == "sktm"
    assert path[path.index("sktm") + 1] == "hp"
    assert path[-1] == SUMMARY


def test_pekerjaan_lainnya_asks_what_work(makassar: FlowMachine) -> None:
    path = makassar.path({**BARU, "pekerjaan": "lainnya"})
    assert path[-1] == "pekerjaan_lain"
    path = makassar.path({**BARU, "pekerjaan": "lainnya", "pekerjaan_lain": "Tukang becak"})
    assert path[path.index("pekerjaan") + 1] == "pekerjaan_lain"
    assert path[path.index("pekerjaan_lain") + 1] == "dtks"


@pytest.mark.parametrize(
    ("state", "value", "dest"),
    [
        ("jenis", "baru", "nama"),
        ("jenis", "peralihan", "tunggakan"),
        ("tunggakan", "ya", "stop_tunggakan"),
        ("tunggakan", "tidak", "bukti_bayar"),
        ("bukti_bayar", PHOTO, "nama"),
        ("dtks", "sudah", "hp"),
        ("dtks", "belum", "sktm"),
        ("dtks", "tidak_tahu", "sktm"),
        ("sktm", PHOTO, "hp"),
        ("faskes", "Puskesmas Uji", SUMMARY),
    ],
)
def test_next(makassar: FlowMachine, state: str, value: Any, dest: str) -> None:
    assert makassar.next(state, value) == dest


def test_gowa_dtks_branches() -> None:
    assert GOWA is not None
    gowa = FlowMachine(GOWA)
    before = {
        "nama": "Siti Aminah",
        "nik": "7306014505850002",
        "foto_ktp": PHOTO,
        "nomor_kk": "7306011203100004",
        "foto_kk": PHOTO,
    }
    assert gowa.path({**before, "dtks": "belum", "dtks_lanjut": "tidak"})[-1] == "stop_dtks"
    assert gowa.path({**before, "dtks": "belum", "dtks_lanjut": "ya"})[-1] == "sakit"
    assert gowa.path({**before, "dtks": "sudah"})[-1] == "sakit"
    assert "dtks_lanjut" not in gowa.path({**before, "dtks": "tidak_tahu"})
