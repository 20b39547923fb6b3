"""The desk's tables (SQLAlchemy 2): cases with their documents, files and timeline, staff
accounts, their web sessions, the audit log and the offices' DTSEN lists. Declarations only;
queries live in the repositories (cases.py, accounts.py, websessions.py, audit.py, dtsen/),
changes in migrations/."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Big integer keys on PostgreSQL; SQLite's rowid alias must be spelled INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both databases (SQLite keeps no zone: stored as UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the desk stores aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )


# --- staff ----------------------------------------------------------------------------------------


class User(Base):
    """A staff account of one office. Never deleted (the audit log names it): disabled."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    office_id: Mapped[str] = mapped_column(String(40), index=True)
    role: Mapped[str] = mapped_column(String(10))  # staff | admin
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    lang: Mapped[str] = mapped_column(String(8), default="id")
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # no code is used twice
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def totp_on(self) -> bool:
        return self.totp_secret is not None


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is kept here, so
    a copy of the database opens no session. Revoked rows stay until they expire."""

    __tablename__ = "desk_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(token) hex
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stage: Mapped[str] = mapped_column(String(10))  # "totp" (second factor due) | "full"
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the absolute timeout
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_why: Mapped[str | None] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(lazy="joined")


class AuditEvent(Base):
    """Who did or looked at what, and when. Append-only: the database refuses UPDATE and
    DELETE on this table (a trigger, see migrations/). Holds no personal data itself."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "office_id", "id"), Index(None, "case_reference"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    username: Mapped[str | None] = mapped_column(String(64))
    office_id: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    case_reference: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))


# --- the offices' DTSEN lists ---------------------------------------------------------------------


class DtsenList(Base):
    """One import of an office's DTSEN list (its export as of `as_of`): who imported it, what was
    found wrong. The office's current list is the one not `replaced_at`; a replaced list keeps
    this row (the import history) but its entries are deleted with the replacement."""

    __tablename__ = "dtsen_lists"
    __table_args__ = (Index(None, "office_id", "replaced_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    office_id: Mapped[str] = mapped_column(String(40))
    as_of: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(64))  # a username, or "cli"
    source: Mapped[str] = mapped_column(String(200))  # the file's name, as given
    rows: Mapped[int] = mapped_column(Integer)  # data rows read
    entries: Mapped[int] = mapped_column(Integer)  # rows kept (a valid NIK or KK number)
    report: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # problems: counts, rows
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DtsenEntry(Base):
    """A person in an office's DTSEN list. Personal data: read only through the lookup
    (bot/desk/dtsen/lookup.py), for a case of the same office, and audited."""

    __tablename__ = "dtsen_entries"
    __table_args__ = (Index(None, "list_id", "nik"), Index(None, "list_id", "kk"))

    list_id: Mapped[int] = mapped_column(
        ForeignKey("dtsen_lists.id", ondelete="CASCADE"), primary_key=True
    )
    row: Mapped[int] = mapped_column(Integer, primary_key=True)  # the row in the file
    nik: Mapped[str | None] = mapped_column(String(16))  # None: not a valid NIK in the file
    kk: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    desil: Mapped[int | None] = mapped_column(SmallInteger)  # 1 (poorest tenth) ... 10
    kecamatan: Mapped[str | None] = mapped_column(String(100))
    kelurahan: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))


# --- the citizens' requests (UU PDP) --------------------------------------------------------------


class PrivacyRequest(Base):
    """A chat's request to delete its data at one office ("hapus data saya"), decided by an admin
    of that office: approved (the chat's cases there lose their personal data, bot/desk/privacy.py)
    or refused with a reason. The chat is kept to tell the citizen and to show whose data went."""

    __tablename__ = "privacy_requests"
    __table_args__ = (Index(None, "office_id", "state"), Index(None, "chat_id", "channel"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    office_id: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10))  # pending | approved | refused
    references: Mapped[list[str]] = mapped_column(Json, default=list)  # the cases, when decided
    reason: Mapped[str | None] = mapped_column(Text)  # the admin's, for a refusal
    decided_by: Mapped[str | None] = mapped_column(String(64))  # the admin's username
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- cases ----------------------------------------------------------------------------------------


