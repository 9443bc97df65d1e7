"""Counts the results read, kept by the contributions core: contributions and answers per group

Revision ID: 0023
Revises: 0020
Create Date: 2026-11-30 17:30:00
"""
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0023'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ANSWER_KEY = ['consultation_id', 'channel', 'question_id', 'value', 'source', 'answer_status', 'contribution_status']


def upgrade() -> None:
    """Upgrade schema."""
    contribution_count = op.create_table('contribution_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('hour', sa.String(length=13), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_contribution_count_consultation_id_consultation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contribution_count')),
    sa.UniqueConstraint('consultation_id', 'channel', 'status', 'hour', name=op.f('uq_contribution_count_consultation_id_channel_status_hour'))
    )
    answer_count = op.create_table('answer_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('question_id', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('answer_status', sa.String(length=16), nullable=False),
    sa.Column('contribution_status', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_answer_count_consultation_id_consultation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_count')),
    sa.UniqueConstraint(*ANSWER_KEY, name='uq_answer_count_group')
    )
    _count_what_is_stored(contribution_count, answer_count)


def _count_what_is_stored(contribution_count: Any, answer_count: Any) -> None:
    """Fill the counts from the contributions already stored, as the core would have kept them."""
    bind = op.get_bind()
    consultation = sa.table('consultation', sa.column('id'), sa.column('definition', sa.JSON))
    contribution = sa.table('contribution', sa.column('id'), sa.column('consultation_id'),
                            sa.column('channel'), sa.column('status'), sa.column('submitted_at'))
    answer = sa.table('answer', sa.column('contribution_id'), sa.column('question_id'),
                      sa.column('value', sa.JSON), sa.column('source'), sa.column('status'))
    if bind.dialect.name == 'postgresql':
        hour = sa.func.to_char(sa.func.timezone('UTC', contribution.c.submitted_at), 'YYYY-MM-DD"T"HH24')
    else:
        hour = sa.func.strftime('%Y-%m-%dT%H', contribution.c.submitted_at)
    for consultation_id, definition in bind.execute(sa.select(consultation.c.id, consultation.c.definition)):
        questions = [*definition.get('questions', []), *definition.get('profile', [])]
        free_text = [q['id'] for q in questions if q.get('type') == 'text']
        mine = contribution.c.consultation_id == consultation_id
        per_hour = (contribution.c.channel, contribution.c.status, hour)
        bind.execute(contribution_count.insert().from_select(
            ['consultation_id', 'channel', 'status', 'hour', 'count'],
            sa.select(sa.literal(consultation_id), *per_hour, sa.func.count()).where(mine).group_by(*per_hour),
        ))
        value = sa.case((answer.c.question_id.in_(free_text), sa.literal('')),
                        else_=sa.cast(answer.c.value, sa.Text))
        columns = (contribution.c.channel, answer.c.question_id, value, answer.c.source,
                   answer.c.status, contribution.c.status)
        bind.execute(answer_count.insert().from_select(
            [*ANSWER_KEY, 'count'],
            sa.select(sa.literal(consultation_id), *columns, sa.func.count())
            .join(answer, answer.c.contribution_id == contribution.c.id)
            .where(mine).group_by(*columns),
        ))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('answer_count')
    op.drop_table('contribution_count')
