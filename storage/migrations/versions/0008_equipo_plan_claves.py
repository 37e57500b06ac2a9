"""varias personas por empresa, seguimiento del plan, restablecer la contraseña por correo,
quién respondió y respuestas traídas de la evaluación anterior (issue 10)

Revision ID: 0008
Revises: 0007
Create Date: 2027-02-01 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD COLUMN, no batch, and no foreign keys on the new columns of existing tables: on
# SQLite a batch copy of «cuentas» would cascade-delete sessions and audit links (see 0005).


def upgrade() -> None:
    op.add_column('cuentas', sa.Column('role', sa.String(length=12), nullable=True))
    op.add_column('cuentas', sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE cuentas SET role = 'titular' WHERE kind = 'empresa'")
    op.add_column('respuestas', sa.Column('answered_by', sa.Integer(), nullable=True))
    op.add_column(
        'respuestas',
        sa.Column('carried_over', sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        'invitaciones',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('invited_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('accepted_by', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['firm_id'], ['empresas.id'], name=op.f('fk_invitaciones_firm_id_empresas'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['invited_by'], ['cuentas.id'], name=op.f('fk_invitaciones_invited_by_cuentas'),
            ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['accepted_by'], ['cuentas.id'], name=op.f('fk_invitaciones_accepted_by_cuentas'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitaciones')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitaciones_token_hash')),
    )
    op.create_index(op.f('ix_invitaciones_firm_id'), 'invitaciones', ['firm_id'], unique=False)
    op.create_table(
        'plan_seguimiento',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.String(length=60), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=True),
        sa.Column('action_text', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=120), nullable=True),
        sa.Column('target_date', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pendiente', 'en_curso', 'hecho')", name=op.f('ck_plan_seguimiento_status')
        ),
        sa.ForeignKeyConstraint(
            ['firm_id'], ['empresas.id'], name=op.f('fk_plan_seguimiento_firm_id_empresas'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['assessment_id'], ['evaluaciones.id'],
            name=op.f('fk_plan_seguimiento_assessment_id_evaluaciones'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['updated_by'], ['cuentas.id'], name=op.f('fk_plan_seguimiento_updated_by_cuentas'),
            ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_seguimiento')),
        sa.UniqueConstraint(
            'firm_id', 'question_id', name=op.f('uq_plan_seguimiento_firm_id_question_id')
        ),
    )
    op.create_index(
        op.f('ix_plan_seguimiento_firm_id'), 'plan_seguimiento', ['firm_id'], unique=False
    )
    op.create_table(
        'restablecimientos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['account_id'], ['cuentas.id'], name=op.f('fk_restablecimientos_account_id_cuentas'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_restablecimientos')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_restablecimientos_token_hash')),
    )
    op.create_index(
        op.f('ix_restablecimientos_account_id'), 'restablecimientos', ['account_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_restablecimientos_account_id'), table_name='restablecimientos')
    op.drop_table('restablecimientos')
    op.drop_index(op.f('ix_plan_seguimiento_firm_id'), table_name='plan_seguimiento')
    op.drop_table('plan_seguimiento')
    op.drop_index(op.f('ix_invitaciones_firm_id'), table_name='invitaciones')
    op.drop_table('invitaciones')
    op.drop_column('respuestas', 'carried_over')
    op.drop_column('respuestas', 'answered_by')
    op.drop_column('cuentas', 'disabled_at')
    op.drop_column('cuentas', 'role')
