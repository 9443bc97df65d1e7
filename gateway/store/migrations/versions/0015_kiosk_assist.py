"""Kiosk: the médiateur-assisted mode (mandates, elected officials) and the online pages
(sessions without a kiosk, the phone a one-time code proved, the codes' hashes)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 14:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('staff_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elected', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('kiosk_mandate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kiosk_id', sa.String(length=16), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('consent', sa.String(length=16), nullable=False),
    sa.Column('contribution_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_kiosk_mandate_consultation_id_consultation')),
    sa.ForeignKeyConstraint(['contribution_id'], ['contribution.id'], name=op.f('fk_kiosk_mandate_contribution_id_contribution')),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk.id'], name=op.f('fk_kiosk_mandate_kiosk_id_kiosk')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], name=op.f('fk_kiosk_mandate_staff_id_staff_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_mandate'))
    )
    with op.batch_alter_table('kiosk_mandate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_mandate_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kiosk_mandate_kiosk_id'), ['kiosk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kiosk_mandate_staff_id'), ['staff_id'], unique=False)
    with op.batch_alter_table('kiosk_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mediateur_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mandate_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_kiosk_session_mediateur_id_staff_account'), 'staff_account', ['mediateur_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_kiosk_session_mandate_id_kiosk_mandate'), 'kiosk_mandate', ['mandate_id'], ['id'])
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
        batch_op.alter_column('kiosk_id', existing_type=sa.String(length=16), nullable=True)
    op.create_table('online_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['kiosk_session.id'], name=op.f('fk_online_code_session_id_kiosk_session'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_code'))
    )
    with op.batch_alter_table('online_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_online_code_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_online_code_session_id'), ['session_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('online_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_online_code_session_id'))
        batch_op.drop_index(batch_op.f('ix_online_code_phone_hash'))
    op.drop_table('online_code')
    op.execute("DELETE FROM kiosk_session WHERE kiosk_id IS NULL")
    with op.batch_alter_table('kiosk_session', schema=None) as batch_op:
        batch_op.alter_column('kiosk_id', existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column('phone_hash')
        batch_op.drop_constraint(batch_op.f('fk_kiosk_session_mandate_id_kiosk_mandate'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_kiosk_session_mediateur_id_staff_account'), type_='foreignkey')
        batch_op.drop_column('mandate_id')
        batch_op.drop_column('mediateur_id')
    with op.batch_alter_table('kiosk_mandate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_mandate_staff_id'))
        batch_op.drop_index(batch_op.f('ix_kiosk_mandate_kiosk_id'))
        batch_op.drop_index(batch_op.f('ix_kiosk_mandate_consultation_id'))
    op.drop_table('kiosk_mandate')
    with op.batch_alter_table('staff_account', schema=None) as batch_op:
        batch_op.drop_column('elected')
