"""call records: the cost of a finished outbound call (VND, from `server.domain.call_cost`)

Written by the PBX journal when the call's record is saved with its end; older records keep NULL (the
console computes theirs when it reads them).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 17:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cost", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_column("cost")
