"""Reads flows/*.yaml and locales/*/LC_MESSAGES/messages.po into a FlowSet, reporting problems
with the file, the step and what is wrong. The only place flow and catalog files are read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.core import UnknownLocaleError
from babel.messages.pofile import read_po
from pydantic import ValidationError

from bot.engine.checks import Problem, check_engine_texts, check_flow, check_set, check_translations
from bot.engine.flow import Flow
from bot.engine.flowset import FlowSet
from bot.engine.i18n import SOURCE_LANGUAGE, Translator

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FLOWS = ROOT / "flows"
DEFAULT_LOCALES = ROOT / "locales"
CATALOG = "LC_MESSAGES/messages.po"


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


def parse_flow(path: Path) -> tuple[Flow | None, list[Problem]]:
    name = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return None, [
            Problem(name, "encoding", f"not UTF-8 text (byte {exc.start}); save as UTF-8")
        ]
    except yaml.YAMLError as exc:
        return None, [Problem(name, "yaml", str(exc).replace("\n", " "))]
    if not isinstance(raw, dict):
        return None, [Problem(name, "top level", "a flow file must be a YAML mapping")]
    try:
        flow = Flow.model_validate(raw)
    except ValidationError as exc:
        return None, [
            Problem(name, _where(raw, tuple(e["loc"])), e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
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
    problems: list[Problem] = []
    for path in files:
        flow, found = parse_flow(path)
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
