"""State several engines on one database share: the VMs a job moves, and each host's last agent report.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "busy_vms",
        sa.Column("vm_id", sa.String(length=36), nullable=False),
        sa.Column("engine", sa.String(length=64), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("vm_id", "engine", name=op.f("pk_busy_vms")),
    )
    op.create_table(
        "host_reports",
        sa.Column("host_id", sa.String(length=36), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("host_id", name=op.f("pk_host_reports")),
    )


def downgrade() -> None:
    op.drop_table("host_reports")
    op.drop_table("busy_vms")
