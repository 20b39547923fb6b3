"""Definitions several flows share (flows/shared/): an office written once and named by id, an
option set written once and named by a step; unknown names and repeated offices are reported."""

from __future__ import annotations

from pathlib import Path

from bot.authoring.loader import DEFAULT_FLOWS, check, load_flowset, load_shared
from tests.kit.sample_flow import VALID_FLOW

OFFICES = """\
dinsos_uji:
  name: Dinas Sosial Kabupaten Uji
  address: Jalan Contoh Nomor 1, Kota Uji 90000
"""
OPTIONS = """\
ya_tidak_tahu:
  - value: ya
    label: Ya
    means: "yes"
  - value: tidak
    label: Tidak
    means: "no"
"""
INLINE_OFFICE = """\
office:
  id: dinsos_uji
  name: Dinas Sosial Kabupaten Uji
  address: Jalan Contoh Nomor 1, Kota Uji 90000
"""


def _flows(tmp_path: Path, flow: str, offices: str = OFFICES, options: str = OPTIONS) -> Path:
    flows = tmp_path / "flows"
    (flows / "shared").mkdir(parents=True)
    (flows / "shared" / "offices.yaml").write_text(offices, encoding="utf-8")
    (flows / "shared" / "options.yaml").write_text(options, encoding="utf-8")
    (flows / "flow.yaml").write_text(flow, encoding="utf-8")
    return flows


def _no_locales(tmp_path: Path) -> Path:
    (tmp_path / "locales").mkdir()
    return tmp_path / "locales"


def test_the_real_flows_name_their_offices_and_share_the_dtks_options() -> None:
    shared, problems = load_shared(DEFAULT_FLOWS)
    assert problems == []
    assert set(shared.offices) == {"dinsos_gowa", "dinsos_makassar"}
    flows = load_flowset()
    gowa, makassar = flows.flows["gowa-kis-reaktivasi"], flows.flows["makassar-kis-pbi"]
    assert gowa.office.name == "Dinas Sosial Kabupaten Gowa"
    assert makassar.office.website == "https://dinsos.makassarkota.go.id"
    assert gowa.step("dtks").options == makassar.step("dtks").options
    for path in DEFAULT_FLOWS.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "\noffice:\n" not in text, f"{path.name} repeats an office: name it by id"
        assert "label: Tidak tahu" not in text, f"{path.name} repeats the DTKS options"


def test_a_flow_names_an_office_and_an_option_set(tmp_path: Path) -> None:
    flow = VALID_FLOW.replace(INLINE_OFFICE, "office: dinsos_uji\n")
    flow += "\n  - id: yakin\n    kind: yesno\n    label: Yakin\n    ask: Yakin?\n"
    flow += "    options: ya_tidak_tahu\n"
    flows = _flows(tmp_path, flow)
    loaded, problems = check(flows, _no_locales(tmp_path))
    assert problems == []
    ((parsed, _),) = loaded
    assert parsed.office.address == "Jalan Contoh Nomor 1, Kota Uji 90000"
    assert [o.value for o in parsed.step("yakin").options] == ["ya", "tidak"]


def test_an_unknown_office_or_option_set_is_reported(tmp_path: Path) -> None:
    flow = VALID_FLOW.replace(INLINE_OFFICE, "office: dinsos_lain\n")
    flows = _flows(tmp_path, flow)
    _, problems = check(flows, _no_locales(tmp_path))
    assert [(p.where, p.what) for p in problems] == [
        (
            "office",
            "'dinsos_lain' is not in " + str(flows / "shared") + "/offices.yaml "
            "(known: dinsos_uji)",
        )
    ]
    flow = VALID_FLOW.replace(INLINE_OFFICE, "office: dinsos_uji\n")
    flow += "\n  - id: yakin\n    kind: yesno\n    label: Yakin\n    ask: Yakin?\n"
    flow += "    options: tidak_ada\n"
    flows = _flows(tmp_path / "b", flow)
    _, problems = check(flows, _no_locales(tmp_path / "b"))
    assert [p.where for p in problems] == ["step 'yakin' options"]
    assert "option set 'tidak_ada' is not in" in problems[0].what


def test_an_office_written_again_inline_is_reported(tmp_path: Path) -> None:
    flows = _flows(tmp_path, VALID_FLOW)
    _, problems = check(flows, _no_locales(tmp_path))
    assert [p.where for p in problems] == ["office"]
    assert "write `office: dinsos_uji`" in problems[0].what


def test_a_broken_shared_file_is_reported_with_its_name(tmp_path: Path) -> None:
    flows = _flows(
        tmp_path,
        VALID_FLOW.replace(INLINE_OFFICE, "office: dinsos_uji\n"),
        offices=OFFICES + "dinsos_rusak:\n  name: Tanpa alamat\n",
        options="rusak: bukan daftar\n",
    )
    _, problems = check(flows, _no_locales(tmp_path))
    found = {(Path(p.file).name, p.where) for p in problems}
    assert ("offices.yaml", "dinsos_rusak address") in found
    assert ("options.yaml", "rusak") in found
