"""cubo del panel guardado: también lo borran los disparadores de una empresa que deja de contar
(retira su consentimiento a las estadísticas, pierde la verificación, cambia su marca de
demostración) o que se borra, para que un proceso nuevo pueda mostrar un cubo de una versión
anterior de los datos que solo sumó filas (issue 11, punto 5)

Revision ID: 0012
Revises: 0011
Create Date: 2027-03-02 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from storage import panel_snapshots

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRM_TRIGGERS = {
    'sqlite': [name for name, table, *_ in panel_snapshots.SQLITE_TRIGGERS if table == 'empresas'],
    'postgresql': [
        name for name, table, *_ in panel_snapshots.POSTGRES_TRIGGERS if table == 'empresas'
    ],
}


def upgrade() -> None:
    panel_snapshots.install(op.get_bind())


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in FIRM_TRIGGERS[dialect]:
        op.execute(f'DROP TRIGGER IF EXISTS {name}' + (' ON empresas' if dialect != 'sqlite' else ''))
