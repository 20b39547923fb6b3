"""WhatsApp templates from the settings: a Content SID with the values of its variables in order,
the Indonesian template for a language without its own, variables WhatsApp takes (no new lines,
no runs of spaces), a malformed setting named at start-up, and the 24-hour window's edge."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels import templates
from bot.config import ConfigError, load_settings

SID = "HX" + "ab12" * 8
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def test_a_setting_names_the_sid_and_the_values_in_order() -> None:
    t = templates.parse("document_request", f"{SID}:document,reference")
    assert t == templates.Template(SID, ("document", "reference"))
    assert templates.parse("status", SID).variables == ("reference", "status")  # the default
    values = {"reference": "GWA-K7H-W3X-9AR", "document": "Foto KK\n\nyang   jelas"}
    assert json.loads(templates.content_variables(t, values)) == {
        "1": "Foto KK yang jelas",
        "2": "GWA-K7H-W3X-9AR",
    }
    assert json.loads(templates.content_variables(t, {})) == {"1": "-", "2": "-"}


@pytest.mark.parametrize(
    "value",
    ["HX123", "SM" + "ab12" * 8, f"{SID}:reference,nik", f"{SID} extra", "hx" + "ab12" * 8],
)
def test_a_malformed_template_setting_is_refused_naming_it(value: str) -> None:
    with pytest.raises(ConfigError, match="TWILIO_TEMPLATE_STATUS_EN"):
        templates.from_settings(load_settings({"TWILIO_TEMPLATE_STATUS_EN": value}))


def test_a_language_without_its_template_uses_the_indonesian_one() -> None:
    other = "HX" + "cd34" * 8
    found = templates.from_settings(
        load_settings({"TWILIO_TEMPLATE_STATUS": SID, "TWILIO_TEMPLATE_DOCUMENT_REQUEST_EN": other})
    )
    status = found.find("status", "en")
    request = found.find("document_request", "id")
    assert status is not None and status.sid == SID
    assert request is None  # an English template never stands in for the Indonesian one
    english = found.find("document_request", "en")
    assert english is not None and english.sid == other
    assert not templates.from_settings(load_settings({}))


def test_the_window_closes_a_little_before_24_hours() -> None:
    assert templates.inside_window(NOW - timedelta(hours=23), NOW)
    assert not templates.inside_window(NOW - timedelta(hours=23, minutes=55), NOW)
    assert not templates.inside_window(NOW - timedelta(hours=25), NOW)
    assert not templates.inside_window(None, NOW)  # never wrote, or so long ago it is forgotten


def test_reminder_settings() -> None:
    s = load_settings({})
    assert s.document_reminders == (timedelta(days=1), timedelta(days=3))
    assert s.draft_reminder == timedelta(hours=20)
    off = load_settings({"REMINDER_DOCUMENT_DAYS": "", "REMINDER_DRAFT_HOURS": "0"})
    assert off.document_reminders == () and off.draft_reminder is None
    for bad in ("3,1", "0", "abc", "1,1"):
        with pytest.raises(ConfigError, match="REMINDER_DOCUMENT_DAYS"):
            load_settings({"REMINDER_DOCUMENT_DAYS": bad})
    with pytest.raises(ConfigError, match="REMINDER_DRAFT_HOURS"):
        load_settings({"REMINDER_DRAFT_HOURS": "30"})


def test_outside_the_window_a_message_goes_as_a_template_waits_or_is_dropped() -> None:
    found = templates.from_settings(load_settings({"TWILIO_TEMPLATE_STATUS": SID}))
    status = found.find("status", "id")
    assert templates.way("status", "en", True, found) == ("text", None)
    assert templates.way("status", "en", False, found) == ("template", status)
    assert templates.way("document_request", "id", False, found) == ("hold", None)
    assert templates.way("", "id", False, found) == ("hold", None)  # a reply: waits too
    assert templates.way("document_reminder", "id", False, found) == ("drop", None)
    assert templates.way("draft_reminder", "id", False, found) == ("drop", None)


def test_a_deletion_requests_decision_has_its_template_or_waits_for_the_citizen() -> None:
    setting = f"{SID}:outcome,office,references"
    found = templates.from_settings(load_settings({"TWILIO_TEMPLATE_PRIVACY_REQUEST": setting}))
    decided = found.find("privacy_request", "en")  # the Indonesian one stands in
    assert decided is not None and decided.variables == ("outcome", "office", "references")
    values = {"office": "Dinas Sosial Kabupaten Gowa", "outcome": "ditolak", "reason": "x"}
    assert templates.content_variables(decided, values) == (
        '{"1":"ditolak","2":"Dinas Sosial Kabupaten Gowa","3":"-"}'
    )
    assert templates.way("privacy_request", "id", False, templates.NONE) == ("hold", None)
    with pytest.raises(ConfigError, match="TWILIO_TEMPLATE_PRIVACY_REQUEST"):
        templates.from_settings(load_settings({"TWILIO_TEMPLATE_PRIVACY_REQUEST": f"{SID}:nik"}))
