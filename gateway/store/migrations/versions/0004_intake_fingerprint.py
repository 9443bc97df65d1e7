"""Intake fingerprints (a retry is told from a different body) and API token scopes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMNs: SQLite does not rebuild the tables.
    op.add_column('contribution', sa.Column('fingerprint', sa.String(length=64), nullable=True))
    # Existing tokens keep what they could do: no scope.
    op.add_column(
        'api_token',
        sa.Column('scopes', sa.String(length=256), server_default='', nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    # Plain DROP COLUMNs (SQLite 3.35+): rebuilding `contribution` would trip
    # the foreign keys of its answers.
    op.drop_column('api_token', 'scopes')
    op.drop_column('contribution', 'fingerprint')
