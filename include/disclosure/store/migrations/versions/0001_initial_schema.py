"""Initial schema: submissions, validation runs and findings, accepted figures, consolidation runs and totals.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when schema.py does.
Timestamp = sa.DateTime(timezone=True)
CURRENT_ONLY = sa.text("superseded_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "consolidation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("format_version", sa.String(length=32), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("in_force_consolidation", sa.String(length=16), nullable=False),
        sa.Column("is_draft", sa.Boolean(), nullable=False),
        sa.Column("draft_label", sa.Text(), nullable=False),
        sa.Column("contributing_units", sa.Text(), nullable=False),
        sa.Column("missing_units", sa.Text(), nullable=False),
        sa.Column("invalid_units", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consolidation_runs")),
    )
    op.create_index(op.f("ix_consolidation_runs_year"), "consolidation_runs", ["year"])

    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("archive_path", sa.String(length=255), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_at", Timestamp, nullable=False),
        sa.Column("format_version", sa.String(length=32), nullable=True),
        sa.Column("template_revision", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
    )
    op.create_index(op.f("ix_submissions_sha256"), "submissions", ["sha256"])
    op.create_index("ix_submissions_year_unit", "submissions", ["year", "unit"])

    op.create_table(
        "accepted_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("table_id", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.String(length=64), nullable=False),
        sa.Column("column_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=True),
        sa.Column("value_type", sa.String(length=8), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("sheet", sa.String(length=255), nullable=True),
        sa.Column("cell", sa.String(length=32), nullable=True),
        sa.Column("accepted_at", Timestamp, nullable=False),
        sa.Column("superseded_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_accepted_figures_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accepted_figures")),
    )
    op.create_index(op.f("ix_accepted_figures_submission_id"), "accepted_figures", ["submission_id"])
    op.create_index("ix_accepted_figures_year_unit", "accepted_figures", ["year", "unit"])
    op.create_index(
        "uq_accepted_figures_current",
        "accepted_figures",
        ["year", "unit", "table_id", "row_id", "column_id"],
        unique=True,
        sqlite_where=CURRENT_ONLY,
        postgresql_where=CURRENT_ONLY,
    )

    op.create_table(
        "totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.String(length=64), nullable=False),
        sa.Column("column_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=True),
        sa.Column("value_type", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["consolidation_runs.id"], name=op.f("fk_totals_run_id_consolidation_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_totals")),
        sa.UniqueConstraint("run_id", "table_id", "row_id", "column_id", name="uq_totals_cell"),
    )
    op.create_index(op.f("ix_totals_run_id"), "totals", ["run_id"])

    op.create_table(
        "validation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("consolidation_run_id", sa.Integer(), nullable=True),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("data_docs", sa.Text(), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consolidation_run_id"],
            ["consolidation_runs.id"],
            name=op.f("fk_validation_runs_consolidation_run_id_consolidation_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_validation_runs_submission_id_submissions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_runs")),
    )
    op.create_index(
        op.f("ix_validation_runs_consolidation_run_id"), "validation_runs", ["consolidation_run_id"]
    )
    op.create_index(op.f("ix_validation_runs_submission_id"), "validation_runs", ["submission_id"])

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("sheet", sa.String(length=255), nullable=True),
        sa.Column("cell", sa.String(length=32), nullable=True),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("actual", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("justified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["validation_runs.id"], name=op.f("fk_findings_run_id_validation_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(op.f("ix_findings_run_id"), "findings", ["run_id"])


def downgrade() -> None:
    # Only for development: dropping the store loses the archive index and every accepted figure.
    for table in (
        "findings",
        "validation_runs",
        "totals",
        "accepted_figures",
        "submissions",
        "consolidation_runs",
    ):
        op.drop_table(table)
