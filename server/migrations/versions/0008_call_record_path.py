"""call records keep a call-center call's path (hotline -> schedule -> IVR -> queue -> agent)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("path", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_column("path")
