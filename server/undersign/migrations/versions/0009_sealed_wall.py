"""sealed petitions' wall: the entry a signer chose to publish, kept in clear

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 16:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shown", sa.JSON(), nullable=True))


def downgrade() -> None:
    # The sealed columns still hold every entry: only the public copy goes.
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_column("shown")
