"""The stage machine: one `transitions` machine per flow whose states are the stages and the
flow's steps; sessions saved before stages were an enum still load; a session copy keeps every
field."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.engine.context import Context
from bot.engine.flow import RESERVED
from bot.engine.flowset import FlowSet
from bot.engine.model import Session
from bot.engine.stages import STAGE_NAMES, Stage, position

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)

# A session as the code before the stage enum wrote it (stages were plain strings): asked to
# cancel while at the phone step of Makassar's flow.
SAVED_BEFORE = (
    '{"channel":"telegram","chat_id":"12345","seed":"9f2c4e7a1b3d5f60718293a4b5c6d7e8",'
    '"lang":"id","stage":"cancel","flow_id":"makassar-kis-pbi","office_id":"dinsos_makassar",'
    '"step":"hp","answers":{"jenis":"baru","nama":"Siti Aminah"},"pending":[],"editing":false,'
    '"resume_stage":"flow","submissions":0,"reference":null,'
    '"started_at":"2026-11-22T01:58:00+00:00","updated_at":"2026-11-22T02:00:12+00:00","v":1}'
)


def test_a_session_saved_before_the_enum_loads_and_saves_the_same() -> None:
    s = Session.from_json(SAVED_BEFORE)
    assert s.stage is Stage.CANCEL and s.resume_stage is Stage.FLOW
    assert s.to_json() == SAVED_BEFORE
    assert position(s) == ("makassar-kis-pbi", "hp")


@pytest.mark.parametrize("stage", list(Stage))
def test_every_stage_round_trips_as_its_plain_name(stage: Stage) -> None:
    s = Session("test", "1", "00" * 16, stage=stage, resume_stage=stage)
    raw = s.to_json()
    assert f'"stage":"{stage.value}"' in raw
    again = Session.from_json(raw)
    assert again.stage is stage and again.resume_stage is stage


def test_copy_keeps_every_field() -> None:
    """A field added to Session must be copied too (copy() lists them for speed)."""
    values: dict[str, Any] = {
        "channel": "whatsapp",
        "chat_id": "+6281234567890",
        "seed": "ab" * 16,
        "lang": "en",
        "stage": Stage.SUMMARY,
        "flow_id": "gowa-kis-reaktivasi",
        "office_id": "dinsos_gowa",
        "step": "hp",
        "answers": {"nama": "Siti Aminah"},
        "pending": [{"key": "k"}],
        "editing": True,
        "resume_stage": Stage.FLOW,
        "submissions": 2,
        "reference": "GWA-K7H-W3X-9AR",
        "started_at": NOW,
        "updated_at": NOW,
        "clarify": ["ya", "tidak"],
        "expired_days": 7.0,
        "awaiting": [{"ref": "GWA-K7H-W3X-9AR", "flow": "gowa-kis-reaktivasi", "step": "foto_kk"}],
        "revisions": 1,
        "reminders": False,
        "reminded_at": NOW,
    }
    assert set(values) == {f.name for f in dataclasses.fields(Session)}, "a field is new"
    original = Session(**values)
    copy = original.copy()
    assert copy == original
    assert copy.answers is not original.answers and copy.pending is not original.pending
    assert copy.awaiting is not original.awaiting
    assert Session.from_json(original.to_json()) == original


def test_stage_names_are_reserved_step_ids() -> None:
    assert RESERVED == STAGE_NAMES


def test_the_machine_holds_the_stages_and_every_step(flows: FlowSet) -> None:
    for flow in flows.flows.values():
        machine = flows.machines[flow.id]
        names = set(machine.state_names)
        assert names == (STAGE_NAMES - {"flow"}) | {st.id for st in flow.steps}
        for edge in machine.spec:
            sources = [edge["source"]] if isinstance(edge["source"], str) else edge["source"]
            assert set(sources) <= names and edge["dest"] in names, edge
        back_from = {
            s
            for e in machine.spec
            if e["trigger"] == "back"
            for s in ([e["source"]] if isinstance(e["source"], str) else e["source"])
        }
        assert {st.id for st in flow.steps} <= back_from, "every step can go back"
        cancel = next(e for e in machine.spec if e["trigger"] == "cancel")
        assert set(cancel["source"]) == {"requirements", "summary", "edit"} | {
            st.id for st in flow.steps
        }


def test_a_move_that_does_not_exist_here_is_refused_quietly(
    flows: FlowSet, caplog: pytest.LogCaptureFixture
) -> None:
    session = Session("test", "1", "00" * 16, stage=Stage.OFFICE)
    ctx = Context(flows, session, NOW)
    with caplog.at_level(logging.DEBUG):
        assert ctx.fire("submit") is False
        assert ctx.fire("no-such-move") is False
    assert ctx.out == [] and session.stage is Stage.OFFICE
    assert not [r for r in caplog.records if r.name.startswith("transitions")]


def test_a_turn_builds_no_machine(flows: FlowSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Machines are built when the flows load (milliseconds each), never per conversation."""
    from bot.engine import machine
    from bot.engine.model import TextReceived
    from bot.engine.step import new_session, step

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a machine was built during a turn")

    monkeypatch.setattr(machine._Machine, "__init__", refuse)
    session = new_session("test", "1", "00" * 16)
    for text in ("halo", "ya", "1", "mulai", "kembali", "batal", "tidak", "menu"):
        session = step(flows, session, TextReceived(text), NOW).session
    assert session.stage is Stage.OFFICE
