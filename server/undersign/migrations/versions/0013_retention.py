"""retention: each petition's personal data ends a set number of days after it closes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retention_days", sa.Integer(), server_default=sa.text("90"), nullable=False)
        )
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_for", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reminded_days", sa.Integer(), nullable=True))
    # When a petition closed by hand was closed is not known: from now, so its signers'
    # data is kept its full retention from the upgrade, never erased sooner than promised.
    op.execute(
        sa.text("UPDATE petitions SET closed_at = CURRENT_TIMESTAMP WHERE status = 'closed'")
    )


def downgrade() -> None:
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.drop_column("reminded_days")
        batch_op.drop_column("reminded_for")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("retention_days")
