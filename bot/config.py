"""Settings from the environment (and a .env file in the working directory): the only module that
reads os.environ. Every setting has an embedded default so `wargabot chat` runs with none."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.loader import DEFAULT_FLOWS, DEFAULT_LOCALES


def _dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True)
class Settings:
    flows_dir: Path
    locales_dir: Path
    media_dir: Path
    inbox_maildir: Path


def load_settings(env: dict[str, str] | None = None) -> Settings:
    source = {**_dotenv(Path(".env")), **os.environ} if env is None else env
    return Settings(
        flows_dir=Path(source.get("FLOWS_DIR") or DEFAULT_FLOWS),
        locales_dir=Path(source.get("LOCALES_DIR") or DEFAULT_LOCALES),
        media_dir=Path(source.get("MEDIA_DIR") or "var/media"),
        inbox_maildir=Path(source.get("INBOX_MAILDIR") or "var/inbox"),
    )
