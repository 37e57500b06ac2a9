"""verificación de empresas por el equipo SNI: solo las empresas verificadas cuentan en las
cifras de pares y en los agregados del panel (issue 12)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE ADD/DROP COLUMN, no batch: on SQLite a batch copy would drop and recreate
# «empresas», and with foreign_keys=ON dropping it deletes every assessment in cascade.
# ``verified_by`` is the staff account id without a foreign key for the same reason (a
# foreign key forces that copy on SQLite); the audit log keeps who verified and when.


def upgrade() -> None:
    op.add_column('empresas', sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('empresas', sa.Column('verified_by', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('empresas', 'verified_by')
    op.drop_column('empresas', 'verified_at')
