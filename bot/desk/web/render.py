"""Jinja2 pages of the desk: autoescaping everywhere (a name like `<script>` is shown as text),
texts through the staff member's language (`_`), dates in WITA. Rendering only."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from bot.desk.i18n import DeskTranslator

TEMPLATES = Path(__file__).with_name("templates")
WITA = timezone(timedelta(hours=8), "WITA")


def wita(t: datetime | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    return t.astimezone(WITA).strftime(fmt) if t else ""


def phone(p: str | None) -> str:
    return "0" + p[3:] if p and p.startswith("+62") else (p or "")


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",), default=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],  # `_()` in templates; extraction reads them
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["wita"] = wita
    env.filters["phone"] = phone
    return env


class Renderer:
    def __init__(self) -> None:
        self.env = environment()

    def html(
        self,
        template: str,
        tr: DeskTranslator,
        context: dict[str, Any],
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        page = self.env.get_template(template).render(
            _=tr.gettext, gettext=tr.gettext, ngettext=tr.ngettext, lang=tr.lang, **context
        )
        return HTMLResponse(page, status_code=status_code, headers=headers)
