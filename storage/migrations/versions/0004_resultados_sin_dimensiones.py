"""resultados sin columnas de dimensiones ni rutas: sus puntajes quedan en scores_json con los
ids que declara cada cuestionario (el almacenamiento no conoce nombres de dimensiones)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 11:40:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Column -> (key of scores_json, id in it). Every result stored so far already carries these
# scores in scores_json (storage.assessments.result_summary, storage.bulk), so nothing is lost.
OLD_COLUMNS = {
    'economica': ('dimensiones', 'economica'),
    'social': ('dimensiones', 'social'),
    'ambiental': ('dimensiones', 'ambiental'),
    'r1': ('rutas', 'R1'),
    'r2': ('rutas', 'R2'),
    'r3': ('rutas', 'R3'),
}


def upgrade() -> None:
    with op.batch_alter_table('resultados', schema=None) as batch_op:
        for name in OLD_COLUMNS:
            batch_op.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table('resultados', schema=None) as batch_op:
        for name in OLD_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
    # Refill the old columns from scores_json (the questionnaires of that time used those ids).
    table = sa.table(
        'resultados',
        sa.column('assessment_id', sa.Integer()),
        sa.column('scores_json', sa.JSON()),
        *(sa.column(name, sa.Float()) for name in OLD_COLUMNS),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.assessment_id, table.c.scores_json)).all()
    for assessment_id, scores in rows:
        if isinstance(scores, str):
            scores = json.loads(scores)
        scores = scores or {}
        values = {
            name: (scores.get(group) or {}).get(key) for name, (group, key) in OLD_COLUMNS.items()
        }
        if any(v is not None for v in values.values()):
            connection.execute(
                table.update().where(table.c.assessment_id == assessment_id).values(**values)
            )
