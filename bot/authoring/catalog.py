"""Keeps the gettext catalogs in step with the texts: extracts every msgid (engine texts and
flow texts) into locales/messages.pot and merges it into each language's messages.po; the desk's
texts (its code, templates and the flows' status labels) likewise into desk.pot and desk.po."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.authoring.loader import CATALOG, DESK_CATALOG, check
from bot.engine.i18n import SOURCE_LANGUAGE
from bot.engine.texts import ENGINE_TEXTS


def template(flows_dir: Path, locales_dir: Path) -> Catalog:
    cat = Catalog(project="wargabot", locale=None, fuzzy=False)
    for msgid in ENGINE_TEXTS:
        cat.add(msgid, locations=[("bot/engine/texts.py", 0)], flags=_flags(msgid))
    loaded, _ = check(flows_dir, locales_dir)
    for flow, file in loaded:
        rel = Path(file).name
        for where, text in flow.texts():
            existing = cat.get(text)
            if existing is not None:
                existing.locations.append((f"flows/{rel} {where}", 0))
            else:
                cat.add(text, locations=[(f"flows/{rel} {where}", 0)], flags=_flags(text))
    return cat


DESK = Path(__file__).resolve().parent.parent / "desk"
_DESK_METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]


def desk_template(flows_dir: Path, locales_dir: Path) -> Catalog:
    """The desk's msgids: `_()`, `gettext()` and `N_()` in bot/desk (code and templates), and
    every status label of the flows."""
    cat = Catalog(project="wargabot-desk", locale=None, fuzzy=False)
    for file, line, message, _comments, _context in extract_from_dir(DESK, _DESK_METHODS):
        msgid = message if isinstance(message, str) else message[0]
        location = (f"bot/desk/{file}", line)
        if (existing := cat.get(msgid)) is not None:
            existing.locations.append(location)
        else:
            cat.add(msgid, locations=[location], flags=_flags(msgid))
    loaded, _ = check(flows_dir, locales_dir)
    for flow, file in loaded:
        for status in flow.statuses:
            location = (f"flows/{Path(file).name} status '{status.id}'", 0)
            if (existing := cat.get(status.label)) is not None:
                existing.locations.append(location)
            else:
                cat.add(status.label, locations=[location], flags=_flags(status.label))
    return cat


def _flags(msgid: str) -> list[str]:
    return ["python-brace-format"] if "{" in msgid else []


def update(flows_dir: Path, locales_dir: Path, new_lang: str | None = None) -> list[Path]:
    """Write messages.pot and desk.pot and merge each into every language's catalog of its
    domain (creating `new_lang`'s if given)."""
    locales_dir.mkdir(parents=True, exist_ok=True)
    langs = {p.parent.parent.name for p in locales_dir.glob(f"*/{CATALOG}")}
    if new_lang:
        langs.add(new_lang)
    written = _merge(template(flows_dir, locales_dir), locales_dir, "messages", CATALOG, langs)
    desk = desk_template(flows_dir, locales_dir)
    return written + _merge(desk, locales_dir, "desk", DESK_CATALOG, langs)


def _merge(
    pot: Catalog, locales_dir: Path, domain: str, catalog: str, langs: set[str]
) -> list[Path]:
    written = [locales_dir / f"{domain}.pot"]
    with written[0].open("wb") as fh:
        write_po(fh, pot, width=100, omit_header=False, include_lineno=False)
    for lang in sorted(langs - {SOURCE_LANGUAGE}):
        path = locales_dir / lang / catalog
        if path.exists():
            with path.open("rb") as fh:
                cat = read_po(fh, locale=lang)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            cat = Catalog(locale=lang, project="wargabot")
        cat.update(pot, no_fuzzy_matching=True)
        with path.open("wb") as fh:
            write_po(fh, cat, width=100, include_lineno=False, ignore_obsolete=True)
        written.append(path)
    return written
