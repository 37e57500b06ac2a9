"""Engine, sessions and migrations for SQLite (default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, MetaData, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session

from storage.replicas import lock_migrations, postgres_engine_options

log = logging.getLogger(__name__)
T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_FILE = "brujula.sqlite3"

# The same constraint names on SQLite and PostgreSQL, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)


def data_dir() -> Path:
    """Folder for local data (env ``BRUJULA_DATOS``, default ``datos/``); created if missing."""
    folder = Path(os.environ.get("BRUJULA_DATOS") or PROJECT_ROOT / "datos")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def normalize_url(url: str) -> str:
    """Route plain ``postgres://``/``postgresql://`` URLs through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url() -> str:
    """``DATABASE_URL`` from the environment, else a SQLite file in the data folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalize_url(url)
    return f"sqlite:///{data_dir() / DEFAULT_FILE}"


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


# How long one SQLite statement waits for another writer before "database is locked"; a write
# transaction (``write_transaction``) is then retried up to WRITE_ATTEMPTS times in all.
BUSY_TIMEOUT_MS = 5000
WRITE_ATTEMPTS = 3
BUSY_MESSAGE = (
    "La base de datos está ocupada atendiendo a muchas empresas a la vez y no pudimos guardar "
    "en este momento. Lo que escribió sigue en pantalla: espere unos segundos y vuelva a "
    "intentarlo."
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default :func:`database_url`) with per-dialect settings."""
    url = normalize_url(url or database_url())
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    for key, value in postgres_engine_options().items():  # pool sizes, PgBouncer (replicas)
        kwargs.setdefault(key, value)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        ping_when_idle(engine)
    return engine


# A pooled connection unused this long is tested before it is handed out (a restarted or
# failed-over server, a pooler that closed it). SQLAlchemy's ``pool_pre_ping`` tests every
# checkout: one more round trip for each of the two or three a page run makes (issue 11, CPU
# per answer). A connection in steady use is not tested: if the server went away since, the
# statement fails once, SQLAlchemy discards the whole pool, and the next run reconnects.
PING_AFTER_IDLE_SECONDS = 10.0


def ping_when_idle(engine: Engine) -> None:
    """Test connections idle for more than ``PING_AFTER_IDLE_SECONDS`` when checked out."""

    @event.listens_for(engine, "connect")
    def _fresh(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            # The dialect's ping, as ``pool_pre_ping`` does it: on psycopg it runs in autocommit,
            # so no transaction stays open (the per-run reads switch to autocommit next).
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool discards this connection and tries another
            raise DisconnectionError("a pooled connection was dead") from exc


def alembic_config(connection: Any = None) -> Any:
    """Alembic configuration built in code (no alembic.ini), optionally bound to a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(url: str | Engine | None = None) -> str:
    """Upgrade the database to the latest revision; returns that revision id."""
    from alembic import command
    from alembic.script import ScriptDirectory

    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.begin() as connection:
            lock_migrations(connection)  # replicas starting together upgrade one at a time
            config = alembic_config(connection)
            command.upgrade(config, "head")
        return ScriptDirectory.from_config(config).get_current_head() or ""
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class DatabaseBusy(Exception):
    """A write still found the database locked after every retry (message in Spanish)."""

    def __init__(self) -> None:
        super().__init__(BUSY_MESSAGE)


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" (another writer held the lock past the busy timeout)."""
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text or "database table is locked" in text


def write_transaction(
    engine: Engine,
    work: Callable[[Session], T],
    attempts: int = WRITE_ATTEMPTS,
    pause: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work(session)`` in one transaction; on SQLite's "database is locked" roll back and
    run it again, at most ``attempts`` times, then raise ``DatabaseBusy``.

    ``work`` must be safe to repeat (it is, when all it does is write through ``session``): do
    slow things that need no database, such as hashing a password, before calling this, so no
    connection or lock is held while they run. Any other error is raised at once.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return work(session)
        except OperationalError as exc:
            if not is_locked(exc):
                raise
            if attempt == attempts:
                log.warning("database still locked after %d attempts", attempts)
                raise DatabaseBusy() from exc
            log.info("database locked; write retried (attempt %d of %d)", attempt, attempts)
            pause(random.uniform(0.05, 0.25) * attempt)  # jitter: retries do not collide
    raise AssertionError("unreachable")
