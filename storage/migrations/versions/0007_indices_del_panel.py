"""índices para muchas empresas (issue 11): la versión de los datos y la lectura por tramos de
panel_resultados recorren un índice; la lista de empresas que comparten se pagina por razón social

Revision ID: 0007
Revises: 0005
Create Date: 2027-01-10 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain CREATE INDEX, no batch: on SQLite a batch copy of «empresas» would cascade-delete
# (see 0005).


def upgrade() -> None:
    op.create_index(
        'ix_panel_resultados_version',
        'panel_resultados',
        ['questionnaire_id', 'depth', 'questionnaire_hash', 'assessment_id'],
        unique=False,
    )
    op.create_index('ix_empresas_razon_social', 'empresas', ['razon_social', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_empresas_razon_social', table_name='empresas')
    op.drop_index('ix_panel_resultados_version', table_name='panel_resultados')
