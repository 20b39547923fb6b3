"""Keeps the gettext catalogs in step with the texts: extracts every msgid (engine texts and
flow texts) into locales/messages.pot and merges it into each language's messages.po."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.authoring.loader import CATALOG, check
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


def _flags(msgid: str) -> list[str]:
    return ["python-brace-format"] if "{" in msgid else []


def update(flows_dir: Path, locales_dir: Path, new_lang: str | None = None) -> list[Path]:
    """Write messages.pot and merge it into every catalog (creating `new_lang`'s if given)."""
    pot = template(flows_dir, locales_dir)
    locales_dir.mkdir(parents=True, exist_ok=True)
    written = [locales_dir / "messages.pot"]
    with written[0].open("wb") as fh:
        write_po(fh, pot, width=100, omit_header=False, include_lineno=False)
    langs = {p.parent.parent.name for p in locales_dir.glob(f"*/{CATALOG}")}
    if new_lang:
        langs.add(new_lang)
    for lang in sorted(langs - {SOURCE_LANGUAGE}):
        path = locales_dir / lang / CATALOG
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
