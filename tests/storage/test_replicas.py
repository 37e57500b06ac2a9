"""Several server processes on one PostgreSQL: pool settings from the environment, the PgBouncer
switch, and migrations that replicas starting together cannot race."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import make_url, text

from storage.db import make_engine, migrate
from storage.replicas import (
    OVERFLOW_ENV,
    PGBOUNCER_ENV,
    POOL_ENV,
    postgres_engine_options,
)
from tests.storage.conftest import _postgres_base_url


def test_no_variables_keep_sqlalchemy_defaults() -> None:
    assert postgres_engine_options({}) == {}


def test_pool_sizes_and_pgbouncer_come_from_the_environment() -> None:
    options = postgres_engine_options({POOL_ENV: "3", OVERFLOW_ENV: "0", PGBOUNCER_ENV: "1"})
    assert options == {
        "pool_size": 3,
        "max_overflow": 0,
        "connect_args": {"prepare_threshold": None},
    }


@pytest.mark.parametrize(
    ("name", "value"), [(POOL_ENV, "0"), (POOL_ENV, "cinco"), (OVERFLOW_ENV, "-1")]
)
def test_a_bad_pool_size_names_the_variable_in_spanish(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"La variable {name} debe ser un número entero"):
        postgres_engine_options({name: value})


def test_sqlite_ignores_the_pool_variables(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(POOL_ENV, "2")
    engine = make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert engine.pool.size() != 2
    engine.dispose()


@pytest.fixture
def fresh_schema() -> Iterator[str]:
    """A URL whose search_path is an empty PostgreSQL schema, dropped afterwards."""
    base = _postgres_base_url()
    schema = f"replicas_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.mark.postgres
def test_pool_and_pgbouncer_settings_reach_postgresql(monkeypatch, fresh_schema: str) -> None:
    monkeypatch.setenv(POOL_ENV, "2")
    monkeypatch.setenv(OVERFLOW_ENV, "1")
    monkeypatch.setenv(PGBOUNCER_ENV, "1")
    engine = make_engine(fresh_schema)
    try:
        assert engine.pool.size() == 2
        assert engine.pool._max_overflow == 1  # no public accessor
        with engine.connect() as connection:
            assert connection.connection.driver_connection.prepare_threshold is None
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def _migrate_at_barrier(url: str, barrier, results) -> None:
    """One replica's start-up migration, in its own process, released with the others."""
    engine = make_engine(url)
    try:
        barrier.wait(timeout=60)
        results.put(("ok", migrate(engine)))
    except BaseException as exc:  # reported by the test
        results.put(("error", repr(exc)))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_replicas_migrating_together_upgrade_once(fresh_schema: str) -> None:
    """Four processes migrate an empty schema at the same instant: without the lock they create
    the same tables and all but one fail («relation already exists»)."""
    migrators = 4
    context = multiprocessing.get_context("fork")  # alembic keeps global state: processes
    barrier = context.Barrier(migrators)
    results = context.Queue()
    processes = [
        context.Process(target=_migrate_at_barrier, args=(fresh_schema, barrier, results))
        for _ in range(migrators)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    assert [kind for kind, _ in outcomes] == ["ok"] * migrators, outcomes
    assert len({revision for _, revision in outcomes}) == 1
    engine = make_engine(fresh_schema)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [row[0] for row in versions] == [outcomes[0][1]]
    finally:
        engine.dispose()
