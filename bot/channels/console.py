"""The terminal chat: a citizen's conversation in a terminal, on embedded defaults (sessions in
memory, photos in MEDIA_DIR, dossiers in the Maildir inbox and the desk's case store). Edges only:
the engine decides."""

from __future__ import annotations

import asyncio
import secrets
import shlex
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bot.engine.flowset import FlowSet
from bot.engine.model import (
    Action,
    AskChoice,
    CaseData,
    CaseStatus,
    ContactShared,
    DataLooked,
    Dossier,
    ErasureFiled,
    Event,
    FileErasure,
    PhotoReceived,
    PhotoRejected,
    RequestContact,
    RequestPhoto,
    SendText,
    StatusLooked,
    SubmitDossier,
    SubmitRevision,
    Tell,
    TextReceived,
    Turn,
    Unsupported,
)
from bot.engine.step import filed, new_session, step, wants_data, wants_status
from bot.media.store import MediaStore, sniff

MAX_FILE_BYTES = 10 * 1024 * 1024
HELP = (
    "Ketik jawaban lalu Enter. /photo PATH [PATH ...] mengirim foto atau PDF; /contact NOMOR "
    "membagikan nomor; /sticker, /voice, /location mencoba pesan yang tidak didukung; /quit keluar."
)


class Inbox(Protocol):
    """Where the terminal chat files a dossier (the Maildir sink): returns where it went."""

    def write(self, dossier: Dossier) -> Path: ...


class CaseStore(Protocol):
    """The desk's case store (the case-store sink): the application becomes a case."""

    async def deliver(self, dossier: Dossier, progress: object = None) -> None: ...

    async def cases(self, channel: str, chat_id: str, reference: str) -> tuple[CaseStatus, ...]:
        """This chat's cases as the office has them ("status")."""

    async def data(self, channel: str, chat_id: str, now: datetime) -> tuple[CaseData, ...]:
        """What the office keeps about this chat ("data saya")."""

    async def erase(
        self, channel: str, chat_id: str, now: datetime
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Its deletion request filed ("hapus data saya"): offices filed, already waiting."""

    async def close(self) -> None: ...


def now_utc() -> datetime:
    return datetime.now(UTC)


class ConsoleChat:
    def __init__(
        self,
        flows: FlowSet,
        media: MediaStore,
        inbox: Inbox,
        seed: str | None = None,
        clock: Callable[[], datetime] = now_utc,
        lang: str = "id",
        casestore: CaseStore | None = None,
    ) -> None:
        self.flows, self.media, self.inbox, self.clock = flows, media, inbox, clock
        self.casestore = casestore
        self._loop = asyncio.Runner() if casestore is not None else None  # one loop: one pool
        self.session = new_session("console", "console", seed or secrets.token_hex(16))
        self.session.lang = lang
        self.delivered: list[Path] = []

    def send(self, event: Event) -> list[Action]:
        # Looked up or filed at the desk, as the web runtime does (bot/runtime/turns.py).
        store, loop, now = self.casestore, self._loop, self.clock()
        asked = wants_status(event)
        if asked is not None and store is not None and loop is not None:
            found = loop.run(store.cases("console", "console", asked))
            event = StatusLooked(asked, found)  # what the desk has of this chat's applications
        if wants_data(event) and store is not None and loop is not None:
            event = DataLooked(loop.run(store.data("console", "console", now)))
        turn = step(self.flows, self.session, event, now)
        if any(isinstance(a, FileErasure) for a in turn.actions):
            turn = self._erase(turn, now)
        self.session = turn.session
        for action in turn.actions:
            if isinstance(action, SubmitDossier):
                self.delivered.append(self.inbox.write(action.dossier))
                if self.casestore is not None and self._loop is not None:
                    self._loop.run(self.casestore.deliver(action.dossier))
        return list(turn.actions)

    def _erase(self, turn: Turn, now: datetime) -> Turn:
        """The citizen confirmed "hapus data saya": file it, then the engine says what it did."""
        done = ErasureFiled(None)  # no case store: it cannot be filed here
        if self.casestore is not None and self._loop is not None:
            done = ErasureFiled(*self._loop.run(self.casestore.erase("console", "console", now)))
        return filed(self.flows, turn, done, now)

    def close(self) -> None:
        if self.casestore is not None and self._loop is not None:
            self._loop.run(self.casestore.close())
            self._loop.close()

    def event_for(self, line: str) -> Event | str:
        """The event a typed line stands for, or a local error message (nothing is sent)."""
        if not line.startswith("/") or line.strip() in ("/start", "/menu", "/help"):
            return TextReceived(line)
        try:
            words = shlex.split(line)
        except ValueError as exc:
            return f"({exc})"
        cmd, args = words[0], words[1:]
        if cmd == "/photo":
            return self._photos(args)
        if cmd == "/contact" and args:
            return ContactShared(" ".join(args))
        if cmd in ("/sticker", "/voice", "/location", "/video"):
            return Unsupported(cmd[1:])
        return TextReceived(line)

    def _photos(self, paths: list[str]) -> Event | str:
        if not paths:
            return "(/photo PATH: tulis lokasi file foto atau PDF)"
        refs = []
        for p in paths:
            path = Path(p).expanduser()
            if not path.is_file():
                return f"(file tidak ditemukan: {p})"
            if path.stat().st_size > MAX_FILE_BYTES:
                return PhotoRejected("too_large")
            data = path.read_bytes()
            mime = sniff(data)
            if mime is None:
                return PhotoRejected("format")
            refs.append(self.media.put(data, mime))
        return PhotoReceived(tuple(refs))


def render(action: Action, width: int = 78) -> str:
    def wrap(text: str) -> str:
        return "\n".join(textwrap.fill(line, width) if line else "" for line in text.splitlines())

    if isinstance(action, SendText):
        return wrap(action.text)
    if isinstance(action, AskChoice):
        opts = "\n".join(f"  {i}. {o.label}" for i, o in enumerate(action.options, 1))
        return f"{wrap(action.text)}\n{opts}"
    if isinstance(action, RequestPhoto):
        extra = "".join(f"\n  [{o.label}]" for o in action.options)
        return f"{wrap(action.text)}\n  (/photo PATH){extra}"
    if isinstance(action, RequestContact):
        return f"{wrap(action.text)}\n  (/contact NOMOR)"
    return ""


def run(
    chat: ConsoleChat,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    write(HELP)
    pending: Event | str = TextReceived("/start")
    while True:
        if isinstance(pending, str):
            write(pending)
        else:
            for action in chat.send(pending):
                if isinstance(action, SubmitDossier):
                    write(f"(dossier {action.dossier.reference} -> {chat.delivered[-1]})")
                elif isinstance(action, Tell | SubmitRevision):
                    continue  # the office's side: not for the terminal chat
                elif text := render(action):  # nothing to show for the runtime's own actions
                    write("\nbot> " + text.replace("\n", "\n     "))
        try:
            line = read("\nanda> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if line in ("/quit", "/exit"):
            return
        pending = chat.event_for(line) if line else "(ketik sesuatu, atau /quit)"
