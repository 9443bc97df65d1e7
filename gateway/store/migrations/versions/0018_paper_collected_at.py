"""Paper batches carry the date their paper was collected

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 15:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0018'
down_revision: Union[str, Sequence[str], None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collected_at', sa.DateTime(timezone=True), nullable=True))
    # Batches taken in before this column: their paper was collected when they were scanned.
    op.execute('UPDATE paper_batch SET collected_at = created_at')
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.alter_column('collected_at', existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('paper_batch', schema=None) as batch_op:
        batch_op.drop_column('collected_at')
