"""Totals imported from other platforms (Decidim budget projects, paper-ballot totals)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 14:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('imported_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('option_key', sa.String(length=64), nullable=False),
    sa.Column('origin_id', sa.String(length=64), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_imported_total_consultation_id_consultation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_total')),
    sa.UniqueConstraint('consultation_id', 'source', 'question_id', 'option_key', name=op.f('uq_imported_total_consultation_id_source_question_id_option_key'))
    )
    with op.batch_alter_table('imported_total', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imported_total_consultation_id'), ['consultation_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('imported_total', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imported_total_consultation_id'))
    op.drop_table('imported_total')
