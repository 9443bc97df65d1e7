"""The paper channel: scan batches, their files and pages, sheets and copies counted

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-30 14:05:14.717795
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('paper_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_batch')),
    sa.UniqueConstraint('name', name=op.f('uq_paper_batch_name'))
    )
    op.create_table('paper_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['paper_batch.id'], name=op.f('fk_paper_file_batch_id_paper_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_file')),
    sa.UniqueConstraint('sha256', name=op.f('uq_paper_file_sha256'))
    )
    with op.batch_alter_table('paper_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_file_batch_id'), ['batch_id'], unique=False)

    op.create_table('paper_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('copy_key', sa.String(length=40), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('contribution_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contribution_id'], ['contribution.id'], name=op.f('fk_paper_copy_contribution_id_contribution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_copy')),
    sa.UniqueConstraint('copy_key', name=op.f('uq_paper_copy_copy_key'))
    )
    op.create_table('paper_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('page_index', sa.Integer(), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('image_size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('consultation_code', sa.String(length=16), nullable=True),
    sa.Column('serial', sa.String(length=16), nullable=True),
    sa.Column('form_page', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('overlay_sha256', sa.String(length=64), nullable=True),
    sa.Column('contribution_id', sa.Integer(), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['paper_batch.id'], name=op.f('fk_paper_page_batch_id_paper_batch')),
    sa.ForeignKeyConstraint(['contribution_id'], ['contribution.id'], name=op.f('fk_paper_page_contribution_id_contribution')),
    sa.ForeignKeyConstraint(['file_id'], ['paper_file.id'], name=op.f('fk_paper_page_file_id_paper_file')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_page')),
    sa.UniqueConstraint('file_id', 'page_index', name=op.f('uq_paper_page_file_id_page_index'))
    )
    with op.batch_alter_table('paper_page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_page_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_page_status'), ['status'], unique=False)

    op.create_table('paper_sheet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_code', sa.String(length=16), nullable=False),
    sa.Column('serial', sa.String(length=16), nullable=False),
    sa.Column('form_page', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['page_id'], ['paper_page.id'], name=op.f('fk_paper_sheet_page_id_paper_page')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_sheet')),
    sa.UniqueConstraint('consultation_code', 'serial', 'form_page', name=op.f('uq_paper_sheet_consultation_code_serial_form_page'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('paper_sheet')
    with op.batch_alter_table('paper_page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_page_status'))
        batch_op.drop_index(batch_op.f('ix_paper_page_batch_id'))

    op.drop_table('paper_page')
    op.drop_table('paper_copy')
    with op.batch_alter_table('paper_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_file_batch_id'))

    op.drop_table('paper_file')
    op.drop_table('paper_batch')
