"""per-user call forwarding rules (always, busy, no answer after N s, unreachable)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 12:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forwarding_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name="fk_forwarding_rules_company_id_companies",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_forwarding_rules_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_forwarding_rules"),
        sa.UniqueConstraint("user_id", "condition", name="uq_forwarding_rules_user_condition"),
    )
    op.create_index("ix_forwarding_rules_company_id", "forwarding_rules", ["company_id"])
    op.create_index("ix_forwarding_rules_user_id", "forwarding_rules", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_forwarding_rules_user_id", table_name="forwarding_rules")
    op.drop_index("ix_forwarding_rules_company_id", table_name="forwarding_rules")
    op.drop_table("forwarding_rules")
