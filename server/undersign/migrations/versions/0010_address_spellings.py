"""address spellings: a row per spelling typed, one confirmed signature per person; and
whether a signature was made on the onion service, for its emails' links

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

VERIFIED = sa.text("status = 'verified'")


def upgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("spelling_key", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("by_onion", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Which spelling each row was typed with is not kept (only the person's key): the
    # canonical one stands in. Its key equals the person's (identity.spelling_key), so
    # a signer who typed that spelling finds their row again; one who typed another gets
    # a row of their own on signing again, whose confirmation answers "already signed".
    op.execute("UPDATE signatures SET spelling_key = email_key")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.alter_column("spelling_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint("uq_signature_person", type_="unique")
        batch_op.create_unique_constraint("uq_signature_spelling", ["petition_id", "spelling_key"])
    op.create_index(
        "uq_signature_person",
        "signatures",
        ["petition_id", "email_key"],
        unique=True,
        sqlite_where=VERIFIED,
        postgresql_where=VERIFIED,
    )
    op.create_index(
        "ix_signature_spellings", "signatures", ["petition_id", "email_key", "created_at"]
    )


def downgrade() -> None:
    # One row per person again: of a person's rows, the confirmed one stays, else the oldest.
    op.execute(
        "DELETE FROM signatures WHERE status <> 'verified' AND EXISTS ("
        " SELECT 1 FROM signatures AS other"
        " WHERE other.petition_id = signatures.petition_id"
        " AND other.email_key = signatures.email_key"
        " AND (other.status = 'verified' OR other.id < signatures.id))"
    )
    op.drop_index("ix_signature_spellings", table_name="signatures")
    op.drop_index("uq_signature_person", table_name="signatures")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_constraint("uq_signature_spelling", type_="unique")
        batch_op.create_unique_constraint("uq_signature_person", ["petition_id", "email_key"])
        batch_op.drop_column("spelling_key")
        batch_op.drop_column("by_onion")
