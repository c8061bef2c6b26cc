"""console: call history indexes (a company's calls by time; a covering one for the dashboard)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 03:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_call_records_company_start", "call_records", ["company_id", "start"])
    op.create_index(
        "ix_call_records_company_dashboard",
        "call_records",
        [
            "company_id",
            "start",
            "direction",
            "disposition",
            "answer",
            "end",
            "caller_user_id",
            "callee_user_id",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_call_records_company_dashboard", table_name="call_records")
    op.drop_index("ix_call_records_company_start", table_name="call_records")
