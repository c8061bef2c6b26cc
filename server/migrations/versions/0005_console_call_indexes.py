"""console: call history indexes (a company's calls by time, and by agent)

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
        "ix_call_records_company_caller_user", "call_records", ["company_id", "caller_user_id", "start"]
    )
    op.create_index(
        "ix_call_records_company_callee_user", "call_records", ["company_id", "callee_user_id", "start"]
    )


def downgrade() -> None:
    op.drop_index("ix_call_records_company_callee_user", table_name="call_records")
    op.drop_index("ix_call_records_company_caller_user", table_name="call_records")
    op.drop_index("ix_call_records_company_start", table_name="call_records")
