"""Drop sms_conversation.reply_to: replies go back in the webhook's answer, no number is kept

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('sms_conversation', schema=None) as batch_op:
        batch_op.drop_column('reply_to')


def downgrade() -> None:
    with op.batch_alter_table('sms_conversation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.String(length=32), nullable=True))
