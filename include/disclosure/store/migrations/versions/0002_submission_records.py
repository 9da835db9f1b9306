"""Submissions as records of their own: channel, sender, receipt key, verified signature; the reading of each
submission's workbook; the inbox's seen-files cache; audit events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        # Submissions received before this revision came through the DAG's inbox or the CLI: unknown which.
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=False, server_default="inbox"))
        batch.add_column(sa.Column("sender", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch.add_column(sa.Column("receipt_key", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("signature_verified", sa.Boolean(), nullable=True))
        batch.create_unique_constraint(op.f("uq_submissions_receipt_key"), ["receipt_key"])

    op.create_table(
        "submission_readings",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("read_at", Timestamp, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_readings_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_submission_readings")),
    )
    op.create_table(
        "inbox_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mtime", sa.Float(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("seen_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_files")),
        sa.UniqueConstraint("source", "size", "mtime", name="uq_inbox_files_seen"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_audit_events_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_submission_id"), "audit_events", ["submission_id"])
    op.create_index("ix_audit_events_year_unit", "audit_events", ["year", "unit"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_year_unit", table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_submission_id"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("inbox_files")
    op.drop_table("submission_readings")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_constraint(op.f("uq_submissions_receipt_key"), type_="unique")
        for column in ("signature_verified", "receipt_key", "source", "sender", "channel"):
            batch.drop_column(column)
