"""`wargabot bench understanding`: the corpus of citizens' answers in tests/corpus/, each replayed
through the engine at the question it was written for; prints the share understood per kind of
question and every answer taken the wrong way. tests/engine/test_corpus.py runs the same."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.engine import texts as T
from bot.engine.flow import SUMMARY, Flow
from bot.engine.flowset import FlowSet
from bot.engine.model import (
    Action,
    ChoiceMade,
    Event,
    MediaRef,
    PhotoReceived,
    Session,
    SubmitDossier,
    TextReceived,
)
from bot.engine.stages import Stage
from bot.engine.step import new_session, step

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
# Synthetic identity numbers (real region codes, invented people).
NIK, KK, PHONE = "7371014506900001", "7306011203100004", "081234567890"
PHOTO = PhotoReceived((MediaRef("corpus/kk.jpg", "image/jpeg", "ab" * 32, 1000),))
# Outcomes that commit to nothing: the citizen is asked again, helped, or asked which one.
SAFE = frozenset({"again", "explained", "clarify", "later", "command:help"})


@dataclass(frozen=True)
class Case:
    file: str
    at: str
    kind: str
    lang: str
    text: str
    expect: str


@dataclass(frozen=True)
class Result:
    case: Case
    got: str

    @property
    def understood(self) -> bool:
        if self.case.expect == "nothing":
            return self.got in SAFE
        return self.got == self.case.expect

    @property
    def misread(self) -> bool:
        """Taken as something it does not say (not merely not understood)."""
        return not self.understood and self.got not in SAFE


def load(folder: Path = CORPUS) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        base = dict(file=path.name, at=data["at"], kind=data["kind"], lang=data.get("lang", "id"))
        for expect, texts in (data.get("answers") or {}).items():
            cases += [Case(**base, text=str(t), expect=str(expect)) for t in texts]
        for text, value in (data.get("stores") or {}).items():
            cases.append(Case(**base, text=str(text), expect=f"stored:{value}"))
    return cases


# --- getting a conversation to the question -------------------------------------------------------


def _canonical(flow: Flow, step_id: str) -> list[Event]:
    st = flow.step(step_id)
    if st.kind == "photo":
        return [PHOTO, TextReceived("selesai")] if st.max_photos > 1 and st.ask_more else [PHOTO]
    typed = {"name": "Siti Aminah", "nik": NIK, "kk": KK, "phone": PHONE}
    return [TextReceived(typed.get(st.kind, "Puskesmas Kassi-Kassi"))]


def _route(flow: Flow, target: str) -> list[tuple[str, str | None]]:
    """(step, option value) pairs from the first step to `target` (a step or the summary)."""
    todo: list[tuple[str, list[tuple[str, str | None]]]] = [(flow.steps[0].id, [])]
    seen = set()
    while todo:
        at, route = todo.pop(0)
        if at == target:
            return route
        if at in seen or at == SUMMARY:
            continue
        seen.add(at)
        st = flow.step(at)
        leads = flow.targets(st)
        for value, dest in leads.items():
            if value is None and st.choices:
                # the default branch: an option with no branch of its own takes it
                value = next((o.value for o in st.choices if o.value not in leads), None)
                if value is None:
                    continue
            todo.append((dest, [*route, (at, value)]))
    raise ValueError(f"{flow.id}: no way to {target}")


def _play(flows: FlowSet, session: Session, events: Iterable[Event]) -> Session:
    for event in events:
        session = step(flows, session, event, NOW).session
    return session


def session_at(flows: FlowSet, at: str, lang: str) -> Session:
    """A conversation standing at `at`: consent, office, FLOW/requirements, FLOW/STEP,
    FLOW/summary, FLOW/edit, FLOW/STEP/cancel (asked to cancel there), FLOW/STEP/pending (a
    photo already sent at a several-photos step)."""
    s = _play(flows, new_session("corpus", "1", "00" * 16), [TextReceived("halo")])
    if lang != s.lang:
        s = _play(flows, s, [TextReceived("bahasa")])
    if at == "consent":
        return s
    s = _play(flows, s, [ChoiceMade("ya")])
    if at == "office":
        return s
    flow_id, where, *more = at.split("/")
    flow = flows.flows[flow_id]
    s = _play(flows, s, [ChoiceMade(f"office:{flow.office.id}")])
    if s.stage == Stage.SERVICE:
        s = _play(flows, s, [ChoiceMade(flow.id)])
    if where == "requirements":
        return s
    s = _play(flows, s, [ChoiceMade("begin")])
    target = SUMMARY if where in ("summary", "edit") else where
    for step_id, value in _route(flow, target):
        events = [ChoiceMade(value)] if value is not None else _canonical(flow, step_id)
        s = _play(flows, s, events)
    if where == "edit":
        s = _play(flows, s, [ChoiceMade("edit")])
    if more == ["cancel"]:
        s = _play(flows, s, [TextReceived("batal")])
    elif more == ["pending"]:
        s = _play(flows, s, [PHOTO])
    return s


# --- what the engine made of it -------------------------------------------------------------------


def outcome(flows: FlowSet, before: Session, actions: Sequence[Action], after: Session) -> str:
    tr = flows.tr(before.lang)
    said = " ".join(getattr(a, "text", "") for a in actions)
    if after.lang != before.lang:
        return "command:language"
    if any(isinstance(a, SubmitDossier) for a in actions):
        return "submit"
    if before.reminders and not after.reminders:
        return "command:quiet"
    if tr.t(T.NO_DOCUMENT_ASKED) in said:
        return "command:document"
    if tr.t(T.STATUS_UNAVAILABLE) in said:  # "status" with no lookup behind the engine
        return "command:status"
    if tr.t(T.DATA_UNAVAILABLE) in said:  # "data saya", likewise
        return "command:mydata"
    if before.stage != Stage.ERASE and after.stage == Stage.ERASE:
        return "command:erase"
    if tr.t(T.CLARIFY) in said:
        return "clarify"
    if tr.t(T.HELP_COMMANDS) in said:
        return "command:help"
    if before.stage != Stage.CANCEL and after.stage == Stage.CANCEL:
        return "command:cancel"
    menu = (Stage.OFFICE, Stage.SERVICE)
    stage = before.stage
    if stage == Stage.CONSENT:
        if after.stage == Stage.NEW:
            return "tidak"
        if after.stage in (*menu, Stage.REQUIREMENTS):
            return "ya"
    elif stage == Stage.CANCEL:
        if before.flow_id and after.flow_id is None:
            return "ya"
        if after.stage != Stage.CANCEL:
            return "tidak"
    elif stage == Stage.OFFICE:
        if after.stage == Stage.REQUIREMENTS:
            return f"office:{after.office_id}"
        if after.stage not in menu:
            return "resume"
    elif stage == Stage.REQUIREMENTS:
        if after.stage == Stage.FLOW:
            return "begin"
        if after.stage in menu:
            return "menu"
        if tr.t(T.NOT_READY) in said:
            return "later"
    elif stage in (Stage.SUMMARY, Stage.EDIT):
        if after.stage == Stage.FLOW and after.editing:
            return f"edit:{after.step}"
        if after.stage == Stage.EDIT and stage == Stage.SUMMARY:
            return "edit"
        if after.stage == Stage.FLOW or (stage == Stage.EDIT and after.stage == Stage.SUMMARY):
            return "command:back"
    elif stage == Stage.FLOW and before.flow_id:
        flow = flows.flows[before.flow_id]
        st = flow.step(before.step or "")
        if after.answers.get(st.id) != before.answers.get(st.id) and st.id in after.answers:
            if st.kind == "photo":
                return "done"
            if st.kind in ("choice", "yesno"):
                return str(after.answers[st.id])
            return f"stored:{after.answers[st.id]}"
        if after.stage == Stage.REQUIREMENTS or (
            after.stage == Stage.FLOW and after.step != before.step
        ):
            return "command:back"
        missing = tr.t(st.missing or T.MISSING_DEFAULT)
        if missing in said or tr.t(T.PHOTO_WAITING) in said:
            return "later"
        helps = [tr.t(m) for m in (st.help, T.WHY_ASKED, T.DONT_KNOW_NOTE) if m]
        if any(h in said for h in helps):
            return "explained"
    if after.stage in menu and stage not in menu:
        return "command:menu"
    if stage == Stage.CONSENT and tr.t(T.CONSENT_HELP) in said:
        return "explained"
    return "again"


def run(flows: FlowSet, cases: Sequence[Case]) -> list[Result]:
    starts: dict[tuple[str, str], Session] = {}
    results = []
    for case in cases:
        key = (case.at, case.lang)
        if key not in starts:
            starts[key] = session_at(flows, case.at, case.lang)
        before = starts[key]
        turn = step(flows, Session.from_json(before.to_json()), TextReceived(case.text), NOW)
        results.append(Result(case, outcome(flows, before, turn.actions, turn.session)))
    return results


def report(results: Sequence[Result]) -> list[str]:
    by_kind: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_kind[r.case.kind].append(r)
    lines = [f"{'kind':<14}{'answers':>8}{'understood':>12}{'misread':>9}"]
    for kind in sorted(by_kind):
        rs = by_kind[kind]
        share = sum(r.understood for r in rs) / len(rs)
        lines.append(f"{kind:<14}{len(rs):>8}{share:>11.1%}{sum(r.misread for r in rs):>9}")
    share = sum(r.understood for r in results) / max(1, len(results))
    wrong = [r for r in results if r.misread]
    lines.append(f"{'all':<14}{len(results):>8}{share:>11.1%}{len(wrong):>9}")
    if wrong:
        lines.append("")
        lines.append("taken the wrong way:")
        lines += [
            f"  {r.case.file} {r.case.text!r}: {r.case.expect}, read as {r.got}" for r in wrong
        ]
    return lines


def bench_understanding(flows: FlowSet, show_missed: bool = False) -> int:
    results = run(flows, load())
    for line in report(results):
        print(line)
    if show_missed:
        missed = [r for r in results if not r.understood and not r.misread]
        print(f"\nnot understood (asked again, helped or asked which): {len(missed)}")
        for r in missed:
            print(f"  {r.case.file} {r.case.text!r}: {r.case.expect}, got {r.got}")
    counts = Counter(r.misread for r in results)
    return 1 if counts[True] else 0
