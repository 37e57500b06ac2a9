"""Settings for several server processes on one PostgreSQL database (see README, «Despliegue»).

* A small connection pool per engine, sized from the environment (``BRUJULA_BD_POOL``,
  ``BRUJULA_BD_POOL_EXTRA``); unset, SQLAlchemy's defaults (5 + 10).
* ``BRUJULA_BD_PGBOUNCER=1`` for a pooler in transaction mode: psycopg's server-side prepared
  statements are turned off, since the next transaction may run on another server connection.
* Migrations serialised with a transaction-level advisory lock, so replicas (or an operator's
  ``python -m storage migrar``) that start together never race: the first upgrades, the others
  wait and then find the schema at head. A transaction lock also works through PgBouncer in
  transaction mode, where a session lock would be held by a connection nobody owns.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

POOL_ENV = "BRUJULA_BD_POOL"
OVERFLOW_ENV = "BRUJULA_BD_POOL_EXTRA"
PGBOUNCER_ENV = "BRUJULA_BD_PGBOUNCER"
# pg_advisory_xact_lock key for migrations: any constant the app uses for nothing else.
MIGRATION_LOCK_KEY = 0x4272756A  # "Bruj"


def _count(env: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ValueError(
            f"La variable {name} debe ser un número entero mayor o igual a {minimum} "
            f"(se leyó «{raw}»). Corríjala en el archivo de entorno y reinicie el servicio."
        )
    return value


def postgres_engine_options(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``create_engine`` keyword arguments for PostgreSQL from the environment."""
    env = os.environ if env is None else env
    options: dict[str, Any] = {}
    pool = _count(env, POOL_ENV, 1)
    overflow = _count(env, OVERFLOW_ENV, 0)
    if pool is not None:
        options["pool_size"] = pool
    if overflow is not None:
        options["max_overflow"] = overflow
    if env.get(PGBOUNCER_ENV, "").strip().lower() in ("1", "true", "si", "sí", "yes"):
        options["connect_args"] = {"prepare_threshold": None}
    return options


def lock_migrations(connection: Connection) -> None:
    """Wait for, then hold until this transaction ends, the migration lock (PostgreSQL only)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
