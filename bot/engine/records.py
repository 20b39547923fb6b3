"""What leaves a conversation to be kept: a stored photo (MediaRef), a submitted application
(Dossier, with its answers) and a document sent again (Revision), each with its JSON form for
the outbox. Plain frozen records, part of the vocabulary (bot/engine/model.py names them too)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# --- media --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A stored photo or PDF: `key` is where the media store keeps it, never a citizen's path."""

    key: str
    mime: str
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "mime": self.mime, "sha256": self.sha256, "size": self.size}

    @staticmethod
    def from_dict(d: dict[str, Any]) -> MediaRef:
        return MediaRef(str(d["key"]), str(d["mime"]), str(d["sha256"]), int(d["size"]))


@dataclass(frozen=True, slots=True)
class AnswerItem:
    step: str
    label: str
    value: Any
    display: str


@dataclass(frozen=True, slots=True)
class Dossier:
    """A completed application, as the engine hands it over at submission."""

    reference: str
    flow_id: str
    flow_version: int
    office: str
    service: str
    language: str
    channel: str
    chat_id: str
    submitted_at: datetime
    started_at: datetime
    answers: tuple[AnswerItem, ...]
    photos: tuple[tuple[str, MediaRef], ...]

    def to_json(self) -> str:
        """Everything needed to deliver it later (the outbox keeps this), media by reference."""
        d = {
            "reference": self.reference,
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "office": self.office,
            "service": self.service,
            "language": self.language,
            "channel": self.channel,
            "chat_id": self.chat_id,
            "submitted_at": self.submitted_at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "answers": [[a.step, a.label, a.value, a.display] for a in self.answers],
            "photos": [[step, ref.to_dict()] for step, ref in self.photos],
        }
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_json(raw: str | bytes) -> Dossier:
        d = json.loads(raw)
        return Dossier(
            reference=d["reference"],
            flow_id=d["flow_id"],
            flow_version=int(d["flow_version"]),
            office=d["office"],
            service=d["service"],
            language=d["language"],
            channel=d["channel"],
            chat_id=d["chat_id"],
            submitted_at=datetime.fromisoformat(d["submitted_at"]),
            started_at=datetime.fromisoformat(d["started_at"]),
            answers=tuple(AnswerItem(*a) for a in d["answers"]),
            photos=tuple((step, MediaRef.from_dict(ref)) for step, ref in d["photos"]),
        )


@dataclass(frozen=True, slots=True)
class Revision:
    """A document sent again as the office asked: the next revision of that document of the same
    case, never a second dossier. `key` names it once (a repeat changes nothing)."""

    key: str  # "{reference}/{step}/{n}", n counting the chat's revisions
    reference: str
    step: str
    language: str
    channel: str
    chat_id: str
    sent_at: datetime
    media: tuple[MediaRef, ...]

    def to_json(self) -> str:
        d: dict[str, Any] = {f: getattr(self, f) for f in self.__slots__}
        d |= {"sent_at": self.sent_at.isoformat(), "media": [m.to_dict() for m in self.media]}
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_json(raw: str | bytes) -> Revision:
        d = json.loads(raw)
        d["sent_at"] = datetime.fromisoformat(d["sent_at"])
        d["media"] = tuple(MediaRef.from_dict(m) for m in d["media"])
        return Revision(**d)
