"""Mediation: claims on review items, first reviews in double review

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 15:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0017'
down_revision: Union[str, Sequence[str], None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('review_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], name=op.f('fk_review_claim_staff_id_staff_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_claim')),
    sa.UniqueConstraint('item', name=op.f('uq_review_claim_item'))
    )
    op.create_index(op.f('ix_review_claim_staff_id'), 'review_claim', ['staff_id'], unique=False)
    op.create_table('review_vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], name=op.f('fk_review_vote_staff_id_staff_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_vote')),
    sa.UniqueConstraint('item', 'staff_id', name=op.f('uq_review_vote_item_staff_id'))
    )
    op.create_index(op.f('ix_review_vote_item'), 'review_vote', ['item'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_review_vote_item'), table_name='review_vote')
    op.drop_table('review_vote')
    op.drop_index(op.f('ix_review_claim_staff_id'), table_name='review_claim')
    op.drop_table('review_claim')
