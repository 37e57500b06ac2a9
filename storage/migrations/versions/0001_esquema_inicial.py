"""esquema inicial

Revision ID: 0001
Revises:
Create Date: 2026-11-27 12:37:18.996394
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('empresas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ruc', sa.String(length=11), nullable=False),
    sa.Column('razon_social', sa.String(length=200), nullable=False),
    sa.Column('ciiu_division', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=40), nullable=False),
    sa.Column('annual_sales', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('sales_year', sa.Integer(), nullable=False),
    sa.Column('size_class', sa.String(length=10), nullable=False),
    sa.Column('workers', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('consent_share_sni', sa.Boolean(), nullable=False),
    sa.Column('consent_statistics', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_empresas')),
    sa.UniqueConstraint('ruc', name=op.f('uq_empresas_ruc'))
    )
    op.create_table('cuentas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('login', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'empresa' OR firm_id IS NOT NULL", name=op.f('ck_cuentas_empresa_firm')),
    sa.CheckConstraint("kind IN ('empresa', 'personal')", name=op.f('ck_cuentas_kind')),
    sa.ForeignKeyConstraint(['firm_id'], ['empresas.id'], name=op.f('fk_cuentas_firm_id_empresas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cuentas')),
    sa.UniqueConstraint('login', name=op.f('uq_cuentas_login'))
    )
    with op.batch_alter_table('cuentas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cuentas_firm_id'), ['firm_id'], unique=False)

    op.create_table('evaluaciones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.String(length=60), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=40), nullable=False),
    sa.Column('questionnaire_hash', sa.String(length=128), nullable=False),
    sa.Column('depth', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('current_section', sa.String(length=60), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.CheckConstraint("depth IN ('expres', 'completo')", name=op.f('ck_evaluaciones_depth')),
    sa.CheckConstraint("status IN ('borrador', 'enviada')", name=op.f('ck_evaluaciones_status')),
    sa.ForeignKeyConstraint(['firm_id'], ['empresas.id'], name=op.f('fk_evaluaciones_firm_id_empresas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluaciones'))
    )
    with op.batch_alter_table('evaluaciones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluaciones_firm_id'), ['firm_id'], unique=False)

    op.create_table('auditoria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['cuentas.id'], name=op.f('fk_auditoria_account_id_cuentas'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auditoria'))
    )
    with op.batch_alter_table('auditoria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditoria_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditoria_created_at'), ['created_at'], unique=False)

    op.create_table('respuestas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=60), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('medido', 'estimado', 'no_se')", name=op.f('ck_respuestas_source')),
    sa.ForeignKeyConstraint(['assessment_id'], ['evaluaciones.id'], name=op.f('fk_respuestas_assessment_id_evaluaciones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_respuestas')),
    sa.UniqueConstraint('assessment_id', 'question_id', name=op.f('uq_respuestas_assessment_id_question_id'))
    )
    op.create_table('resultados',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('overall', sa.Float(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('weakest_dimension', sa.String(length=20), nullable=True),
    sa.Column('performance', sa.Float(), nullable=True),
    sa.Column('coverage', sa.Float(), nullable=False),
    sa.Column('dont_know_count', sa.Integer(), nullable=False),
    sa.Column('economica', sa.Float(), nullable=True),
    sa.Column('social', sa.Float(), nullable=True),
    sa.Column('ambiental', sa.Float(), nullable=True),
    sa.Column('r1', sa.Float(), nullable=True),
    sa.Column('r2', sa.Float(), nullable=True),
    sa.Column('r3', sa.Float(), nullable=True),
    sa.Column('scores_json', sa.JSON(), nullable=False),
    sa.Column('detail_json', sa.JSON(), nullable=False),
    sa.Column('ciiu_division', sa.Integer(), nullable=False),
    sa.Column('size_class', sa.String(length=10), nullable=False),
    sa.Column('region', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['evaluaciones.id'], name=op.f('fk_resultados_assessment_id_evaluaciones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assessment_id', name=op.f('pk_resultados'))
    )
    with op.batch_alter_table('resultados', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resultados_ciiu_division'), ['ciiu_division'], unique=False)
        batch_op.create_index(batch_op.f('ix_resultados_region'), ['region'], unique=False)
        batch_op.create_index(batch_op.f('ix_resultados_size_class'), ['size_class'], unique=False)

    op.create_table('sesiones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['cuentas.id'], name=op.f('fk_sesiones_account_id_cuentas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sesiones')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sesiones_token_hash'))
    )
    with op.batch_alter_table('sesiones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sesiones_account_id'), ['account_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('sesiones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sesiones_account_id'))

    op.drop_table('sesiones')
    with op.batch_alter_table('resultados', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resultados_size_class'))
        batch_op.drop_index(batch_op.f('ix_resultados_region'))
        batch_op.drop_index(batch_op.f('ix_resultados_ciiu_division'))

    op.drop_table('resultados')
    op.drop_table('respuestas')
    with op.batch_alter_table('auditoria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditoria_created_at'))
        batch_op.drop_index(batch_op.f('ix_auditoria_account_id'))

    op.drop_table('auditoria')
    with op.batch_alter_table('evaluaciones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluaciones_firm_id'))

    op.drop_table('evaluaciones')
    with op.batch_alter_table('cuentas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cuentas_firm_id'))

    op.drop_table('cuentas')
    op.drop_table('empresas')

