"""A NIC's MAC address in an indexed column of its own: a new NIC's address is the highest in use plus one, and
finding it read every NIC's document.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("nics", sa.Column("mac_address", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_nics_mac_address"), "nics", ["mac_address"], unique=False)
    nics = sa.table("nics", sa.column("id", sa.String), sa.column("doc", sa.JSON),
                    sa.column("mac_address", sa.String))
    conn = op.get_bind()
    for ident, doc in conn.execute(sa.select(nics.c.id, nics.c.doc)).all():
        mac = ((doc or {}).get("mac") or {}).get("address")
        if mac:
            conn.execute(sa.update(nics).where(nics.c.id == ident).values(mac_address=mac))


def downgrade() -> None:
    op.drop_index(op.f("ix_nics_mac_address"), table_name="nics")
    op.drop_column("nics", "mac_address")
