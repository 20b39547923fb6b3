"""Benchmarks that print numbers for the README and closing notes; nothing here is a test.
`wargabot bench engine`: engine steps per second on one core, for a text answer, a yes/no, a
choice typed with a typo, a NIK and an answer the bot does not understand."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from bot.engine.flowset import FlowSet
from bot.engine.model import Session, TextReceived
from bot.engine.stages import Stage
from bot.engine.step import new_session, step


def _session_at(flows: FlowSet, flow_id: str, step_id: str) -> Session:
    s = new_session("bench", "bench-1", "00" * 16)
    s.stage, s.flow_id, s.step = Stage.FLOW, flow_id, step_id
    s.office_id = flows.flows[flow_id].office.id
    return s


def _rate(flows: FlowSet, session: Session, text: str, seconds: float) -> tuple[float, int]:
    event, now = TextReceived(text), datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            turn = step(flows, session, event, now)
        n += 200
        if time.perf_counter() >= deadline:
            break
    assert turn.actions, "the engine gave no answer"
    return n / (time.perf_counter() - start), n


def bench_engine(flows: FlowSet, seconds: float) -> None:
    cases = [
        ("text answer (name)", "makassar-kis-pbi", "nama", "Siti Aminah"),
        ("yes/no answer", "gowa-kis-reaktivasi", "sakit", "gak pak"),
        ("choice by typo", "makassar-kis-pbi", "jenis", "peralihn"),
        ("NIK answer", "makassar-kis-pbi", "nik", "7371014506900001"),
        ("unclear answer", "makassar-kis-pbi", "dtks", "hmm"),
    ]
    print(f"engine steps per second, one core, {seconds:.1f} s each")
    for label, flow_id, step_id, text in cases:
        rate, n = _rate(flows, _session_at(flows, flow_id, step_id), text, seconds)
        print(f"  {label:<22} {rate:>10,.0f} steps/s  ({n:,} steps)")
