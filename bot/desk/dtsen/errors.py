"""Why an import was not made: said in English on the command line, and in the admin's
language at the desk (`msgid`, Indonesian, from the desk's catalog, with the same values)."""

from __future__ import annotations

from collections.abc import Callable


class DtsenError(ValueError):
    def __init__(self, english: str, msgid: str, **values: object) -> None:
        shown = {k: str(v) for k, v in values.items()}
        super().__init__(english.format(**shown))
        self.msgid, self.values = msgid, shown

    def said(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.msgid).format(**self.values)


class ColumnsError(DtsenError):
    """The file's columns cannot be mapped."""


class ReadError(DtsenError):
    """The file is no CSV or spreadsheet that can be read."""


class ImportRefused(DtsenError):
    """The import cannot be made as asked (a date in the future, an import under way)."""
