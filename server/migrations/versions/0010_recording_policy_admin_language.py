"""call recording policy (company) and override (user), the call record's recording, console languages

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        # off | all | inbound | outbound (server.domain.recording_policy)
        batch_op.add_column(
            sa.Column("recording_policy", sa.String(length=16), nullable=False, server_default="off")
        )
        batch_op.add_column(sa.Column("console_language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        # inherit | always | never
        batch_op.add_column(
            sa.Column("recording", sa.String(length=16), nullable=False, server_default="inherit")
        )
        batch_op.add_column(sa.Column("console_language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        # the WAV's file name in the recordings directory (its index.jsonl line has the same Call-ID)
        batch_op.add_column(sa.Column("recording", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_column("recording")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("console_language")
        batch_op.drop_column("recording")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("console_language")
        batch_op.drop_column("recording_policy")
