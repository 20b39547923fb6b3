"""Reads flows/*.yaml and locales/*/LC_MESSAGES/messages.po into a FlowSet, reporting problems
with the file, the step and what is wrong. The only place flow and catalog files are read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.core import UnknownLocaleError
from babel.messages.pofile import read_po
from pydantic import ValidationError

from bot.engine.checks import Problem, check_engine_texts, check_flow, check_set, check_translations
from bot.engine.flow import Flow, Office, OptionSpec
from bot.engine.flowset import FlowSet
from bot.engine.i18n import SOURCE_LANGUAGE, Translator

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FLOWS = ROOT / "flows"
DEFAULT_LOCALES = ROOT / "locales"
CATALOG = "LC_MESSAGES/messages.po"
# Definitions several flows share, each written once: offices (a flow says `office: ID`) and
# option sets (a step says `options: NAME`).
SHARED = "shared"
OFFICES = "offices.yaml"
OPTION_SETS = "options.yaml"


class FlowError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def language_name(lang: str) -> str:
    try:
        return str(Locale.parse(lang).get_display_name(lang) or lang).capitalize()
    except (UnknownLocaleError, ValueError):
        return lang


def load_translators(locales_dir: Path) -> dict[str, Translator]:
    out = {SOURCE_LANGUAGE: Translator(SOURCE_LANGUAGE, "Bahasa Indonesia")}
    for po in sorted(locales_dir.glob(f"*/{CATALOG}")):
        lang = po.parent.parent.name
        if lang == SOURCE_LANGUAGE:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=None)
        messages = {
            str(m.id): str(m.string)
            for m in catalog
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
        }
        out[lang] = Translator(lang, language_name(lang), messages)
    return out


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        try:
            sid = raw["steps"][loc[1]].get("id", f"#{loc[1] + 1}")
        except (KeyError, IndexError, TypeError, AttributeError):
            sid = f"#{loc[1] + 1}"
        rest = ".".join(str(x) for x in loc[2:] if not str(x).startswith("function-after"))
        return f"step '{sid}'" + (f" {rest}" if rest else "")
    return ".".join(str(x) for x in loc) or "top level"


@dataclass(frozen=True)
class Shared:
    """flows/shared/: offices by id and option sets by name, as the YAML gave them (each is
    validated where a flow uses it, with the flow's own rules)."""

    offices: dict[str, dict[str, Any]] = field(default_factory=dict)
    option_sets: dict[str, list[Any]] = field(default_factory=dict)
    folder: str = SHARED


def _read_yaml(path: Path) -> tuple[Any, list[Problem]]:
    name = str(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), []
    except UnicodeDecodeError as exc:
        return None, [
            Problem(name, "encoding", f"not UTF-8 text (byte {exc.start}); save as UTF-8")
        ]
    except yaml.YAMLError as exc:
        return None, [Problem(name, "yaml", str(exc).replace("\n", " "))]


def load_shared(flows_dir: Path) -> tuple[Shared, list[Problem]]:
    """Read flows/shared/offices.yaml and options.yaml (both optional)."""
    folder = flows_dir / SHARED
    problems: list[Problem] = []
    found: list[dict[str, Any]] = []
    for name, model in ((OFFICES, Office), (OPTION_SETS, OptionSpec)):
        path = folder / name
        raw, bad = _read_yaml(path) if path.exists() else ({}, [])
        problems += bad
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            problems.append(Problem(str(path), "top level", "must be a YAML mapping of names"))
            raw = {}
        for key, value in raw.items():
            if model is Office:
                items = [{"id": key, **value}] if isinstance(value, dict) else None
            else:
                items = value if isinstance(value, list) else None
            if items is None:
                what = "an office's fields" if model is Office else "a list of options"
                problems.append(Problem(str(path), str(key), f"must be {what}"))
                continue
            for item in items:
                try:
                    model.model_validate(item)
                except ValidationError as exc:
                    problems += [
                        Problem(str(path), f"{key} {_loc(e['loc'])}".strip(), _msg(e["msg"]))
                        for e in exc.errors()
                    ]
        found.append(raw)
    offices = {str(k): {"id": k, **v} for k, v in found[0].items() if isinstance(v, dict)}
    return Shared(offices, {str(k): v for k, v in found[1].items()}, str(folder)), problems


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(x) for x in loc)


