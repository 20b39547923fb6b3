"""A case's statuses come from its flow file (`statuses:`); a case whose flow was removed
since keeps the default set. Lookups only; changing a status is cases.py's."""

from __future__ import annotations

from bot.engine.flow import DEFAULT_STATUSES, WITHDRAWN, StatusSpec
from bot.engine.flowset import FlowSet


def of_flow(flows: FlowSet, flow_id: str) -> tuple[StatusSpec, ...]:
    flow = flows.flows.get(flow_id)
    return flow.statuses if flow is not None else DEFAULT_STATUSES


def chosen_by_hand(flows: FlowSet, flow_id: str) -> tuple[StatusSpec, ...]:
    """The statuses staff may set; `withdrawn` only comes with an approved deletion request."""
    return tuple(s for s in of_flow(flows, flow_id) if s.id != WITHDRAWN)


def initial(flows: FlowSet, flow_id: str) -> StatusSpec:
    return of_flow(flows, flow_id)[0]


def find(flows: FlowSet, flow_id: str, status_id: str) -> StatusSpec | None:
    return next((s for s in of_flow(flows, flow_id) if s.id == status_id), None)


def label(flows: FlowSet, flow_id: str, status_id: str) -> str:
    spec = find(flows, flow_id, status_id)
    return spec.label if spec is not None else status_id


def of_office(flows: FlowSet, office_id: str) -> list[StatusSpec]:
    """Every status the office's flows use, each id once, in the flows' order (list tabs)."""
    seen: dict[str, StatusSpec] = {}
    for flow in flows.flows_of(office_id):
        for spec in flow.statuses:
            seen.setdefault(spec.id, spec)
    return list(seen.values())
