"""Doctor check for encryption at rest: the key settings, the key file's permissions and place,
and how the files under MEDIA_DIR are stored (headers only; no file is decrypted or changed)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.commands.doctor.result import Result
from bot.config import ConfigError, Settings
from bot.media.keyring import load_keyring
from bot.media.store import MediaStore

NAME = "encryption"
GUIDE = "docs/operations.md, Encryption at rest"


def _key_file(path: Path, media: Path) -> list[Result]:
    found = []
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        detail = f"DATA_KEY_FILE {path} is readable by others (mode {mode:04o})"
        found.append(Result(NAME, "warn", detail, f"chmod 600 {path}"))
    if media.resolve() in path.resolve().parents:
        found.append(
            Result(
                NAME,
                "warn",
                f"DATA_KEY_FILE {path} is inside MEDIA_DIR: a copy of the folder carries its key",
                "keep the key outside MEDIA_DIR and its backups (e.g. /etc/wargabot/data.key)",
            )
        )
    return found


def _check(s: Settings) -> list[Result]:
    try:
        ring = load_keyring(s)
    except ConfigError as exc:
        return [Result(NAME, "fail", str(exc), f"fix the key setting ({GUIDE})")]
    store = MediaStore(s.MEDIA_DIR, ring)
    census = store.census()
    plain = census.files["plaintext"]
    results = _key_file(s.DATA_KEY_FILE, s.MEDIA_DIR) if s.DATA_KEY_FILE else []
    if not ring.encrypts:
        held = f" ({plain} files now)" if plain else ""
        results.append(
            Result(
                NAME,
                "warn",
                f"DATA_KEY is not set: photos and dossier records in MEDIA_DIR are stored "
                f"unencrypted{held}",
                "`wargabot keys new`, set the key as DATA_KEY in .env, keep a copy apart from "
                f"the data, restart, then `wargabot keys rotate` ({GUIDE})",
            )
        )
    else:
        unused = [k for k in ring.old_ids if not census.files[k]]
        note = f"; no file needs old key id {', '.join(unused)} any more" if unused else ""
        results.append(
            Result(NAME, "ok", f"new files are sealed with key id {ring.current_id}{note}")
        )
        waiting = plain + sum(census.old(ring).values())
        if waiting:
            parts = [f"{plain} unencrypted"] if plain else []
            parts += [f"{n} under old key id {k}" for k, n in census.old(ring).items()]
            results.append(
                Result(
                    NAME,
                    "warn",
                    f"{waiting} files in MEDIA_DIR are not under key id {ring.current_id} "
                    f"({', '.join(parts)})",
                    "once every wargabot process runs with this DATA_KEY: `wargabot keys rotate`",
                )
            )
    for kid, n in census.unreadable(ring).items():
        results.append(
            Result(
                NAME,
                "fail",
                f"{n} files in MEDIA_DIR were sealed with key id {kid}, which no key set here has",
                f"add that key to DATA_OLD_KEYS; without it they cannot be read ({GUIDE})",
            )
        )
    if census.problems:
        shown = "; ".join(census.problems[:3]) + (" ..." if len(census.problems) > 3 else "")
        results.append(
            Result(
                NAME,
                "fail",
                f"{len(census.problems)} files in MEDIA_DIR are damaged: {shown}",
                "restore them from a backup",
            )
        )
    return results


async def check_encryption(s: Settings) -> list[Result]:
    return await asyncio.to_thread(_check, s)  # reads every file's header: off the event loop
