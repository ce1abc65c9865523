"""Indexes on lower(name): names are looked up case-insensitively.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("data_centers", "clusters", "hosts", "storage_domains", "data_center_storage_domains", "networks",
          "cluster_networks", "vnic_profiles", "templates", "vms", "disks", "disk_attachments", "nics", "jobs",
          "users")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_lower_name", table, [sa.text("lower(name)")])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_lower_name", table_name=table)
