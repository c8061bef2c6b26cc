"""companies: the "this call may be recorded" notice and the recordings' retention; call records: when the
retention deleted the recording

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 23:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recording_notice", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        # the company's own prompt to play instead of the built-in sentence (None: the sentence)
        batch_op.add_column(sa.Column("recording_notice_prompt", sa.String(length=64), nullable=True))
        # 0 = keep forever
        batch_op.add_column(
            sa.Column("recording_retention_days", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        # POSIX time the retention job deleted the call's WAV (its `recording` link is then NULL)
        batch_op.add_column(sa.Column("recording_deleted", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_column("recording_deleted")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("recording_retention_days")
        batch_op.drop_column("recording_notice_prompt")
        batch_op.drop_column("recording_notice")
