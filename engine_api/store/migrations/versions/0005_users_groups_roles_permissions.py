"""Multi-level administration: groups and their members, roles, permissions, the internal directory's account
state (password validity, disabling, lockout) and the idle expiry of tokens; seeds the built-in roles, the
Everyone group with its permissions and SuperUser on System for admin@internal.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _kind_table(table: str) -> None:
    op.create_table(
        table,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("doc", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_name"), ["name"], unique=False)
    op.create_index(f"ix_{table}_lower_name", table, [sa.text("lower(name)")])


def upgrade() -> None:
    _kind_table("groups")
    _kind_table("roles")
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_group_members_group_id"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_group_members_user_id"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_members")),
    )
    op.create_index(op.f("ix_group_members_user_id"), "group_members", ["user_id"], unique=False)
    op.create_table(
        "permissions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("role_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"], name=op.f("fk_permissions_role_id"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_permissions_user_id"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_permissions_group_id"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permissions")),
    )
    for column in ("role_id", "user_id", "group_id", "object_id"):
        op.create_index(op.f(f"ix_permissions_{column}"), "permissions", [column], unique=False)
    # plain ADD COLUMN (nullable, no default): SQLite need not copy the tables
    op.add_column("credentials", sa.Column("valid_to", sa.Float(), nullable=True))
    op.add_column("credentials", sa.Column("disabled", sa.Boolean(), nullable=True))
    op.add_column("credentials", sa.Column("unlock_time", sa.Float(), nullable=True))
    op.add_column("credentials", sa.Column("failures", sa.Integer(), nullable=True))
    op.add_column("credentials", sa.Column("failure_times", sa.JSON(), nullable=True))
    op.add_column("tokens", sa.Column("idle", sa.Float(), nullable=True))

    from engine_api.auth.seed import seed

    seed(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("idle")
    with op.batch_alter_table("credentials") as batch:
        for column in ("failure_times", "failures", "unlock_time", "disabled", "valid_to"):
            batch.drop_column(column)
    op.drop_table("permissions")
    op.drop_table("group_members")
    op.drop_table("roles")
    op.drop_table("groups")
