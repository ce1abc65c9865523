"""Custom scheduling policies, affinity groups (per cluster) and affinity labels.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("scheduling_policies", "affinity_groups", "affinity_labels")


def upgrade() -> None:
    for table in TABLES:
        cols: list[sa.Column] = [
            sa.Column("id", sa.String(length=36), nullable=False),
            sa.Column("name", sa.String(length=255), nullable=True),
            sa.Column("created", sa.Float(), nullable=False),
            sa.Column("doc", sa.JSON(), nullable=False),
        ]
        constraints: list[sa.Constraint] = [sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))]
        if table == "affinity_groups":
            cols.append(sa.Column("cluster_id", sa.String(length=36), nullable=True))
            constraints.append(sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="CASCADE",
                                                       name=op.f("fk_affinity_groups_cluster_id")))
        op.create_table(table, *cols, *constraints)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_name"), ["name"], unique=False)
            if table == "affinity_groups":
                batch_op.create_index(batch_op.f("ix_affinity_groups_cluster_id"), ["cluster_id"], unique=False)
        op.create_index(f"ix_{table}_lower_name", table, [sa.text("lower(name)")])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
