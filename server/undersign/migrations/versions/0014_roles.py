"""team roles: organiser_tokens.role and organiser_tokens.petitions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 00:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every token made before roles could do everything: it stays an owner of every petition.
    with op.batch_alter_table("organiser_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(length=20), server_default="owner", nullable=False)
        )
        batch_op.add_column(sa.Column("petitions", sa.JSON(), nullable=True))
    # A partner token is a reader of its partner's share whatever its role (auth.PARTNER_ACTIONS);
    # listed as a viewer, as `undersign token create --partner` now makes them.
    op.execute("UPDATE organiser_tokens SET role = 'viewer' WHERE partner IS NOT NULL")


def downgrade() -> None:
    # Going back makes every token all-powerful again (as it was): revoke any you distrust.
    with op.batch_alter_table("organiser_tokens", schema=None) as batch_op:
        batch_op.drop_column("petitions")
        batch_op.drop_column("role")
