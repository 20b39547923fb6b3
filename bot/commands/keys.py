"""`wargabot keys new | status | rotate`: make a data key, see which keys sealed the files under
MEDIA_DIR, and seal them all with the current key. Only `keys new` ever prints a key."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TextIO

from bot.media.keyring import Keyring, SealedFileError, encode_key, key_id, new_key
from bot.media.store import Census, MediaStore

GUIDE = "docs/operations.md, Encryption at rest"


def new(out: Path | None) -> int:
    """A fresh random key: printed alone on stdout (for `DATA_KEY=...`), or written to a new
    owner-only file that must not exist yet (overwriting a key loses what it sealed)."""
    stdout, stderr = sys.stdout, sys.stderr
    key = new_key()
    text = encode_key(key)
    if out is None:
        print(text, file=stdout)
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            print(
                f"wargabot: {out} exists and is never overwritten (the files its key sealed "
                "would be lost): choose another name",
                file=stderr,
            )
            return 2
        with os.fdopen(fd, "w") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        print(f"wrote a new key to {out} (mode 0600): use it as DATA_KEY_FILE", file=stderr)
    print(
        f"key id {key_id(key)}. Keep a copy of the key apart from the data and its backups: "
        f"without it nothing it seals can be read ({GUIDE}).",
        file=stderr,
    )
    return 0


def status(store: MediaStore, out: TextIO | None = None) -> int:
    """How every file under MEDIA_DIR is stored; 1 when some cannot be read."""
    out = out or sys.stdout
    ring, census = store.keyring, store.census()
    print(f"keys: {ring.describe()}", file=out)
    print(f"{store.root}: {census.total} files", file=out)
    if ring.current_id and census.files[ring.current_id]:
        n = census.files[ring.current_id]
        print(f"{n:>9}  sealed with key id {ring.current_id} ({ring.source})", file=out)
    for kid, n in census.old(ring).items():
        print(f"{n:>9}  sealed with key id {kid} (DATA_OLD_KEYS)", file=out)
    if census.files["plaintext"]:
        print(f"{census.files['plaintext']:>9}  not encrypted", file=out)
    for kid, n in census.unreadable(ring).items():
        print(f"{n:>9}  sealed with key id {kid}: no key set here opens them", file=out)
    for problem in census.problems:
        print(f"{'damaged':>9}  {problem}", file=out)
    for hint in hints(ring, census):
        print(f"\n{hint}", file=out)
    return 1 if census.unreadable(ring) or census.problems else 0


def hints(ring: Keyring, census: Census) -> list[str]:
    """What to do next, given how the files are stored."""
    waiting = census.files["plaintext"] + sum(census.old(ring).values())
    said = []
    if not ring.encrypts:
        said.append("DATA_KEY is not set: new files are stored unencrypted (`wargabot keys new`).")
    elif waiting:
        said.append(
            f"{waiting} files are not yet under key id {ring.current_id}: run "
            "`wargabot keys rotate` once every wargabot process has been restarted with it."
        )
    elif ring.old_ids:
        said.append(
            "No file needs DATA_OLD_KEYS any more: remove it and restart (keep the old keys with "
            "the backups made before the rotation, which need them)."
        )
    for kid in census.unreadable(ring):
        said.append(f"Files sealed with key id {kid} need that key: add it to DATA_OLD_KEYS.")
    return said


def rotate(store: MediaStore, out: TextIO | None = None, every: float = 2.0) -> int:
    """Seal every plaintext file and every file under an old key with the current key, one file
    at a time, each replaced atomically; run again after an interruption to finish. 1 when some
    files could not be opened (they are left as they are and named)."""
    out = out or sys.stdout
    ring = store.keyring
    if not ring.encrypts:
        print(
            "wargabot: DATA_KEY is not set: create a key (`wargabot keys new`), set it as "
            "DATA_KEY with the old one in DATA_OLD_KEYS, restart wargabot, then rotate",
            file=sys.stderr,
        )
        return 2
    stale = store.remove_stale_tmp()
    names = list(store.names())
    print(f"sealing {len(names)} files in {store.root} with key id {ring.current_id}", file=out)
    resealed, failed, last = 0, [], time.monotonic()
    for i, name in enumerate(names, 1):
        try:
            resealed += store.reseal(name)
        except FileNotFoundError:
            continue  # deleted while we went
        except SealedFileError as exc:
            failed.append(str(exc))
        if time.monotonic() - last >= every:
            last = time.monotonic()
            print(f"  {i} of {len(names)} looked at, {resealed} sealed anew", file=out, flush=True)
    print(
        f"done: {resealed} files sealed anew, {len(names) - resealed - len(failed)} already "
        f"were, {len(failed)} could not be opened"
        + (f"; {stale} left-over temporary files removed" if stale else ""),
        file=out,
    )
    for problem in failed:
        print(f"  not sealed: {problem}", file=out)
    if not failed and ring.old_ids:
        print(
            "DATA_OLD_KEYS is no longer needed by MEDIA_DIR: remove it and restart wargabot; keep "
            "the old keys as long as backups made before this rotation exist.",
            file=out,
        )
    return 1 if failed else 0