def _msg(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _resolve(raw: dict[str, Any], shared: Shared, name: str) -> list[Problem]:
    """Put the shared definitions a flow names in place of their names."""
    problems = []
    office = raw.get("office")
    offices_file = f"{shared.folder}/{OFFICES}"
    if isinstance(office, str):
        if office in shared.offices:
            raw["office"] = shared.offices[office]
        else:
            known = ", ".join(sorted(shared.offices)) or "none"
            problems.append(
                Problem(name, "office", f"'{office}' is not in {offices_file} (known: {known})")
            )
    elif isinstance(office, dict) and office.get("id") in shared.offices:
        problems.append(
            Problem(
                name,
                "office",
                f"'{office['id']}' is defined in {offices_file}: write "
                f"`office: {office['id']}` instead of repeating it",
            )
        )
    steps = raw.get("steps")
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and isinstance(step.get("options"), str):
            ref = step["options"]
            if ref in shared.option_sets:
                step["options"] = shared.option_sets[ref]
            else:
                problems.append(
                    Problem(
                        name,
                        f"step '{step.get('id')}' options",
                        f"option set '{ref}' is not in {shared.folder}/{OPTION_SETS}",
                    )
                )
    return problems


def parse_flow(path: Path, shared: Shared | None = None) -> tuple[Flow | None, list[Problem]]:
    name = str(path)
    raw, problems = _read_yaml(path)
    if problems:
        return None, problems
    if not isinstance(raw, dict):
        return None, [Problem(name, "top level", "a flow file must be a YAML mapping")]
    problems = _resolve(raw, shared or load_shared(path.parent)[0], name)
    if problems:
        return None, problems
    try:
        flow = Flow.model_validate(raw)
    except ValidationError as exc:
        return None, [
            Problem(name, _where(raw, tuple(e["loc"])), _msg(e["msg"])) for e in exc.errors()
        ]
    return flow, check_flow(flow, name)


def check(flows_dir: Path, locales_dir: Path) -> tuple[list[tuple[Flow, str]], list[Problem]]:
    """Parse and check every flow file: the flows that parsed, and every problem found."""
    from bot.engine.step import ENGINE_TEXTS

    translators = load_translators(locales_dir)
    files = sorted(flows_dir.glob("*.yaml")) + sorted(flows_dir.glob("*.yml"))
    if not files:
        return [], [Problem(str(flows_dir), "flows", "no flow files (*.yaml) here")]
    loaded: list[tuple[Flow, str]] = []
    shared, problems = load_shared(flows_dir)
    for path in files:
        flow, found = parse_flow(path, shared)
        problems += found
        if flow is not None:
            loaded.append((flow, str(path)))
            if not found:
                problems += check_translations(flow, str(path), translators)
    problems += check_set(loaded)
    problems += check_engine_texts(ENGINE_TEXTS, translators)
    problems += check_status_labels(loaded, locales_dir)
    return loaded, problems


DESK_CATALOG = "LC_MESSAGES/desk.po"


def read_messages(po: Path) -> dict[str, str]:
    """A catalog's translated msgids (fuzzy and empty entries left out; a plural's forms both
    map to their translation)."""
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=None)
    messages: dict[str, str] = {}
    for m in catalog:
        if not m.id or m.fuzzy or not m.string:
            continue
        if isinstance(m.id, str) and isinstance(m.string, str):
            messages[m.id] = m.string
        elif isinstance(m.id, tuple | list) and isinstance(m.string, tuple | list):
            messages[m.id[0]] = m.string[0]
            messages[m.id[1]] = m.string[-1]
    return messages


def check_status_labels(loaded: list[tuple[Flow, str]], locales_dir: Path) -> list[Problem]:
    """Status labels are staff-facing: translated in the desk's catalog (desk.po)."""
    problems = []
    for po in sorted(locales_dir.glob(f"*/{DESK_CATALOG}")):
        lang = po.parent.parent.name
        if lang == SOURCE_LANGUAGE:
            continue
        messages = read_messages(po)
        for flow, file in loaded:
            for status in flow.statuses:
                if status.label not in messages:
                    problems.append(
                        Problem(
                            file,
                            f"status '{status.id}'",
                            f"no {lang} translation for {status.label!r} in desk.po "
                            "(run `wargabot locales update`)",
                        )
                    )
    return problems


def load_flowset(
    flows_dir: Path = DEFAULT_FLOWS, locales_dir: Path = DEFAULT_LOCALES, strict: bool = False
) -> FlowSet:
    """Load every flow; structural problems always stop the load, missing translations only
    when `strict` (a missing translation falls back to Indonesian)."""
    loaded, problems = check(flows_dir, locales_dir)
    fatal = [p for p in problems if strict or "translation" not in p.what]
    if fatal:
        raise FlowError(fatal)
    return FlowSet.build([f for f, _ in loaded], load_translators(locales_dir))
