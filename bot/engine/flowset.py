"""The loaded services: flows with their shared state machines, offices, and translators.
Built once at start-up; read-only afterwards and shared by every conversation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.engine.flow import Flow, Office
from bot.engine.i18n import SOURCE_LANGUAGE, Translator
from bot.engine.machine import FlowMachine


@dataclass(frozen=True)
class FlowSet:
    flows: Mapping[str, Flow]
    translators: Mapping[str, Translator]
    machines: Mapping[str, FlowMachine] = field(default_factory=dict)
    lobby: FlowMachine = field(default_factory=lambda: FlowMachine(None))
    # answers of pure functions of the flows, kept between turns (e.g. a step's options as
    # the reader sees them, per language)
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @staticmethod
    def build(flows: Sequence[Flow], translators: Mapping[str, Translator]) -> FlowSet:
        if SOURCE_LANGUAGE not in translators:
            translators = {
                SOURCE_LANGUAGE: Translator(SOURCE_LANGUAGE, "Bahasa Indonesia"),
                **translators,
            }
        return FlowSet(
            flows={f.id: f for f in flows},
            translators=dict(translators),
            machines={f.id: FlowMachine(f) for f in flows},
            lobby=FlowMachine(None),
        )

    def machine_of(self, flow_id: str | None) -> FlowMachine:
        """The machine of a flow; before a service is chosen, the one of the way in."""
        return self.machines[flow_id] if flow_id else self.lobby

    @property
    def languages(self) -> list[str]:
        return [SOURCE_LANGUAGE, *sorted(k for k in self.translators if k != SOURCE_LANGUAGE)]

    def tr(self, lang: str) -> Translator:
        return self.translators.get(lang) or self.translators[SOURCE_LANGUAGE]

    @property
    def offices(self) -> list[Office]:
        seen: dict[str, Office] = {}
        for f in self.flows.values():
            seen.setdefault(f.office.id, f.office)
        return list(seen.values())

    def flows_of(self, office_id: str) -> list[Flow]:
        return [f for f in self.flows.values() if f.office.id == office_id]
