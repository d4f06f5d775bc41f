"""registrations pending, provider-reported ends, provider daily quotas

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vilt.storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = vilt.storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("registrations_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("provider_ended_at", UTC_DATETIME, nullable=True))
    op.create_table(
        "provider_quotas",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("integration_id", sa.Uuid(), nullable=False),
        sa.Column("quota", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_provider_quotas_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_quotas")),
        sa.UniqueConstraint(
            "integration_id",
            "quota",
            "subject",
            "day",
            name=op.f("uq_provider_quotas_integration_id_quota_subject_day"),
        ),
    )


def downgrade() -> None:
    op.drop_table("provider_quotas")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("provider_ended_at")
        batch_op.drop_column("registrations_pending")
