"""The case list's filters and search, read from a query string: what staff asked for, checked
and normalised (bad values are dropped, never an error). Builds no SQL itself: cases.py does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlencode

from bot.desk.intake import normalize_name, normalize_phone
from bot.engine.reference import ALPHABET

WITA = timezone(timedelta(hours=8), "WITA")
PER_PAGE = 50
MAX_PAGE = 10_000
_REF = re.compile(
    rf"^([A-Za-z]{{2,4}})[- ]?([{ALPHABET}]{{3}})[- ]?([{ALPHABET}]{{3}})[- ]?([{ALPHABET}]{{3}})$"
)


@dataclass(frozen=True)
class Search:
    """What a search box's text is: a reference, a NIK or KK number (16 digits, or the first
    digits of one), a phone number, or part of a name."""

    kind: str  # reference | number | number_prefix | phone | name
    value: str


def classify(text: str) -> Search | None:
    text = " ".join(text.split())[:100]
    if not text:
        return None
    ref = _REF.match(text.upper())
    if ref:
        return Search("reference", "-".join(ref.groups()))
    compact = re.sub(r"[\s.\-()]", "", text)
    if compact.lstrip("+").isdigit():
        digits = compact.lstrip("+")
        if len(digits) == 16:
            return Search("number", digits)
        phone = normalize_phone(compact)
        if phone is not None and (compact.startswith(("0", "+", "62"))):
            return Search("phone", phone)
        if 4 <= len(digits) < 16:
            return Search("number_prefix", digits)
        return None
    name = normalize_name(text)
    return Search("name", name) if len(name) >= 2 else None


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    flow: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    mine: bool = False
    waiting_days: int | None = None
    q: str = ""
    sort: str = "new"  # new | old
    page: int = 1

    @property
    def search(self) -> Search | None:
        return classify(self.q)

    @property
    def offset(self) -> int:
        return (self.page - 1) * PER_PAGE

    def since(self) -> datetime | None:
        if self.received_from is None:
            return None
        return datetime.combine(self.received_from, time(), WITA)

    def until(self) -> datetime | None:
        """The end of the last day asked for (exclusive), in WITA."""
        if self.received_to is None:
            return None
        return datetime.combine(self.received_to + timedelta(days=1), time(), WITA)

    def params(self, **change: object) -> str:
        """The query string of this filter (with changes), for links and the export."""
        f = replace(self, **change) if change else self  # type: ignore[arg-type]
        pairs = {
            "status": f.status or "",
            "flow": f.flow or "",
            "from": f.received_from.isoformat() if f.received_from else "",
            "to": f.received_to.isoformat() if f.received_to else "",
            "mine": "1" if f.mine else "",
            "waiting": str(f.waiting_days) if f.waiting_days is not None else "",
            "q": f.q,
            "sort": f.sort if f.sort != "new" else "",
            "page": str(f.page) if f.page != 1 else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})

    def describe(self) -> str:
        """For the audit log: what was asked (the search text is masked there)."""
        return self.params(page=1) or "all"


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None, low: int, high: int) -> int | None:
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return None if number is None else min(max(number, low), high)


def parse(params: Mapping[str, str], flows: set[str], status_ids: set[str]) -> CaseFilter:
    status = params.get("status") or None
    flow = params.get("flow") or None
    return CaseFilter(
        status=status if status in status_ids else None,
        flow=flow if flow in flows else None,
        received_from=_date(params.get("from")),
        received_to=_date(params.get("to")),
        mine=params.get("mine") in ("1", "on", "true"),
        waiting_days=_int(params.get("waiting"), 0, 3650),
        q=(params.get("q") or "").strip()[:100],
        sort="old" if params.get("sort") == "old" else "new",
        page=_int(params.get("page"), 1, MAX_PAGE) or 1,
    )
