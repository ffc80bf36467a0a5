"""signer safety: the hand-over list's consent, the wall's mode, who holds the data

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("named_default", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("wall_mode", sa.String(length=10), server_default="approve", nullable=False)
        )
        batch_op.add_column(sa.Column("organiser_name", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("organiser_contact", sa.String(length=200), nullable=True))
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        # Nobody was asked before: nobody is named until they say so.
        batch_op.add_column(
            sa.Column("named", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Nothing reaches the wall before an organiser approves it, name and city included:
    # entries shown until now wait for that approval like new ones.
    op.execute(
        "UPDATE signatures SET comment_status = 'pending' "
        "WHERE public AND comment_status IS NULL"
    )
    # A withdrawn signature keeps nothing that finds it again by address or network
    # (signing.forgotten_key): signing again starts a new one.
    op.execute(
        "UPDATE signatures SET email_key = 'withdrawn:' || id, ip_key = NULL "
        "WHERE status = 'withdrawn'"
    )


def downgrade() -> None:
    op.execute("UPDATE signatures SET comment_status = NULL WHERE comment IS NULL")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_column("named")
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.drop_column("organiser_contact")
        batch_op.drop_column("organiser_name")
        batch_op.drop_column("wall_mode")
        batch_op.drop_column("named_default")
