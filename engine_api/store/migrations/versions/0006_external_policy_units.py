"""External scheduling units: the Python files added through the API and the unit classes registered from them.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table("scheduler_plugins", *_columns(), sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_plugins")))
    op.create_table(
        "external_policy_units", *_columns(),
        sa.Column("plugin_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["plugin_id"], ["scheduler_plugins.id"], name=op.f("fk_external_policy_units_plugin_id"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_policy_units")),
    )
    for table in ("scheduler_plugins", "external_policy_units"):
        op.create_index(op.f(f"ix_{table}_name"), table, ["name"], unique=False)
        op.create_index(f"ix_{table}_lower_name", table, [sa.text("lower(name)")])
    op.create_index(op.f("ix_external_policy_units_plugin_id"), "external_policy_units", ["plugin_id"], unique=False)


def downgrade() -> None:
    op.drop_table("external_policy_units")
    op.drop_table("scheduler_plugins")
