"""call records keep the quota cut-off and the SIP dialog

The PBX stores, on answer, when it will cut the call off for the monthly quota and the dialog it needs to
send the BYEs, so both survive a restart of the server.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cutoff", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("dialog", sa.JSON(), nullable=True))
        batch_op.create_index("ix_call_records_running_cutoff", ["end", "cutoff"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_index("ix_call_records_running_cutoff")
        batch_op.drop_column("dialog")
        batch_op.drop_column("cutoff")
