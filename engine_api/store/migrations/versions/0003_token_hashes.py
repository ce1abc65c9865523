"""Bearer tokens and session ids are kept as SHA-256 digests, never as the secrets themselves.

Revision ID: 0003
Revises: 0002
"""

import hashlib
import warnings

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT token FROM tokens")).fetchall()
    with warnings.catch_warnings():  # SQLite's copy-and-move reflects users, whose lower(name) index it skips
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table("tokens") as batch:
            batch.alter_column("token", new_column_name="token_hash", existing_type=sa.String(128),
                               type_=sa.String(64), existing_nullable=False)
    for (token,) in rows:  # tokens issued before keep working, now found by their digest
        digest = hashlib.sha256(token.encode()).hexdigest()
        conn.execute(sa.text("UPDATE tokens SET token_hash = :digest WHERE token_hash = :token"),
                     {"digest": digest, "token": token})


def downgrade() -> None:
    op.execute("DELETE FROM tokens")  # a digest cannot become its token again: everyone logs in anew
    with op.batch_alter_table("tokens") as batch:
        batch.alter_column("token_hash", new_column_name="token", existing_type=sa.String(64),
                           type_=sa.String(128), existing_nullable=False)
