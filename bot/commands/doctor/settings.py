"""The doctor's first check: the settings themselves, each bad one named with how to fix it.
Reads the environment through bot.config only; reaches no service."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from bot.commands.doctor.result import Result
from bot.config import ConfigError, Settings, load_settings


# --- settings ------------------------------------------------------------------------------------
@dataclass
class Loaded:
    settings: Settings | None
    bad: frozenset[str]  # settings that failed validation: checks that need them are skipped
    results: list[Result]


def _bad_fields(env: dict[str, str] | None) -> set[str]:
    try:
        Settings.model_validate(env) if env is not None else Settings()
    except ValidationError as exc:
        return {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
    return set()


def check_settings(env: dict[str, str] | None = None) -> Loaded:
    """Load the settings; when some are bad, say so and go on with defaults for just those."""
    results: list[Result] = []
    bad: set[str] = set()
    try:
        settings: Settings | None = load_settings(env)
        results.append(Result("settings", "ok", "loaded"))
    except ConfigError as exc:
        bad = _bad_fields(env)
        results.append(
            Result(
                "settings",
                "fail",
                str(exc),
                "correct the named setting(s) in the environment or .env; the checks below use "
                "the default in their place",
            )
        )
        try:
            if env is not None:
                settings = Settings.model_validate({k: v for k, v in env.items() if k not in bad})
            else:
                defaults = {n: Settings.model_fields[n].get_default() for n in bad}
                settings = Settings(**defaults)
        except (ValidationError, KeyError):
            return Loaded(None, frozenset(bad), results)
    assert settings is not None
    for name, check in (("channels", settings.check_channels), ("inbox", settings.check_inbox)):
        try:
            check()
        except ConfigError as exc:
            results.append(Result(name, "fail", str(exc), "set it in the environment or .env"))
        else:
            results.append(Result(name, "ok", _summary(settings, name)))
    return Loaded(settings, frozenset(bad), results)


def _summary(s: Settings, which: str) -> str:
    if which == "channels":
        on = [
            n for n, v in (("Telegram", s.telegram_enabled), ("WhatsApp", s.whatsapp_enabled)) if v
        ]
        return f"{' and '.join(on)} on" if on else "no chat channel on (only `wargabot chat`)"
    sinks = [
        name
        for name, on in (
            ("Maildir", s.INBOX_MAILDIR_ENABLED),
            ("email", s.SMTP_URL is not None),
            ("staff Telegram chat", bool(s.STAFF_TELEGRAM_CHAT_ID)),
            ("webhook", bool(s.INBOX_WEBHOOK_URL)),
        )
        if on
    ]
    return "dossiers go to: " + ", ".join(sinks)
