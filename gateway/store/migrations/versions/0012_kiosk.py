"""The kiosk channel: kiosks and the resident session each one holds

Revision ID: 0012
Revises: 0008
Create Date: 2026-11-30 12:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('kiosk',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk')),
    sa.UniqueConstraint('name', name=op.f('uq_kiosk_name'))
    )
    op.create_table('kiosk_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kiosk_id', sa.String(length=16), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=True),
    sa.Column('receipt', sa.String(length=16), nullable=True),
    sa.Column('receipt_status', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk.id'], name=op.f('fk_kiosk_session_kiosk_id_kiosk')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_kiosk_session_token_hash'))
    )
    with op.batch_alter_table('kiosk_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_session_kiosk_id'), ['kiosk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kiosk_session_last_seen_at'), ['last_seen_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('kiosk_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_session_last_seen_at'))
        batch_op.drop_index(batch_op.f('ix_kiosk_session_kiosk_id'))
    op.drop_table('kiosk_session')
    op.drop_table('kiosk')
