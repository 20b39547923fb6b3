"""Golden transcripts: a readable YAML conversation (what the citizen sends, what the bot says)
replayed through the engine with the session written to JSON and read back before every turn.

A script's header says what it needs, so adding a service or an office rewrites no golden:
`flows:` the services loaded for it (default: its `flow:` alone), `lang: en` to talk English,
and `start: requirements` to begin at that flow's requirements instead of the greeting and
privacy notice, or `start: submitted` (with `reference:`) just after an application was handed
over. A turn `pick: LABEL` presses the option of the bot's last question with that label,
wherever it stands in the list. A turn `office: KIND` is the office's side instead of the
citizen's (office.py): `document_requested` (reference, step, reason, note), `status_changed`
(reference, status, reason), `reminder` (kind draft or document; reference, step), and
`status_looked` (reference, cases: what the runtime found); the citizen's own data (privacy.py):
`data_looked` (cases: reference, status, office, answers [[step, label, value]], documents
[[step, label, decision]], purged; no `cases`: the lookup failed), `erasure_filed` (offices,
pending; no `offices`: it failed) and `erasure_decided` (office, approved, reason, references)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from bot.engine.flowset import FlowSet
from bot.engine.model import (
    Action,
    AskChoice,
    CaseData,
    CaseStatus,
    ChoiceMade,
    ContactShared,
    DataLooked,
    DocumentRequested,
    ErasureDecided,
    ErasureFiled,
    Event,
    FileErasure,
    MediaRef,
    PhotoReceived,
    PhotoRejected,
    ReminderDue,
    RequestContact,
    RequestPhoto,
    SendText,
    Session,
    StatusChanged,
    StatusLooked,
    SubmitDossier,
    SubmitRevision,
    Tell,
    TextReceived,
    Unsupported,
)
from bot.engine.stages import Stage
from bot.engine.step import new_session, step

SEED = "5eed" * 8
STARTS = ("requirements", "submitted")


def media(name: str) -> MediaRef:
    mime = "application/pdf" if name.endswith(".pdf") else "image/jpeg"
    digest = hashlib.sha256(name.encode()).hexdigest()
    return MediaRef(key=f"{digest[:2]}/{digest}", mime=mime, sha256=digest, size=1000 + len(name))


def office_event(turn: dict[str, Any], flow_id: str, now: Any) -> Event:
    """The office's side of a turn (`office: KIND`), as the runtime hands it to the engine."""
    kind, ref = turn["office"], str(turn.get("reference", ""))
    flow_id = str(turn.get("flow", flow_id))
    if kind == "document_requested":
        reason = str(turn["reason"])
        return DocumentRequested(ref, flow_id, str(turn["step"]), reason, turn.get("note", ""))
    if kind == "status_changed":
        return StatusChanged(ref, flow_id, str(turn["status"]), str(turn.get("reason", "")))
    if kind == "reminder":
        since = now.isoformat() if turn.get("since") == "now" else str(turn.get("since", ""))
        return ReminderDue(str(turn["kind"]), since, ref, str(turn.get("step", "")))
    if kind == "status_looked":
        found = turn.get("cases")
        cases = None if found is None else tuple(_case(c, flow_id) for c in found)
        return StatusLooked(ref, cases)
    if kind == "data_looked":
        found = turn.get("cases")
        data = None if found is None else tuple(_data(c, flow_id) for c in found)
        return DataLooked(data)
    if kind == "erasure_filed":
        offices = turn.get("offices")
        filed = None if offices is None else tuple(offices)
        return ErasureFiled(filed, tuple(turn.get("pending", ())))
    if kind == "erasure_decided":
        refs = tuple(turn.get("references", ()))
        return ErasureDecided(str(turn["office_id"]), bool(turn["approved"]),
                              str(turn.get("reason", "")), refs)  # fmt: skip
    raise ValueError(f"unknown office turn {kind!r}")


def _case(c: dict[str, Any], flow_id: str) -> CaseStatus:
    last = c.get("last")
    told: DocumentRequested | StatusChanged | None = None
    if last and "step" in last:
        told = DocumentRequested(c["reference"], flow_id, last["step"], last["reason"])
    elif last:
        told = StatusChanged(c["reference"], flow_id, last["status"])
    return CaseStatus(
        c["reference"], c.get("flow", flow_id), c["status"], c.get("reason", ""),
        tuple(c.get("waiting_for", ())), told,
    )  # fmt: skip


def _data(c: dict[str, Any], flow_id: str) -> CaseData:
    return CaseData(
        c["reference"], c.get("flow", flow_id), c["status"], c["office_id"],
        tuple(tuple(a) for a in c.get("answers", ())),
        tuple(tuple(d) for d in c.get("documents", ())),
        bool(c.get("purged")),
    )  # fmt: skip


def event_of(turn: dict[str, Any], offered: dict[str, str] | None = None) -> Event:
    """The citizen's side of a turn; `offered` maps the labels of the bot's last options to
    their values, for `pick`."""
    for key in ("send", "press", "pick", "contact", "rejected", "unsupported"):
        if key in turn and not isinstance(turn[key], str):
            raise ValueError(f"quote the {key} value {turn[key]!r}: YAML read it as a non-string")
    if "pick" in turn:
        offered = offered or {}
        if turn["pick"] not in offered:
            raise ValueError(f"pick {turn['pick']!r}: the bot last offered {sorted(offered)}")
        return ChoiceMade(offered[turn["pick"]])
    if "send" in turn:
        return TextReceived(str(turn["send"]))
    if "press" in turn:
        return ChoiceMade(str(turn["press"]))
    if "photo" in turn:
        return PhotoReceived((media(str(turn["photo"])),))
    if "album" in turn:
        return PhotoReceived(tuple(media(str(n)) for n in turn["album"]))
    if "contact" in turn:
        return ContactShared(str(turn["contact"]))
    if "rejected" in turn:
        return PhotoRejected(str(turn["rejected"]))
    if "unsupported" in turn:
        return Unsupported(str(turn["unsupported"]))
    raise ValueError(
        f"a turn needs send/press/pick/photo/album/contact/rejected/unsupported: {turn}"
    )


