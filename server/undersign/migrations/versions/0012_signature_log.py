"""signature log: entries, checkpoints, witnesses' keys and cosignatures; signatures.logged

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# transparency.DUE_SQL: the signatures whose log entries lag what counts now.
DUE = sa.text(
    "logged IS NULL AND status = 'verified' AND invalidated_at IS NULL"
    " OR logged = 'in' AND NOT (status = 'verified' AND invalidated_at IS NULL)"
    " OR logged = 'out' AND status = 'verified' AND invalidated_at IS NULL"
)


def upgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("logged", sa.String(length=3), nullable=True))
    # Signatures confirmed before the log existed are due at once: the first append logs
    # them, so the log's count starts equal to the public count.
    op.create_index(
        "ix_signature_log_due",
        "signatures",
        ["petition_id"],
        sqlite_where=DUE,
        postgresql_where=DUE,
    )
    op.create_table(
        "log_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("minute", sa.String(length=17), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("channel", sa.String(length=6), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=True),
        sa.Column("cancels", sa.String(length=64), nullable=True),
        sa.Column("paper_key", sa.String(length=60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["petition_id"], ["petitions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("petition_id", "index", name="uq_log_entry_index"),
    )
    op.create_index("ix_log_entry_commitment", "log_entries", ["petition_id", "commitment"])
    op.create_index("ix_log_entry_cancels", "log_entries", ["petition_id", "cancels"])
    paper = sa.text("paper_key IS NOT NULL")
    op.create_index(
        "ix_log_entry_paper",
        "log_entries",
        ["paper_key"],
        sqlite_where=paper,
        postgresql_where=paper,
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["petition_id"], ["petitions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("petition_id", "size", name="uq_log_checkpoint_size"),
    )
    op.create_table(
        "log_witnesses",
        sa.Column("partner", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partner"),
    )
    op.create_table(
        "log_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=40), nullable=False),
        sa.Column("witness", sa.String(length=120), nullable=False),
        sa.Column("line", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["checkpoint_id"], ["log_checkpoints.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkpoint_id", "partner", name="uq_log_cosignature_partner"),
    )


def downgrade() -> None:
    op.drop_table("log_cosignatures")
    op.drop_table("log_witnesses")
    op.drop_table("log_checkpoints")
    op.drop_index("ix_log_entry_paper", table_name="log_entries")
    op.drop_index("ix_log_entry_cancels", table_name="log_entries")
    op.drop_index("ix_log_entry_commitment", table_name="log_entries")
    op.drop_table("log_entries")
    op.drop_index("ix_signature_log_due", table_name="signatures")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_column("logged")
