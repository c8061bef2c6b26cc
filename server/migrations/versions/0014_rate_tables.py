"""rate tables: a company's call prices per destination prefix, assignable to hotlines

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 23:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_rate_tables_company_id_companies", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_rate_tables"),
        sa.UniqueConstraint("company_id", "name", name="uq_rate_tables_company_name"),
    )
    op.create_index("ix_rate_tables_company_id", "rate_tables", ["company_id"])
    with op.batch_alter_table("hotlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate_table_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_hotlines_rate_table_id_rate_tables",
            "rate_tables",
            ["rate_table_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("hotlines", schema=None) as batch_op:
        batch_op.drop_constraint("fk_hotlines_rate_table_id_rate_tables", type_="foreignkey")
        batch_op.drop_column("rate_table_id")
    op.drop_index("ix_rate_tables_company_id", table_name="rate_tables")
    op.drop_table("rate_tables")
