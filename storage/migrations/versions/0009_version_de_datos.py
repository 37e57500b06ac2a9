"""versión de los datos mantenida por la base (issue 11, punto 5): contadores de las filas del
panel por cuestionario, profundidad y hash, y de los cambios del conjunto de empresas que
cuentan, al día con disparadores (triggers) en SQLite y PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2027-02-15 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage import version_counters

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The trigger DDL lives in storage.version_counters (also used by metadata.create_all). If it
# ever changes, a new revision calls version_counters.install again (it replaces the triggers).
# No batch operations here: on SQLite a batch copy of «empresas» or «panel_resultados» would
# cascade-delete (see 0005) and drop these triggers.


def upgrade() -> None:
    op.create_table(
        'panel_versiones',
        sa.Column('questionnaire_id', sa.String(length=60), nullable=False),
        sa.Column('depth', sa.String(length=10), nullable=False),
        sa.Column('questionnaire_hash', sa.String(length=128), nullable=False),
        sa.Column('row_count', sa.BigInteger(), nullable=False),
        sa.Column('max_id', sa.Integer(), nullable=False),
        sa.Column('id_sum', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            'questionnaire_id', 'depth', 'questionnaire_hash', name=op.f('pk_panel_versiones')
        ),
    )
    op.create_table(
        'version_empresas',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_version_empresas_single_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_version_empresas')),
    )
    # Triggers first, then the counts, in this transaction: on PostgreSQL creating a trigger
    # locks its table against writers until the commit, so no write falls in between.
    version_counters.install(op.get_bind())


def downgrade() -> None:
    version_counters.uninstall(op.get_bind())
    op.drop_table('version_empresas')
    op.drop_table('panel_versiones')
