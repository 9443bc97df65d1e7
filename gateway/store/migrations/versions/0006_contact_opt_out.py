"""Contact preferences in the core: one opt-out list for every channel

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 11:30:00

SMS opt-outs move to `contact_opt_out`, so a STOP by SMS also stops calls.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('contact_opt_out',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('said', sa.String(length=32), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_opt_out')),
    sa.UniqueConstraint('phone_hash', name=op.f('uq_contact_opt_out_phone_hash'))
    )
    op.execute(
        "INSERT INTO contact_opt_out (phone_hash, channel, said, opted_out_at) "
        "SELECT phone_hash, 'sms', keyword, opted_out_at FROM sms_opt_out"
    )
    op.drop_table('sms_opt_out')


def downgrade() -> None:
    op.create_table('sms_opt_out',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('keyword', sa.String(length=32), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_opt_out')),
    sa.UniqueConstraint('phone_hash', name=op.f('uq_sms_opt_out_phone_hash'))
    )
    op.execute(
        "INSERT INTO sms_opt_out (phone_hash, keyword, opted_out_at) "
        "SELECT phone_hash, said, opted_out_at FROM contact_opt_out"
    )
    op.drop_table('contact_opt_out')
