"""call center: schedules, IVR menus, queues, ring groups, voicemail boxes, hotline routes, queue members,
agent states and the queue event log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_CONFIGURED = ("cc_schedules", "cc_ivr_menus", "cc_queues", "cc_ring_groups", "cc_voicemail_boxes")


def _company(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=f"fk_{table}_company_id_companies", ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    for table in _CONFIGURED:
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            *_company(table),
            sa.Column("name", sa.String(length=100), nullable=False),
            sa.Column("config", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_company_id", table, ["company_id"])
    op.create_table(
        "cc_hotline_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        *_company("cc_hotline_routes"),
        sa.Column("hotline_id", sa.Integer(), nullable=False),
        sa.Column("destination", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hotline_id"],
            ["hotlines.id"],
            name="fk_cc_hotline_routes_hotline_id_hotlines",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cc_hotline_routes"),
        sa.UniqueConstraint("hotline_id", name="uq_cc_hotline_routes_hotline_id"),
    )
    op.create_index("ix_cc_hotline_routes_company_id", "cc_hotline_routes", ["company_id"])
    for table, extra in (
        (
            "cc_queue_members",
            [
                sa.Column("tier", sa.Integer(), nullable=False),
                sa.Column("penalty", sa.Integer(), nullable=False),
            ],
        ),
        (
            "cc_agent_states",
            [
                sa.Column("logged_in", sa.Boolean(), nullable=False),
                sa.Column("paused", sa.Boolean(), nullable=False),
                sa.Column("pause_reason", sa.String(length=100), nullable=False),
                sa.Column("updated_at", sa.DateTime(), nullable=False),
            ],
        ),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            *_company(table),
            sa.Column("queue_id", sa.Integer(), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            *extra,
            sa.ForeignKeyConstraint(
                ["queue_id"], ["cc_queues.id"], name=f"fk_{table}_queue_id_cc_queues", ondelete="CASCADE"
            ),
            sa.ForeignKeyConstraint(
                ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
            sa.UniqueConstraint("queue_id", "user_id", name=f"uq_{table}_queue_id"),
        )
        for column in ("company_id", "queue_id", "user_id"):
            op.create_index(f"ix_{table}_{column}", table, [column])
    op.create_table(
        "cc_queue_events",
        sa.Column("id", sa.Integer(), nullable=False),
        *_company("cc_queue_events"),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("call_id", sa.String(length=255), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("agent_user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cc_queue_events"),
    )
    op.create_index("ix_cc_queue_events_company_id", "cc_queue_events", ["company_id"])
    op.create_index("ix_cc_queue_events_queue_at", "cc_queue_events", ["queue_id", "at"])


def downgrade() -> None:
    op.drop_table("cc_queue_events")
    op.drop_table("cc_agent_states")
    op.drop_table("cc_queue_members")
    op.drop_table("cc_hotline_routes")
    for table in reversed(_CONFIGURED):
        op.drop_table(table)
