"""call center: hourly rollups of the queue log (per queue and per agent), how far they are folded, and
an index for the agents' state lines

The rows are filled by `server.domain.queue_rollups` (at start and then every minute, folding closed
hours): an existing log is backfilled by the first start after this migration, not here.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-05 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _company(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=f"fk_{table}_company_id_companies", ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    # the agents' state at a report's start reads their log-in/pause lines (call id NONE) alone
    op.create_index(
        "ix_cc_queue_events_company_call_at", "cc_queue_events", ["company_id", "call_id", "at"]
    )
    op.create_table(
        "cc_queue_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        *_company("cc_queue_rollups"),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Float(), nullable=False),
        sa.Column("service_level", sa.Float(), nullable=False),
        sa.Column("short_abandon", sa.Float(), nullable=False),
        sa.Column("tally", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cc_queue_rollups"),
        sa.UniqueConstraint("queue_id", "hour", name="uq_cc_queue_rollups_queue_id"),
    )
    op.create_index("ix_cc_queue_rollups_company_hour", "cc_queue_rollups", ["company_id", "hour"])
    op.create_table(
        "cc_agent_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        *_company("cc_agent_rollups"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Float(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cc_agent_rollups"),
        sa.UniqueConstraint("company_id", "user_id", "hour", name="uq_cc_agent_rollups_company_id"),
    )
    op.create_index("ix_cc_agent_rollups_company_hour", "cc_agent_rollups", ["company_id", "hour"])
    op.create_table(
        "cc_rollup_marks",
        *_company("cc_rollup_marks"),
        sa.Column("folded_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", name="pk_cc_rollup_marks"),
    )


def downgrade() -> None:
    op.drop_table("cc_rollup_marks")
    op.drop_table("cc_agent_rollups")
    op.drop_table("cc_queue_rollups")
    op.drop_index("ix_cc_queue_events_company_call_at", table_name="cc_queue_events")