class Case(Base):
    """One delivered dossier. The search columns (name, NIK, KK, phone) are copied out of the
    answers when the case is stored, so lists and searches never read the JSON."""

    __tablename__ = "cases"
    __table_args__ = (
        Index(None, "office_id", "submitted_at"),
        Index(None, "office_id", "status", "submitted_at"),
        Index(None, "office_id", "flow_id", "submitted_at"),
        Index(None, "office_id", "assigned_to", "submitted_at"),
        Index(None, "office_id", "nik"),
        Index(None, "office_id", "kk"),
        Index(None, "office_id", "phone"),
        Index(None, "office_id", "name_norm"),
        Index(None, "chat_id", "channel"),  # a citizen asking for their status (lookup.py)
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    office_id: Mapped[str] = mapped_column(String(40))
    flow_id: Mapped[str] = mapped_column(String(60))
    flow_version: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(200))  # the service's title when submitted
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))  # where issue 13 answers the citizen
    language: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # stored in the database
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(40))
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a final status reached
    # past the office's retention: personal data deleted, this row kept as a stub (retention.py)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # [{step, kind, label, value, display}] in the order asked; None once purged (retention)
    answers: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    name: Mapped[str | None] = mapped_column(String(200))
    name_norm: Mapped[str | None] = mapped_column(String(200))  # lower case, single spaces
    nik: Mapped[str | None] = mapped_column(String(16))
    kk: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(20))  # +62...

    documents: Mapped[list[Document]] = relationship(
        back_populates="case", order_by="Document.position", cascade="all, delete-orphan"
    )
    assignee: Mapped[User | None] = relationship(lazy="joined")


class Document(Base):
    """One required document of a case (a photo step), reviewed as a whole: accepted, or a new
    one needed with a reason. `revision` is the current one; a resend adds files with the next
    revision number and puts the document back to pending (issue 13)."""

    __tablename__ = "case_documents"
    __table_args__ = (UniqueConstraint("case_id", "step"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    decision: Mapped[str] = mapped_column(String(10), default="pending")  # accepted | refused
    reason: Mapped[str | None] = mapped_column(String(40))  # reasons.py ids
    reason_text: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="documents")
    files: Mapped[list[DocumentFile]] = relationship(
        order_by="(DocumentFile.revision, DocumentFile.page)", cascade="all, delete-orphan"
    )

    @property
    def current_files(self) -> list[DocumentFile]:
        return [f for f in self.files if f.revision == self.revision]


class DocumentFile(Base):
    """A photo or PDF page of a document revision, by its key in the media store."""

    __tablename__ = "case_document_files"
    __table_args__ = (UniqueConstraint("document_id", "revision", "page"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("case_documents.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    page: Mapped[int] = mapped_column(Integer)
    media_key: Mapped[str | None] = mapped_column(String(200))  # None once purged (retention)
    mime: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseEvent(Base):
    """The case's timeline: one row per fact (received, document accepted or refused, status
    changed, note, assigned, a revision received). Facts are never edited; `id` is stable, so a
    later message to the citizen can name the event it comes from (issue 13)."""

    __tablename__ = "case_events"
    __table_args__ = (Index(None, "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the citizen
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Notice(Base):
    """A message to the citizen about their case: a document asked again, a status they are told
    of, a reminder (bot/desk/notices.py). Written in the same transaction as the event it comes
    from; the worker hands it to the citizen's chat, keyed by its id, and records what became of
    it: pending -> queued -> sent, or waiting (WhatsApp's window), failed, skipped, cancelled."""

    __tablename__ = "case_notices"
    __table_args__ = (Index(None, "state", "due_at"), Index(None, "case_id", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_events.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))  # notices.KINDS
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # notices.STATES
    detail: Mapped[str | None] = mapped_column(String(200))  # why it failed or was skipped
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    event: Mapped[CaseEvent | None] = relationship()
