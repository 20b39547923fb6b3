"""Replays every golden conversation in tests/transcripts/ and compares the bot's side.
`make goldens` rewrites them from the current engine; read the diff as a citizen would."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.flow import Office
from bot.engine.flowset import FlowSet
from tests.conftest import NOW
from tests.kit.transcript import dump, load, replay

ROOT = Path(__file__).parents[1] / "transcripts"
CASES = sorted(ROOT.glob("**/*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=[str(p.relative_to(ROOT)) for p in CASES])
def test_transcript(path: Path, flows: FlowSet, request: pytest.FixtureRequest) -> None:
    script = load(path)
    turns, _ = replay(flows, script, NOW)
    if request.config.getoption("--update-goldens"):
        dump(path, script, turns)
        return
    for i, (want, got) in enumerate(zip(script["turns"], turns, strict=True), 1):
        assert got["bot"] == want.get("bot"), f"{path.name}, turn {i}: {want}"


def test_every_branch_of_every_flow_in_both_languages(flows: FlowSet) -> None:
    """Each step (end steps too) and each branch of each branching step is taken in some
    golden, in Indonesian and in English; and each flow is submitted in both languages."""
    seen: set[tuple[str, str, str]] = set()
    for path in CASES:
        turns, sessions = replay(flows, load(path), NOW)
        for turn, s in zip(turns, sessions, strict=True):
            if s.flow_id and s.stage == "flow" and s.step:
                seen.add((s.lang, s.flow_id, f"step {s.step}"))
            if s.flow_id:
                machine = flows.machines[s.flow_id]
                for step_id, value in s.answers.items():
                    dest = machine.next(step_id, value)
                    seen.add((s.lang, s.flow_id, f"{step_id} -> {dest}"))
            for action in turn["bot"]:
                if "submit" in action:
                    sub = action["submit"]
                    seen.add((sub["language"], sub["flow"], "submitted"))
    missing = []
    for lang in ("id", "en"):
        for fid, flow in flows.flows.items():
            wanted = [f"step {st.id}" for st in flow.steps] + ["submitted"]
            wanted += [
                f"{st.id} -> {dest}"
                for st in flow.steps
                if isinstance(st.next, dict)
                for dest in set(flow.targets(st).values())
            ]
            missing += [f"{lang} {fid}: {w}" for w in wanted if (lang, fid, w) not in seen]
    assert not missing, "never reached in a golden transcript:\n" + "\n".join(missing)


def test_a_new_service_or_office_rewrites_no_golden(flows: FlowSet) -> None:
    """A second service at Makassar's office and a new office that sorts first: every golden
    still plays exactly as recorded (each names the services it needs, and picks by label)."""
    makassar = flows.flows["makassar-kis-pbi"]
    bantaeng = Office(id="dinsos_bantaeng", name="Dinas Sosial Kabupaten Bantaeng", address="-")
    extra = [
        makassar.model_copy(
            update={"id": "bantaeng-uji", "reference_prefix": "BTG", "office": bantaeng}
        ),
        makassar.model_copy(update={"id": "makassar-uji", "reference_prefix": "MKU"}),
    ]
    bigger = FlowSet.build([extra[0], *flows.flows.values(), extra[1]], flows.translators)
    assert bigger.offices[0].id == "dinsos_bantaeng"
    assert len(bigger.flows_of("dinsos_makassar")) == 2
    for path in CASES:
        script = load(path)
        turns, _ = replay(bigger, script, NOW)
        for i, (want, got) in enumerate(zip(script["turns"], turns, strict=True), 1):
            assert got["bot"] == want.get("bot"), f"{path.name}, turn {i}"
