"""Semantic checks of loaded flows: step references, reachability, cycles, translations.
Pure: takes models and translators, returns problems; the CLI prints them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.engine.flow import ELSE, RESERVED, SUMMARY, Flow
from bot.engine.i18n import SOURCE_LANGUAGE, Translator


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.what}"


def check_flow(flow: Flow, file: str) -> list[Problem]:
    problems: list[Problem] = []

    def bad(where: str, what: str) -> None:
        problems.append(Problem(file, where, what))

    ids = [s.id for s in flow.steps]
    seen: set[str] = set()
    for sid in ids:
        if sid in seen:
            bad(f"step '{sid}'", "this step id is used twice")
        if sid in RESERVED:
            bad(f"step '{sid}'", f"'{sid}' is reserved for the engine; choose another id")
        seen.add(sid)
    known = set(ids) | {SUMMARY}
    if flow.steps[0].kind == "end":
        bad(f"step '{flow.steps[0].id}'", "the first step cannot be an end step")
    for step in flow.steps:
        where = f"step '{step.id}'"
        if isinstance(step.next, str) and step.next not in known:
            bad(where, f"next step '{step.next}' does not exist")
        if isinstance(step.next, dict):
            values = {o.value for o in step.choices}
            for key, dest in step.next.items():
                if key != ELSE and key not in values:
                    bad(where, f"next: '{key}' is not one of this step's options {sorted(values)}")
                if dest not in known:
                    bad(where, f"next: '{key}' leads to step '{dest}', which does not exist")
    if problems:
        return problems  # the graph checks below need valid references

    graph = {s.id: set(flow.targets(s).values()) for s in flow.steps}
    reachable: set[str] = set()
    todo = [flow.steps[0].id]
    while todo:
        sid = todo.pop()
        if sid in reachable or sid == SUMMARY:
            continue
        reachable.add(sid)
        todo.extend(graph[sid])
    for sid in ids:
        if sid not in reachable:
            bad(f"step '{sid}'", "unreachable: no step leads here")
    if not any(SUMMARY in graph[s] for s in reachable):
        bad("steps", "no path reaches the summary, so nothing can ever be submitted")
    problems += _cycles(graph, flow.steps[0].id, file)
    return problems


def _cycles(graph: Mapping[str, set[str]], start: str, file: str) -> list[Problem]:
    """A flow must move forward: a step that leads back to itself would never finish."""
    out: list[Problem] = []
    state: dict[str, int] = {}

    def visit(sid: str, trail: list[str]) -> None:
        if sid == SUMMARY or state.get(sid) == 2:
            return
        if state.get(sid) == 1:
            loop = " -> ".join([*trail[trail.index(sid) :], sid])
            out.append(Problem(file, f"step '{sid}'", f"the steps loop: {loop}"))
            return
        state[sid] = 1
        for dest in sorted(graph[sid]):
            visit(dest, [*trail, sid])
        state[sid] = 2

    visit(start, [])
    return out


def check_translations(
    flow: Flow, file: str, translators: Mapping[str, Translator]
) -> list[Problem]:
    problems = []
    for lang, tr in translators.items():
        if lang == SOURCE_LANGUAGE:
            continue
        for where, text in flow.texts():
            if not tr.has(text):
                short = text if len(text) < 50 else text[:47] + "..."
                problems.append(Problem(file, where, f"no {lang} translation for {short!r}"))
    return problems


def check_engine_texts(
    msgids: Sequence[str], translators: Mapping[str, Translator]
) -> list[Problem]:
    problems = []
    for lang, tr in translators.items():
        for msgid in msgids:
            if lang != SOURCE_LANGUAGE and not tr.has(msgid):
                short = msgid if len(msgid) < 50 else msgid[:47] + "..."
                problems.append(
                    Problem(f"locales/{lang}", "engine text", f"no translation for {short!r}")
                )
    return problems


def check_set(flows: Sequence[tuple[Flow, str]]) -> list[Problem]:
    problems = []
    by_id: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    offices: dict[str, tuple[Flow, str]] = {}
    for flow, file in flows:
        if flow.id in by_id:
            problems.append(
                Problem(file, "id", f"flow id '{flow.id}' is also used by {by_id[flow.id]}")
            )
        by_id[flow.id] = file
        if flow.reference_prefix in prefixes:
            problems.append(
                Problem(
                    file,
                    "reference_prefix",
                    f"'{flow.reference_prefix}' is also used by {prefixes[flow.reference_prefix]}",
                )
            )
        prefixes[flow.reference_prefix] = file
        first = offices.setdefault(flow.office.id, (flow, file))
        if first[0].office != flow.office:
            problems.append(
                Problem(file, "office", f"office '{flow.office.id}' differs from {first[1]}")
            )
    return problems
