"""Draws a flow as a Mermaid state diagram with transitions' GraphMachine (for `flows graph`).
Built on demand, never at start-up: the runtime machines in engine/machine.py stay lean."""

from __future__ import annotations

from typing import Any

from transitions.extensions import GraphMachine

from bot.engine.flow import SUMMARY, Flow
from bot.engine.machine import REQUIREMENTS, SUBMITTED


class _Model:
    pass


def mermaid(flow: Flow) -> str:
    states: list[dict[str, Any]] = [{"name": REQUIREMENTS}]
    states += [{"name": s.id} for s in flow.steps]
    states += [{"name": SUMMARY}, {"name": SUBMITTED}]
    edges: list[dict[str, str]] = [
        {"trigger": "mulai", "source": REQUIREMENTS, "dest": flow.steps[0].id},
        {"trigger": "kirim", "source": SUMMARY, "dest": SUBMITTED},
    ]
    for step in flow.steps:
        targets = flow.targets(step)
        for value, dest in targets.items():
            if value is not None:
                edges.append({"trigger": value, "source": step.id, "dest": dest})
        if None in targets:
            label = "lainnya" if len(targets) > 1 else step.kind
            edges.append({"trigger": label, "source": step.id, "dest": targets[None]})
    model = _Model()
    GraphMachine(
        model=model,
        states=states,
        transitions=edges,
        initial=REQUIREMENTS,
        graph_engine="mermaid",
        auto_transitions=False,
        title=f"{flow.id}: {flow.service.title}",
    )
    graph = model.get_graph()  # type: ignore[attr-defined]
    return str(graph.draw(None))