def render(action: Action) -> dict[str, Any]:
    if isinstance(action, SendText):
        return {"say": action.text}
    if isinstance(action, AskChoice):
        return {"ask": action.text, "options": [o.label for o in action.options]}
    if isinstance(action, RequestPhoto):
        out: dict[str, Any] = {"photo": action.text}
        if action.options:
            out["options"] = [o.label for o in action.options]
        return out
    if isinstance(action, RequestContact):
        return {"contact": action.text, "button": action.button}
    if isinstance(action, SubmitDossier):
        d = action.dossier
        return {
            "submit": {
                "reference": d.reference,
                "flow": d.flow_id,
                "language": d.language,
                "answers": {a.step: a.display for a in d.answers},
                "photos": [f"{step_id}: {ref.key[:8]}" for step_id, ref in d.photos],
            }
        }
    if isinstance(action, Tell):
        return {"tell": action.kind, "values": dict(action.values)}
    if isinstance(action, SubmitRevision):
        r = action.revision
        photos = [ref.key[:8] for ref in r.media]
        return {"revision": {"key": r.key, "language": r.language, "photos": photos}}
    if isinstance(action, FileErasure):
        return {"file_erasure": "the runtime files the request (next turn: erasure_filed)"}
    raise TypeError(action)


_SUBSETS: dict[tuple[int, tuple[str, ...]], FlowSet] = {}


def flows_for(flows: FlowSet, script: dict[str, Any]) -> FlowSet:
    """The services a script is played with: its `flows:`, else its `flow:` alone."""
    ids = script.get("flows") or ([script["flow"]] if script.get("flow") else [])
    if not ids:
        raise ValueError("a script names its services: `flow: ID` or `flows: [ID, ...]`")
    key = (id(flows), tuple(ids))
    if key not in _SUBSETS:
        unknown = [i for i in ids if i not in flows.flows]
        if unknown:
            raise ValueError(f"unknown flows {unknown}; known: {sorted(flows.flows)}")
        _SUBSETS[key] = FlowSet.build([flows.flows[i] for i in ids], flows.translators)
    return _SUBSETS[key]


def opening(flows: FlowSet, script: dict[str, Any], now: Any) -> tuple[Session, dict[str, str]]:
    """The session a script starts from, and the options last offered: new, or (`start:
    requirements`) greeted in its language, consenting, and at its flow's requirements, reached
    through the engine itself by option values (so neither the order of offices nor their
    number matters)."""
    session = new_session("test", "chat-1", SEED)
    start = script.get("start")
    if start is None:
        return session, {}
    if start not in STARTS:
        raise ValueError(f"start: {start!r}; known starts: {STARTS}")
    flow = flows.flows[script["flow"]]
    if start == "submitted":  # consent given long ago; the session as a hand-over leaves it
        session.lang = str(script.get("lang", "id"))
        session.stage, session.reference = Stage.SUBMITTED, str(script["reference"])
        session.submissions, session.updated_at = 1, now
        return session, {}
    hello = TextReceived("english" if script.get("lang") == "en" else "halo")
    turn = step(flows, session, hello, now)
    turn = step(flows, turn.session, ChoiceMade("ya"), now)
    for _ in range(2):
        if turn.session.stage == "office":
            turn = step(flows, turn.session, ChoiceMade(f"office:{flow.office.id}"), now)
        elif turn.session.stage == "service":
            turn = step(flows, turn.session, ChoiceMade(flow.id), now)
    session = turn.session
    if (session.stage, session.flow_id) != ("requirements", flow.id):
        raise ValueError(f"could not reach {flow.id}'s requirements: at {session.stage}")
    return session, offered(turn.actions)


def offered(actions: tuple[Action, ...]) -> dict[str, str]:
    """Option label -> value, over the questions of one turn of the bot."""
    out: dict[str, str] = {}
    for action in actions:
        if isinstance(action, (AskChoice, RequestPhoto)):
            out.update({o.label: o.value for o in action.options})
    return out


def replay(
    flows: FlowSet, script: dict[str, Any], now: Any
) -> tuple[list[dict[str, Any]], list[Session]]:
    """The bot's side of every turn, and the session after every turn."""
    flows = flows_for(flows, script)
    session, options = opening(flows, script, now)
    turns_out, sessions = [], []
    for turn in script["turns"]:
        session = Session.from_json(session.to_json())  # proves the session can be stored
        if "office" in turn:
            event = office_event(turn, str(script.get("flow", "")), now)
        else:
            event = event_of(turn, options)
        result = step(flows, session, event, now)
        session = result.session
        options = offered(result.actions)
        rendered = {k: v for k, v in turn.items() if k != "bot"}
        rendered["bot"] = [render(a) for a in result.actions]
        turns_out.append(rendered)
        sessions.append(session)
    return turns_out, sessions


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(path: Path, script: dict[str, Any], turns: list[dict[str, Any]]) -> None:
    header = "".join(f"# {line}\n" for line in script.get("about", "").splitlines())
    body = {k: v for k, v in script.items() if k not in ("turns", "about")}
    body["turns"] = turns
    text = yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + text, encoding="utf-8")


def load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    about = "\n".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    data: dict[str, Any] = yaml.safe_load(text)
    data["about"] = about
    return data
