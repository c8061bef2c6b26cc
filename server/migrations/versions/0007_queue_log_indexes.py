"""queue log: indexes for reports by company and date range, and by agent

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 08:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cc_queue_events_company_at", "cc_queue_events", ["company_id", "at"])
    op.create_index("ix_cc_queue_events_agent_at", "cc_queue_events", ["agent_user_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_cc_queue_events_agent_at", table_name="cc_queue_events")
    op.drop_index("ix_cc_queue_events_company_at", table_name="cc_queue_events")
