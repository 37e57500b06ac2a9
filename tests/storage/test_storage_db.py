"""Engine settings and migrations: the schema the migrations build equals the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from storage import __main__ as cli
from storage.db import database_url, make_engine, migrate, normalize_url, session_scope
from storage.models import AuditLog, Base


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "render_as_batch": engine.dialect.name == "sqlite"},
        )
        assert compare_metadata(context, Base.metadata) == []


def test_tables_and_constraint_names(engine: Engine) -> None:
    inspector = inspect(engine)
    assert {
        "empresas",
        "cuentas",
        "sesiones",
        "evaluaciones",
        "respuestas",
        "resultados",
        "auditoria",
        "cuestionarios",
        "alembic_version",
    } <= set(inspector.get_table_names())
    uniques = {u["name"] for u in inspector.get_unique_constraints("respuestas")}
    assert "uq_respuestas_assessment_id_question_id" in uniques


def test_migrate_is_idempotent(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    # The single head of the migration chain (0007 adds the issue 11 indexes).
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None and head >= "0007"
    assert migrate(engine) == head


def test_sqlite_pragmas(tmp_path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with eng.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    eng.dispose()


def test_database_url_defaults_and_env(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("BRUJULA_DATOS", str(tmp_path / "datos"))
    assert database_url() == f"sqlite:///{tmp_path / 'datos' / 'brujula.sqlite3'}"
    assert (tmp_path / "datos").is_dir()
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_session_scope_commits_and_rolls_back(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add(AuditLog(account_id=None, action="a", target="t"))
    try:
        with session_scope(engine) as s:
            s.add(AuditLog(account_id=None, action="b", target="t"))
            s.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with session_scope(engine) as s:
        assert [row.action for row in s.query(AuditLog)] == ["a"]


def test_cli_migrar(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert cli.main(["migrar", "--url", url]) == 0
    assert "Base de datos al día" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.parametrize("idle_limit", [0.0, 3600.0], ids=["idle", "in_use"])
def test_a_dead_pooled_connection(idle_limit: float, monkeypatch) -> None:
    """Issue 11: pooled connections are tested only after being idle (``ping_when_idle``, not a
    round trip on every checkout). An idle one whose server process died is replaced before
    use; one in steady use fails once, and the pool reconnects for the next."""
    from sqlalchemy.exc import DBAPIError

    from tests.storage.conftest import _postgres_base_url

    monkeypatch.setattr("storage.db.PING_AFTER_IDLE_SECONDS", idle_limit)
    base = _postgres_base_url()
    pooled, admin = make_engine(base, pool_size=1, max_overflow=0), make_engine(base)
    try:
        with pooled.connect() as connection:
            first = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with admin.begin() as connection:
            connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(first)})")
        if idle_limit == 0.0:
            with pooled.connect() as connection:
                assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != first
            # The test leaves no transaction open: the per-run reads of ``ui.db.connection``
            # switch the tested connection to autocommit.
            with pooled.connect() as connection:
                reads = connection.execution_options(isolation_level="AUTOCOMMIT")
                assert reads.exec_driver_sql("SELECT 1").scalar() == 1
        else:
            with pytest.raises(DBAPIError), pooled.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
            with pooled.connect() as connection:
                assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() != first
    finally:
        pooled.dispose()
        admin.dispose()
