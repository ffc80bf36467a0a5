"""sealed petitions: the organisers' public key signers' data is sealed to

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seal_key", sa.String(length=44), nullable=True))


def downgrade() -> None:
    # Signatures sealed meanwhile stay sealed: only the key file opens them.
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.drop_column("seal_key")
