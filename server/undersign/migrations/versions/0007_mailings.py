"""emailing supporters (updates sent to consenting signers, unsubscribes)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("bodies", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("test_to", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("expanded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["petition_id"], ["petitions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mailings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mailings_petition_id"), ["petition_id"], unique=False)

    op.create_table(
        "unsubscribes",
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("mailing_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["mailing_id"], ["mailings.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["signature_id"], ["signatures.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("signature_id"),
    )
    with op.batch_alter_table("unsubscribes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unsubscribes_mailing_id"), ["mailing_id"], unique=False
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailing_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_outbox_mailing_id", "mailings", ["mailing_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index(batch_op.f("ix_outbox_mailing_id"), ["mailing_id"], unique=False)

    for table in ("petitions", "partners"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("thanks_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    for table in ("partners", "petitions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("thanks_url")

    # Updates still waiting to be sent are dropped with the column that names them.
    op.execute("DELETE FROM outbox WHERE kind = 'update'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_mailing_id"))
        batch_op.drop_constraint("fk_outbox_mailing_id", type_="foreignkey")
        batch_op.drop_column("mailing_id")

    with op.batch_alter_table("unsubscribes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unsubscribes_mailing_id"))
    op.drop_table("unsubscribes")
    with op.batch_alter_table("mailings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mailings_petition_id"))
    op.drop_table("mailings")
