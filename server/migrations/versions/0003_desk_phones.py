"""desk phones provisioned by MAC

A desk phone (MAC, vendor and model, its own SIP device as line 1, BLF keys, overrides, the pairing window,
the digest of its file URL's token, what it last fetched) and its lines 2+.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 17:21:51.563368
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("mac", sa.String(length=12), nullable=False),
        sa.Column("vendor", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("transport", sa.String(length=8), nullable=False),
        sa.Column("blf_keys", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("admin_password", sa.String(length=64), nullable=False),
        sa.Column("pairing_until", sa.DateTime(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_created_at", sa.DateTime(), nullable=True),
        sa.Column("paired_at", sa.DateTime(), nullable=True),
        sa.Column("last_fetch_at", sa.DateTime(), nullable=True),
        sa.Column("last_fetch_address", sa.String(length=64), nullable=True),
        sa.Column("last_user_agent", sa.String(length=255), nullable=True),
        sa.Column("last_firmware", sa.String(length=64), nullable=True),
        sa.Column("last_file", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_desk_phones_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_desk_phones_device_id_devices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_desk_phones_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_phones")),
        sa.UniqueConstraint("company_id", "mac", name="uq_desk_phones_company_mac"),
        sa.UniqueConstraint("device_id", name=op.f("uq_desk_phones_device_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_desk_phones_token_hash")),
    )
    with op.batch_alter_table("desk_phones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_phones_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_desk_phones_mac"), ["mac"], unique=False)
        batch_op.create_index(batch_op.f("ix_desk_phones_user_id"), ["user_id"], unique=False)

    op.create_table(
        "desk_phone_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("desk_phone_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_desk_phone_lines_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["desk_phone_id"],
            ["desk_phones.id"],
            name=op.f("fk_desk_phone_lines_desk_phone_id_desk_phones"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_desk_phone_lines_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_phone_lines")),
        sa.UniqueConstraint("desk_phone_id", "position", name="uq_desk_phone_lines_position"),
        sa.UniqueConstraint("device_id", name=op.f("uq_desk_phone_lines_device_id")),
    )
    with op.batch_alter_table("desk_phone_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_phone_lines_company_id"), ["company_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_desk_phone_lines_desk_phone_id"), ["desk_phone_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("desk_phone_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_phone_lines_desk_phone_id"))
        batch_op.drop_index(batch_op.f("ix_desk_phone_lines_company_id"))

    op.drop_table("desk_phone_lines")
    with op.batch_alter_table("desk_phones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_phones_user_id"))
        batch_op.drop_index(batch_op.f("ix_desk_phones_mac"))
        batch_op.drop_index(batch_op.f("ix_desk_phones_company_id"))

    op.drop_table("desk_phones")
