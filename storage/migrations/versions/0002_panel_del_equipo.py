"""panel del equipo: filas estrechas y vectores float32 para los agregados del personal SNI

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 12:49:09.535481
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('panel_formatos',
    sa.Column('questionnaire_hash', sa.String(length=128), nullable=False),
    sa.Column('depth', sa.String(length=10), nullable=False),
    sa.Column('vector_format', sa.Integer(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('questionnaire_hash', 'depth', 'vector_format', name=op.f('pk_panel_formatos'))
    )
    op.create_table('panel_resultados',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.String(length=60), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=40), nullable=False),
    sa.Column('questionnaire_hash', sa.String(length=128), nullable=False),
    sa.Column('depth', sa.String(length=10), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('ciiu_division', sa.Integer(), nullable=False),
    sa.Column('size_class', sa.String(length=10), nullable=False),
    sa.Column('region', sa.String(length=40), nullable=False),
    sa.Column('vector_format', sa.Integer(), nullable=False),
    sa.Column('vector', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['evaluaciones.id'], name=op.f('fk_panel_resultados_assessment_id_evaluaciones'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['firm_id'], ['empresas.id'], name=op.f('fk_panel_resultados_firm_id_empresas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assessment_id', name=op.f('pk_panel_resultados'))
    )
    with op.batch_alter_table('panel_resultados', schema=None) as batch_op:
        batch_op.create_index('ix_panel_resultados_cuestionario', ['questionnaire_id', 'depth'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_resultados_firm_id'), ['firm_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('panel_resultados', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_resultados_firm_id'))
        batch_op.drop_index('ix_panel_resultados_cuestionario')

    op.drop_table('panel_resultados')
    op.drop_table('panel_formatos')
