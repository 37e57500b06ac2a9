"""cuestionarios archivados (el YAML de cada versión con la que se inició una evaluación) e
índice de la auditoría por acción

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:12:41.204518
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cuestionarios',
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('questionnaire_id', sa.String(length=60), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('source_yaml', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('content_hash', name=op.f('pk_cuestionarios'))
    )
    with op.batch_alter_table('auditoria', schema=None) as batch_op:
        batch_op.create_index('ix_auditoria_action_id', ['action', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auditoria', schema=None) as batch_op:
        batch_op.drop_index('ix_auditoria_action_id')
    op.drop_table('cuestionarios')
