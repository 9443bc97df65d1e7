"""Médiateur-assisted kiosk mode: mandates, the kiosk session's médiateur, elected officials

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-30 14:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0012'
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


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('kiosk_session', schema=None) as batch_op:
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
