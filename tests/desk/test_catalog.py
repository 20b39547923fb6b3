"""The desk's texts are in its own gettext domain: every msgid in its code, templates and the
flows' status labels is translated in locales/en/LC_MESSAGES/desk.po, and the citizen's catalog
(messages.po) holds none of the desk's own texts. Status labels are in both: a citizen asking
for their status reads them too."""

from __future__ import annotations

from bot.authoring.catalog import desk_template
from bot.authoring.loader import (
    CATALOG,
    DEFAULT_FLOWS,
    DEFAULT_LOCALES,
    DESK_CATALOG,
    read_messages,
)


def test_every_desk_text_has_an_english_translation() -> None:
    wanted = {str(m.id) for m in desk_template(DEFAULT_FLOWS, DEFAULT_LOCALES) if m.id}
    assert {"Masuk ke meja layanan", "Sudah didaftarkan", "Buram, tulisan tidak terbaca"} <= wanted
    english = read_messages(DEFAULT_LOCALES / "en" / DESK_CATALOG)
    missing = sorted(wanted - set(english))
    assert not missing, f"run `wargabot locales update`, then translate in desk.po: {missing}"


def test_the_citizens_catalog_does_not_carry_desk_texts() -> None:
    citizen = read_messages(DEFAULT_LOCALES / "en" / CATALOG)
    desk = read_messages(DEFAULT_LOCALES / "en" / DESK_CATALOG)
    assert "Masuk ke meja layanan" not in citizen and "Buram, tulisan tidak terbaca" not in citizen
    assert citizen["Sudah didaftarkan"] == desk["Sudah didaftarkan"] == "Registered"
