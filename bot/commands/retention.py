"""`wargabot retention run [--dry-run]` (delete, or list, the personal data of closed cases past
their office's retention; the worker does it on its own every RETENTION_INTERVAL_HOURS), the
worker's schedule for it, and `wargabot inbox prune --older-than DAYS` for the Maildir copies,
which are the office's own to keep or delete."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.engine.flowset import FlowSet

if TYPE_CHECKING:
    from bot.desk.retention import Purged

log = logging.getLogger("wargabot.retention")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ret = sub.add_parser(
        "retention", help="delete the personal data of closed cases past their office's retention"
    )
    rsub = ret.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    run = rsub.add_parser(
        "run",
        help="delete now what is past retention (the worker does it every "
        "RETENTION_INTERVAL_HOURS)",
        description="Cases closed longer ago than their office's retention_days (flows, default "
        "365) lose their photos, dossier record, answers and chat; a stub stays (reference, "
        "office, service, dates, status). Each deletion is in the audit log.",
    )
    run.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    inbox = sub.add_parser("inbox", help="the Maildir inbox (INBOX_MAILDIR)")
    isub = inbox.add_subparsers(dest="inbox_command", required=True, metavar="ACTION")
    prune = isub.add_parser(
        "prune", help="delete Maildir messages older than DAYS (the office's own copies)"
    )
    prune.add_argument("--older-than", type=int, required=True, metavar="DAYS",
                       help="delete messages received more than DAYS days ago")  # fmt: skip
    prune.add_argument("--dry-run", action="store_true", help="only count what would go")


async def purge_once(settings: Settings, flows: FlowSet, dry_run: bool = False) -> list[Purged]:
    from bot.desk.db import make_engine, make_sessions
    from bot.desk.retention import purge
    from bot.media.store import MediaStore

    engine = make_engine(settings.DATABASE_URL)
    try:
        media = MediaStore.from_settings(settings)
        return list(
            await purge(make_sessions(engine), flows, media, datetime.now(UTC), dry_run=dry_run)
        )
    finally:
        await engine.dispose()


def run(args: argparse.Namespace, settings: Settings, flows: FlowSet) -> int:
    from bot.commands.db import refuse_if_behind

    if refused := refuse_if_behind(settings):
        return refused
    done = asyncio.run(purge_once(settings, flows, args.dry_run))
    days = {o.id: o.retention_days for o in flows.offices}
    print("retention: " + ", ".join(f"{o} {d} days" for o, d in days.items()))
    verb = "would delete" if args.dry_run else "deleted"
    for p in done:
        shared = f" ({p.shared} kept: in use elsewhere)" if p.shared else ""
        answers = ", answers" if p.answers else ""
        print(f"  {p.reference}  {p.office_id}  closed {p.closed_at:%Y-%m-%d}: "
              f"{verb} {p.files} files{answers}, record{shared}")  # fmt: skip
    print(f"{len(done)} case(s) past retention: {verb}" if done else "nothing is past retention")
    return 0


def start_schedule(
    settings: Settings, flows: FlowSet, stop: asyncio.Event
) -> asyncio.Task[None] | None:
    """The worker's retention run, every RETENTION_INTERVAL_HOURS (None when off)."""
    if not settings.CASESTORE_ENABLED or settings.RETENTION_INTERVAL_HOURS <= 0:
        return None
    from bot.desk.retention import every

    async def job() -> None:
        done = await purge_once(settings, flows)
        if done:
            log.info("retention: %d case(s) purged", len(done))

    return asyncio.create_task(every(settings.RETENTION_INTERVAL_HOURS, stop, job))


def prune_inbox(root: Path, days: int, dry_run: bool, now: float | None = None) -> tuple[int, int]:
    """Delete (or count) Maildir messages in new/ and cur/ older than `days` by their file
    time; (deleted, kept)."""
    cutoff = (now if now is not None else time.time()) - days * 86400
    gone = kept = 0
    for sub in ("new", "cur"):
        folder = root / sub
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            if not path.is_file():
                continue
            if path.stat().st_mtime < cutoff:
                gone += 1
                if not dry_run:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
            else:
                kept += 1
    if gone and not dry_run:
        for sub in ("new", "cur"):
            if (root / sub).is_dir():
                fd = os.open(root / sub, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
    return gone, kept


def inbox(args: argparse.Namespace, settings: Settings) -> int:
    if args.older_than < 1:
        print("wargabot: --older-than must be 1 day or more", file=sys.stderr)
        return 2
    root = settings.INBOX_MAILDIR
    if not (root / "new").is_dir() and not (root / "cur").is_dir():
        print(f"wargabot: {root} is no Maildir (no new/ or cur/)", file=sys.stderr)
        return 2
    gone, kept = prune_inbox(root, args.older_than, args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{root}: {verb} {gone} message(s) older than {args.older_than} days; {kept} kept")
    return 0
