"""registrations of canceled enrollments, canceled on the provider by the worker

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unregistrations_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registrant_to_cancel", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_column("registrant_to_cancel")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("unregistrations_pending")
