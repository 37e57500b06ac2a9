"""cubo del panel guardado (issue 11, punto 5): los estadísticos por celda del Panel SNI de la
última versión de los datos, para que un proceso nuevo muestre la primera vista sin rearmarlos;
disparadores que lo borran en cuanto se borra o cambia una fila del panel

Revision ID: 0011
Revises: 0010
Create Date: 2027-03-01 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage import panel_snapshots

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'panel_cubos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.String(length=60), nullable=False),
        sa.Column('depth', sa.String(length=10), nullable=False),
        sa.Column('questionnaire_hash', sa.String(length=128), nullable=False),
        sa.Column('data_version', sa.JSON(), nullable=False),
        sa.Column('meta', sa.JSON(), nullable=False),
        sa.Column('arrays', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_cubos')),
        sa.UniqueConstraint(
            'questionnaire_id', 'depth', 'questionnaire_hash', name='uq_panel_cubos_cuestionario'
        ),
    )
    if op.get_bind().dialect.name == 'postgresql':  # numpy bytes read whole: no pglz
        op.execute('ALTER TABLE panel_cubos ALTER COLUMN arrays SET STORAGE EXTERNAL')
    panel_snapshots.install(op.get_bind())  # a cube never outlives a row it holds


def downgrade() -> None:
    panel_snapshots.uninstall(op.get_bind())
    op.drop_table('panel_cubos')
