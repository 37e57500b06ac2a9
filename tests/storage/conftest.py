"""Fixtures: a freshly migrated database per test, on SQLite and, if configured, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

from sqlalchemy import Engine, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from storage.db import make_engine, migrate, normalize_url  # noqa: E402

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _postgres_base_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalize_url(url)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            "CI=true pero TEST_DATABASE_URL no está definido: no se puede probar PostgreSQL."
        )
    pytest.skip("TEST_DATABASE_URL no está definido: se omiten las pruebas en PostgreSQL.")


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database: a SQLite file in tmp_path, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'prueba.sqlite3'}"
        migrate(url)
        eng = make_engine(url)
        yield eng
        eng.dispose()
        return
    base = _postgres_base_url()
    schema = f"prueba_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    eng = make_engine(url.render_as_string(hide_password=False))
    try:
        migrate(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s
