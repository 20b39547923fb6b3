"""Messages to the citizen about their case (issue 13): a document asked again, a status told,
reminders; each with its state (pending, queued, waiting for the WhatsApp window, sent, ...).
Cases are found by their chat (a citizen asking for their status).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 11:38:09.090411
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_notices",
        sa.Column("id", BigId, nullable=False),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("event_id", BigId, nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_notices_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["case_events.id"],
            name=op.f("fk_case_notices_event_id_case_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notices")),
    )
    with op.batch_alter_table("case_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_notices_case_id_id"), ["case_id", "id"])
        batch_op.create_index(batch_op.f("ix_case_notices_event_id"), ["event_id"])
        batch_op.create_index(batch_op.f("ix_case_notices_state_due_at"), ["state", "due_at"])
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_chat_id_channel"), ["chat_id", "channel"])


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_chat_id_channel"))
    with op.batch_alter_table("case_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_notices_state_due_at"))
        batch_op.drop_index(batch_op.f("ix_case_notices_event_id"))
        batch_op.drop_index(batch_op.f("ix_case_notices_case_id_id"))
    op.drop_table("case_notices")
