"""The understanding corpus (tests/corpus/), each answer replayed through the engine at its
question: enough answers, at least 97% understood, none taken the wrong way, and every kind of
question of both flows and every command covered. `wargabot bench understanding` prints it."""

from __future__ import annotations

import pytest

from benchmarks.understanding import Case, Result, load, report, run
from bot.engine.flow import SUMMARY
from bot.engine.flowset import FlowSet
from bot.engine.understanding import lexicon as L

CASES = load()


@pytest.fixture(scope="module")
def results(flows: FlowSet) -> list[Result]:
    return run(flows, CASES)


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 800
    texts = [(c.at, c.lang, c.text) for c in CASES]
    assert len(set(texts)) == len(texts), "an answer is written twice for the same question"


def test_no_answer_is_taken_the_wrong_way(results: list[Result]) -> None:
    wrong = [r for r in results if r.misread]
    assert not wrong, "\n".join(report(results))


def test_at_least_97_percent_understood(results: list[Result]) -> None:
    share = sum(r.understood for r in results) / len(results)
    assert share >= 0.97, "\n".join(report(results))


def test_every_question_kind_of_both_flows_and_every_command(flows: FlowSet) -> None:
    where = {c.at.split("/")[0] for c in CASES}
    assert {"consent", "office"} <= where
    for flow in flows.flows.values():
        steps = {c.at.split("/")[1] for c in CASES if c.at.startswith(flow.id + "/")}
        kinds = {flow.step(s).kind for s in steps if flow.has_step(s)}
        assert kinds == {st.kind for st in flow.steps}, f"{flow.id}: {kinds}"
        for stage in ("requirements", SUMMARY, "edit"):
            assert any(c.at == f"{flow.id}/{stage}" for c in flows_cases(flow.id)) or any(
                c.at.endswith(f"/{stage}") for c in CASES
            ), stage
    commands = {c.expect.removeprefix("command:") for c in CASES if c.expect.startswith("command")}
    assert commands == set(L.COMMANDS)
    assert any(c.at.endswith("/cancel") for c in CASES)
    assert any(c.lang == "en" for c in CASES)


def flows_cases(flow_id: str) -> list[Case]:
    return [c for c in CASES if c.at.startswith(flow_id + "/")]


def test_answers_that_must_not_be_read_are_there() -> None:
    nothing = [c for c in CASES if c.expect == "nothing"]
    assert len(nothing) >= 80
    assert {c.kind for c in nothing} >= {"consent", "choice", "yesno", "name", "text", "nik"}
