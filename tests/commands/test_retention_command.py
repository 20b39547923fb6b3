"""`wargabot retention run` and `wargabot inbox prune --older-than DAYS`: what they say, and
that pruning deletes only Maildir messages older than asked (by their file time)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.commands.test_db_desk import wargabot
from tests.kit.database import migrated_sqlite


def test_retention_run_says_the_offices_periods_and_what_is_due(tmp_path: Path) -> None:
    url = migrated_sqlite(tmp_path)
    res = wargabot(tmp_path, "retention", "run", "--dry-run", DATABASE_URL=url)
    assert res.returncode == 0, res.stderr
    assert "dinsos_gowa 365 days" in res.stdout and "nothing is past retention" in res.stdout


def test_inbox_prune_deletes_only_messages_older_than_asked(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    now = time.time()
    ages = {"new/GWA-OLD.host": 400, "cur/MKS-OLD.host:2,S": 366, "new/GWA-NEW.host": 10}
    for name, days in ages.items():
        path = inbox / name
        path.write_bytes(b"Subject: x\n\nx\n")
        os.utime(path, (now - days * 86400, now - days * 86400))
    dry = wargabot(tmp_path, "inbox", "prune", "--older-than", "365", "--dry-run",
                   INBOX_MAILDIR=str(inbox))  # fmt: skip
    assert dry.returncode == 0 and "would delete 2 message(s)" in dry.stdout
    assert all((inbox / n).exists() for n in ages)
    res = wargabot(tmp_path, "inbox", "prune", "--older-than", "365", INBOX_MAILDIR=str(inbox))
    assert res.returncode == 0 and "deleted 2 message(s) older than 365 days; 1 kept" in res.stdout
    assert sorted(p.name for p in inbox.rglob("*.host*")) == ["GWA-NEW.host"]
    none = wargabot(tmp_path, "inbox", "prune", "--older-than", "30",
                    INBOX_MAILDIR=str(tmp_path / "nowhere"))  # fmt: skip
    assert none.returncode == 2 and "is no Maildir" in none.stderr
