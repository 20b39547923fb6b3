"""The offices' DTSEN lists (one row per import, its entries indexed by NIK and KK number) and
the retention stub mark on cases (`purged_at`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 11:39:12.653835
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dtsen_lists",
        sa.Column("id", BigId, nullable=False),
        sa.Column("office_id", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column(
            "report",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dtsen_lists")),
    )
    with op.batch_alter_table("dtsen_lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dtsen_lists_office_id_replaced_at"), ["office_id", "replaced_at"]
        )

    op.create_table(
        "dtsen_entries",
        sa.Column("list_id", BigId, nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("kk", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("desil", sa.SmallInteger(), nullable=True),
        sa.Column("kecamatan", sa.String(length=100), nullable=True),
        sa.Column("kelurahan", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["dtsen_lists.id"],
            name=op.f("fk_dtsen_entries_list_id_dtsen_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "row", name=op.f("pk_dtsen_entries")),
    )
    with op.batch_alter_table("dtsen_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dtsen_entries_list_id_kk"), ["list_id", "kk"])
        batch_op.create_index(batch_op.f("ix_dtsen_entries_list_id_nik"), ["list_id", "nik"])

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
    op.drop_table("dtsen_entries")
    op.drop_table("dtsen_lists")
