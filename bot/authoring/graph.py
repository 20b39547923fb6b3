"""Draws a flow's whole conversation (stages and steps) as a Mermaid state diagram, with
transitions' GraphMachine over the very transitions the engine's machine runs (`flows graph`).
Built on demand, never at start-up: the runtime machines in engine/machine.py stay lean."""

from __future__ import annotations

from typing import Any

from transitions.extensions import GraphMachine

from bot.engine.flow import Flow
from bot.engine.machine import FlowMachine, states_of
from bot.engine.stages import Stage

# Each move labelled with what the citizen says or picks to make it, as the office reads it.
LABELS = {
    "greet": "halo",
    "agree": "setuju",
    "decline": "tidak setuju",
    "menu": "menu",
    "choose_office": "pilih kantor",
    "choose_service": "pilih layanan",
    "begin": "mulai",
    "back": "kembali",
    "cancel": "batal",
    "confirm_cancel": "ya, batalkan",
    "resume": "lanjutkan",
    "language": "bahasa",
    "submit": "kirim",
    "edit": "ubah",
    "change": "ubah",
}


class _Model:
    pass


def _names(checks: Any) -> list[str]:
    return [getattr(c, "__name__", str(c)) for c in checks or ()]


def _edge(flow: Flow, e: dict[str, Any]) -> dict[str, Any]:
    """A transition as the drawing shows it: an answer's branch is labelled with the option
    (or `else`), every other move with its trigger and the names of its conditions."""
    edge: dict[str, Any] = {"trigger": e["trigger"], "source": e["source"], "dest": e["dest"]}
    if e["trigger"] == "answered":
        step = flow.step(str(e["source"]))
        values = _names(e.get("conditions"))
        several = len(flow.targets(step)) > 1
        edge["label"] = values[0] if values else ("lainnya" if several else step.kind)
        return edge
    edge["label"] = LABELS.get(e["trigger"], e["trigger"])
    if e.get("conditions"):
        edge["conditions"] = _names(e["conditions"])
    if e.get("unless"):
        edge["unless"] = _names(e["unless"])
    return edge


def mermaid(flow: Flow, steps_only: bool = False) -> str:
    """The whole conversation; `steps_only`: the flow's questions and branches alone."""
    spec = FlowMachine(flow).spec
    states = [s.name for s in states_of(flow)]
    if steps_only:
        keep = {str(Stage.REQUIREMENTS), *(s.id for s in flow.steps), str(Stage.SUMMARY)}
        states = [s for s in states if s in keep]
        spec = [e for e in spec if e["trigger"] in ("begin", "answered")]
    model = _Model()
    GraphMachine(
        model=model,
        states=states,
        transitions=[_edge(flow, e) for e in spec],
        initial=states[0],
        graph_engine="mermaid",
        auto_transitions=False,
        show_conditions=True,
        title=f"{flow.id}: {flow.service.title}",
    )
    graph = model.get_graph()  # type: ignore[attr-defined]
    return str(graph.draw(None))
