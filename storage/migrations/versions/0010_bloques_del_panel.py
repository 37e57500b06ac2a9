"""bloques del panel (issue 11, punto 5): copia compacta, por columnas, de las filas del panel,
que un proceso nuevo lee en pocos blobs grandes; disparadores (triggers) que borran un bloque en
cuanto se agrega, cambia o borra una fila de su rango, o cambia un formato de su versión

Revision ID: 0010
Revises: 0009
Create Date: 2027-02-20 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage import panel_blocks

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The trigger DDL lives in storage.panel_blocks (also used by metadata.create_all). If it ever
# changes, a new revision calls panel_blocks.install again (it replaces the triggers). No batch
# operations on «panel_resultados» or «panel_formatos»: a SQLite batch copy drops their triggers.


def upgrade() -> None:
    op.create_table(
        'panel_bloques',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.String(length=60), nullable=False),
        sa.Column('depth', sa.String(length=10), nullable=False),
        sa.Column('questionnaire_hash', sa.String(length=128), nullable=False),
        sa.Column('first_id', sa.Integer(), nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('columns', sa.JSON(), nullable=False),
        sa.Column('dtypes', sa.JSON(), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('compression', sa.String(length=10), nullable=False),
        *(sa.Column(name, sa.LargeBinary(), nullable=False) for name in panel_blocks.BLOBS),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_bloques')),
        sa.UniqueConstraint(
            'questionnaire_id', 'depth', 'questionnaire_hash', 'first_id',
            name=op.f('uq_panel_bloques_questionnaire_id'),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        'ix_panel_bloques_rango',
        'panel_bloques',
        ['questionnaire_id', 'depth', 'questionnaire_hash', 'last_id'],
        unique=False,
    )
    panel_blocks.install(op.get_bind())


def downgrade() -> None:
    panel_blocks.uninstall(op.get_bind())
    op.drop_index('ix_panel_bloques_rango', table_name='panel_bloques')
    op.drop_table('panel_bloques')
