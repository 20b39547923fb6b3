"""The edge vocabulary every channel speaks: a chat's key, an inbound message as a channel parsed
it (and as the journal keeps it), a file still to fetch, one outgoing platform message, and the
Channel protocol. Data, codecs and protocols only; no I/O here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.engine.model import (
    Action,
    ChoiceMade,
    ContactShared,
    DataLooked,
    DocumentRequested,
    ErasureDecided,
    ErasureFiled,
    Event,
    MediaRef,
    PhotoReceived,
    PhotoRejected,
    ReminderDue,
    Session,
    StatusChanged,
    StatusLooked,
    TextReceived,
    Unsupported,
)

MAX_TEXT_IN = 4096  # characters of one inbound text kept (Telegram's own limit for a message)


class Malformed(ValueError):
    """An authenticated call carrying what no platform sends (a number for a text, a chat id
    that is not a number, NumMedia "1.5"): refused with 400, never a 500 or silence."""


def clean_text(value: object, what: str, limit: int = MAX_TEXT_IN) -> str:
    """A text from a platform, safe to keep: a str (else Malformed), lone UTF-16 surrogates
    (which no UTF-8 store takes) replaced by U+FFFD, at most `limit` characters."""
    if not isinstance(value, str):
        raise Malformed(f"{what} is a {type(value).__name__}, not a text")
    if not value.isascii():
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value[:limit]


@dataclass(frozen=True)
class ChatKey:
    channel: str
    chat_id: str

    def __post_init__(self) -> None:
        if not self.channel or not self.chat_id:
            raise ValueError("ChatKey needs a channel and a chat id")

    @staticmethod
    def of(session: Session) -> ChatKey:
        return ChatKey(session.channel, session.chat_id)


@dataclass(frozen=True, slots=True)
class MediaSource:
    """A file a channel can fetch: `handle` is the channel's own (file_id, media URL)."""

    handle: str
    declared_size: int | None = None


_EVENTS: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        TextReceived,
        ChoiceMade,
        ContactShared,
        PhotoRejected,
        Unsupported,
        PhotoReceived,
        DocumentRequested,  # the office's events join a chat's inbox too (bot/loop/)
        StatusChanged,
        ReminderDue,
        ErasureDecided,
    )
}


def _event_data(event: Event) -> dict[str, Any]:
    if isinstance(event, PhotoReceived):
        return {"type": "PhotoReceived", "media": [m.to_dict() for m in event.media]}
    if isinstance(event, StatusLooked | DataLooked | ErasureFiled):
        raise TypeError("a lookup or a filing is made during a turn, never kept")
    # every other event is text fields
    return {"type": type(event).__name__, **{f: getattr(event, f) for f in event.__slots__}}


def _event_of(data: dict[str, Any]) -> Event:
    kind = data.pop("type")
    if kind == "PhotoReceived":
        return PhotoReceived(tuple(MediaRef.from_dict(m) for m in data["media"]))
    if kind == "ErasureDecided":
        data["references"] = tuple(data.get("references") or ())
    event: Event = _EVENTS[kind](**data)
    return event


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message as a channel parsed it: an event, or media still to fetch. `album` groups
    the messages of one Telegram album; `at` is when it arrived (epoch seconds, 0: unknown)."""

    key: ChatKey
    message_id: str
    event: Event | None = None
    media: tuple[MediaSource, ...] = ()
    album: str | None = None
    at: float = 0.0

    def to_json(self) -> str:
        """As the journal keeps it until its turn is done."""
        d: dict[str, Any] = {"c": self.key.channel, "k": self.key.chat_id, "m": self.message_id}
        if self.event is not None:
            d["e"] = _event_data(self.event)
        if self.media:
            d["media"] = [[s.handle, s.declared_size] for s in self.media]
        if self.album:
            d["album"] = self.album
        if self.at:
            d["at"] = self.at
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_json(raw: str | bytes) -> Inbound:
        d = json.loads(raw)
        return Inbound(
            ChatKey(d["c"], d["k"]),
            d["m"],
            _event_of(d["e"]) if "e" in d else None,
            tuple(MediaSource(h, s) for h, s in d.get("media", ())),
            d.get("album"),
            float(d.get("at", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class Told:
    """What a message from the office is, for a platform that cares (WhatsApp's 24-hour window):
    its kind, the citizen's language and a template's values. A `standin` carries no text of
    its own: it goes out as the kind's template where only a template may, else not at all."""

    kind: str
    lang: str = "id"
    values: tuple[tuple[str, str], ...] = ()
    standin: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"k": self.kind, "l": self.lang, "v": [list(v) for v in self.values]}
        if self.standin:
            d["s"] = True
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Told:
        values = tuple((str(k), str(v)) for k, v in d.get("v", ()))
        return Told(str(d["k"]), str(d.get("l", "id")), values, bool(d.get("s")))


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One platform message as the reply queue keeps it: its text and the buttons under it.
    `keyboard` None sends no keyboard, () takes the last one away; `contact` makes its one
    button share the phone number (Telegram). Channels without buttons number the choices in
    the text when they render, and ignore both. `told`: a message from the office (above);
    `ref`: the office's record it answers for (what became of it is reported back)."""

    text: str
    keyboard: tuple[str, ...] | None = None
    contact: bool = False
    told: Told | None = None
    ref: str = ""

    def to_json(self) -> str:
        d: dict[str, Any] = {"t": self.text}
        if self.keyboard is not None:
            d["kb"] = list(self.keyboard)
        if self.contact:
            d["contact"] = True
        if self.told is not None:
            d["told"] = self.told.to_dict()
        if self.ref:
            d["ref"] = self.ref
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_json(raw: str | bytes) -> Outgoing:
        d = json.loads(raw)
        keyboard = None if d.get("kb") is None else tuple(d["kb"])
        told = Told.from_dict(d["told"]) if d.get("told") else None
        return Outgoing(d["t"], keyboard, bool(d.get("contact")), told, str(d.get("ref", "")))


class Channel(Protocol):
    """What the runtime needs of a platform. `deliver` raises the exceptions of
    bot/channels/sender.py (RetryLater, Transient, Hold); anything else means the message can
    never be sent."""

    name: str

    async def fetch(self, source: MediaSource) -> bytes: ...

    async def discard(self, source: MediaSource) -> None:
        """The platform's copy of a fetched file may go: called once the turn is saved."""

    def render(self, actions: Sequence[Action]) -> list[Outgoing]: ...

    async def deliver(self, chat_id: str, message: Outgoing) -> None: ...
