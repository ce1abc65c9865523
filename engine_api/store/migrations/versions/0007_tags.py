"""Tags: the tree under the root tag and their assignments to VMs, hosts, templates, users and groups.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TAGGED = {"vm": "vms", "host": "hosts", "template": "templates", "user": "users", "group": "groups"}


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["tags.id"], name=op.f("fk_tags_parent_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
    )
    op.create_index(op.f("ix_tags_name"), "tags", ["name"], unique=False)
    op.create_index(op.f("ix_tags_parent_id"), "tags", ["parent_id"], unique=False)
    op.create_index("ix_tags_lower_name", "tags", [sa.text("lower(name)")])
    op.create_table(
        "tag_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        *(sa.Column(f"{k}_id", sa.String(length=36), nullable=True) for k in TAGGED),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_tag_assignments_tag_id"), ondelete="CASCADE"),
        *(sa.ForeignKeyConstraint([f"{k}_id"], [f"{table}.id"], name=op.f(f"fk_tag_assignments_{k}_id"),
                                  ondelete="CASCADE") for k, table in TAGGED.items()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_assignments")),
    )
    for column in ("tag_id", *(f"{k}_id" for k in TAGGED)):
        op.create_index(op.f(f"ix_tag_assignments_{column}"), "tag_assignments", [column], unique=False)


def downgrade() -> None:
    op.drop_table("tag_assignments")
    op.drop_table("tags")
