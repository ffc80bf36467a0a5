"""the mail ceiling: held verification emails, and those sent lately

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("domain_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_held_at"), ["held_at"], unique=False)
    op.create_table(
        "mail_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("domain_key", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("under_ceiling", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["petition_id"], ["petitions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["signature_id"], ["signatures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_sent_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mail_sent_signature_id"), ["signature_id"], unique=False
        )


def downgrade() -> None:
    # Held emails become ordinary ones: due at once.
    op.execute("UPDATE outbox SET due_at = CURRENT_TIMESTAMP WHERE held_at IS NOT NULL")
    with op.batch_alter_table("mail_sent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_sent_signature_id"))
        batch_op.drop_index(batch_op.f("ix_mail_sent_sent_at"))
    op.drop_table("mail_sent")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_held_at"))
        batch_op.drop_column("domain_key")
        batch_op.drop_column("released_at")
        batch_op.drop_column("held_at")
