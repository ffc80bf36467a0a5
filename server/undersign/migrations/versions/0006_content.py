"""petition content (Markdown body, image, news posts, translations)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "petition_images",
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("picture", sa.LargeBinary(), nullable=False),
        sa.Column("social", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("alt", sa.JSON(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name="fk_petition_images_petition",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("petition_id", name="pk_petition_images"),
    )
    op.create_table(
        "news_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["petition_id"], ["petitions.id"], name="fk_news_posts_petition", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_news_posts"),
    )
    op.create_index("ix_news_petition", "news_posts", ["petition_id", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_news_petition", table_name="news_posts")
    op.drop_table("news_posts")
    op.drop_table("petition_images")
