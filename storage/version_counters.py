"""Counters behind ``storage.results_table.data_version``, kept current by database triggers.

``panel_versiones`` holds, per questionnaire, depth and content hash, the count, largest id and
sum of ids of the panel rows (``panel_resultados``); ``version_empresas`` holds one number that
grows whenever the set of counted firms may have changed (a counted firm registered or deleted,
or a change of consent to statistics, verification or demo flag that makes a firm start or stop
counting, for the staff panel or for peers). Reading the data version is then a lookup of a
few rows instead of a scan of a million panel rows.

The triggers see every write path alike: ORM submissions, Core ``executemany`` bulk loads,
PostgreSQL ``COPY``, cascades from deleted firms or assessments and raw SQL. On SQLite they are
row triggers; on PostgreSQL inserts and deletes use statement triggers with transition tables
(one upsert per statement and key, so a million-row ``COPY`` adds one aggregate query), and
updates row triggers whose ``WHEN`` lets any other update pass without calling a function.

One source for the DDL: migration 0009 and ``metadata.create_all`` (``storage.models``) both
call :func:`install`. It is idempotent: a later migration that rebuilds ``empresas`` or
``panel_resultados`` (a SQLite batch copy drops the table's triggers) must call it again;
``tests/storage/test_data_version.py`` checks that the triggers exist at the head revision.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect

PANEL = "panel_versiones"
FIRMS = "version_empresas"
_KEY = ("questionnaire_id", "depth", "questionnaire_hash")

SQLITE_TRIGGERS = (
    "panel_versiones_alta",
    "panel_versiones_baja",
    "panel_versiones_cambio",
    "version_empresas_alta",
    "version_empresas_baja",
    "version_empresas_cambio",
)
# PostgreSQL: (trigger, table) and the functions they call.
POSTGRES_TRIGGERS = (
    ("panel_versiones_alta", "panel_resultados"),
    ("panel_versiones_baja", "panel_resultados"),
    ("panel_versiones_cambio", "panel_resultados"),
    ("panel_versiones_vaciado", "panel_resultados"),
    ("version_empresas_alta", "empresas"),
    ("version_empresas_baja", "empresas"),
    ("version_empresas_cambio", "empresas"),
    ("version_empresas_vaciado", "empresas"),
)
POSTGRES_FUNCTIONS = (
    "panel_versiones_sumar",
    "panel_versiones_restar",
    "panel_versiones_mover",
    "panel_versiones_vaciar",
    "version_empresas_altas",
    "version_empresas_bajas",
    "version_empresas_subir",
)


def _counts(row: str) -> str:
    """Whether ``row`` is a counted firm for the staff panel (consent to statistics, and
    verified or demo: ``results_table._counted``) ..."""
    return f"({row}.consent_statistics AND ({row}.verified_at IS NOT NULL OR {row}.is_demo))"


def _counts_for_peers(row: str) -> str:
    """... or for peers (consent, verified, not demo: ``live_results.counted_firm_ids``)."""
    return f"({row}.consent_statistics AND {row}.verified_at IS NOT NULL AND NOT {row}.is_demo)"


def _same_key(left: str, right: str) -> str:
    return " AND ".join(f"{left}.{c} = {right}.{c}" for c in _KEY)


def _key_changed(distinct: str) -> str:
    columns = (*_KEY, "assessment_id")
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


def _counting_changed(distinct: str) -> str:
    return (
        f"{_counts('OLD')} {distinct} {_counts('NEW')} "
        f"OR {_counts_for_peers('OLD')} {distinct} {_counts_for_peers('NEW')}"
    )


_COLUMNS = "questionnaire_id, depth, questionnaire_hash, row_count, max_id, id_sum"
_KEY_LIST = ", ".join(_KEY)
_BUMP = (
    f"INSERT INTO {FIRMS} (id, version) VALUES (1, 1) "
    f"ON CONFLICT (id) DO UPDATE SET version = {FIRMS}.version + 1"
)


# --- SQLite: row triggers ---------------------------------------------------------------------


def _sqlite_add(row: str) -> str:
    return (
        f"INSERT INTO {PANEL} ({_COLUMNS}) VALUES ({row}.questionnaire_id, {row}.depth, "
        f"{row}.questionnaire_hash, 1, {row}.assessment_id, {row}.assessment_id) "
        f"ON CONFLICT ({_KEY_LIST}) DO UPDATE SET row_count = row_count + 1, "
        "max_id = max(max_id, excluded.max_id), id_sum = id_sum + excluded.id_sum;"
    )


def _sqlite_remove(row: str) -> str:
    # The row is already gone: the largest remaining id is one probe of the panel's
    # (questionnaire, depth, hash, id) index, needed only when the largest id was deleted.
    return (
        f"UPDATE {PANEL} SET row_count = row_count - 1, id_sum = id_sum - {row}.assessment_id, "
        f"max_id = CASE WHEN max_id > {row}.assessment_id THEN max_id ELSE "
        "(SELECT coalesce(max(p.assessment_id), 0) FROM panel_resultados AS p "
        f"WHERE {_same_key('p', row)}) END "
        f"WHERE {_same_key(PANEL, row)};"
    )


def _sqlite_ddl() -> list[str]:
    watched = ", ".join(("assessment_id", *_KEY))
    return [
        "CREATE TRIGGER IF NOT EXISTS panel_versiones_alta AFTER INSERT ON panel_resultados "
        f"BEGIN {_sqlite_add('NEW')} END",
        "CREATE TRIGGER IF NOT EXISTS panel_versiones_baja AFTER DELETE ON panel_resultados "
        f"BEGIN {_sqlite_remove('OLD')} END",
        "CREATE TRIGGER IF NOT EXISTS panel_versiones_cambio "
        f"AFTER UPDATE OF {watched} ON panel_resultados WHEN {_key_changed('IS NOT')} "
        f"BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END",
        "CREATE TRIGGER IF NOT EXISTS version_empresas_alta AFTER INSERT ON empresas "
        f"WHEN {_counts('NEW')} BEGIN {_BUMP}; END",
        "CREATE TRIGGER IF NOT EXISTS version_empresas_baja AFTER DELETE ON empresas "
        f"WHEN {_counts('OLD')} BEGIN {_BUMP}; END",
        "CREATE TRIGGER IF NOT EXISTS version_empresas_cambio "
        "AFTER UPDATE OF consent_statistics, verified_at, is_demo ON empresas "
        f"WHEN {_counting_changed('IS NOT')} BEGIN {_BUMP}; END",
    ]


# --- PostgreSQL: statement triggers with transition tables ------------------------------------


def trigger_function(name: str, body: str) -> str:
    # search_path pinned at creation: the tables are found whatever the writer's search_path
    # (a restore with an empty one, a maintenance session in another schema).
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
        f"SET search_path FROM CURRENT AS $$ BEGIN {body} RETURN NULL; END $$"
    )


def _postgres_add(source: str) -> str:
    # Keys in a fixed order: two concurrent multi-key loads lock them in the same order.
    return (
        f"INSERT INTO {PANEL} AS v ({_COLUMNS}) "
        f"SELECT {_KEY_LIST}, count(*), max(assessment_id), sum(assessment_id) FROM {source} "
        f"GROUP BY {_KEY_LIST} ORDER BY {_KEY_LIST} "
        f"ON CONFLICT ({_KEY_LIST}) DO UPDATE SET row_count = v.row_count + excluded.row_count, "
        "max_id = greatest(v.max_id, excluded.max_id), id_sum = v.id_sum + excluded.id_sum;"
    )


def _postgres_remove(source: str) -> str:
    return (
        f"UPDATE {PANEL} AS v SET row_count = v.row_count - g.n, id_sum = v.id_sum - g.s, "
        "max_id = CASE WHEN v.max_id > g.m THEN v.max_id ELSE "
        "(SELECT coalesce(max(p.assessment_id), 0) FROM panel_resultados AS p "
        f"WHERE {_same_key('p', 'v')}) END "
        f"FROM (SELECT {_KEY_LIST}, count(*) AS n, sum(assessment_id) AS s, "
        f"max(assessment_id) AS m FROM {source} GROUP BY {_KEY_LIST}) AS g "
        f"WHERE {_same_key('v', 'g')};"
    )


def _postgres_ddl() -> list[str]:
    watched = ", ".join(("assessment_id", *_KEY))
    moved = (
        "UPDATE panel_versiones SET row_count = row_count - 1, id_sum = id_sum - OLD.assessment_id,"
        " max_id = CASE WHEN max_id > OLD.assessment_id THEN max_id ELSE "
        "(SELECT coalesce(max(p.assessment_id), 0) FROM panel_resultados AS p "
        f"WHERE {_same_key('p', 'OLD')}) END WHERE {_same_key(PANEL, 'OLD')}; "
        f"INSERT INTO {PANEL} AS v ({_COLUMNS}) VALUES (NEW.questionnaire_id, NEW.depth, "
        "NEW.questionnaire_hash, 1, NEW.assessment_id, NEW.assessment_id) "
        f"ON CONFLICT ({_KEY_LIST}) DO UPDATE SET row_count = v.row_count + 1, "
        "max_id = greatest(v.max_id, excluded.max_id), id_sum = v.id_sum + excluded.id_sum;"
    )
    statements = [
        trigger_function("panel_versiones_sumar", _postgres_add("nuevas")),
        trigger_function("panel_versiones_restar", _postgres_remove("viejas")),
        trigger_function("panel_versiones_mover", moved),
        trigger_function("panel_versiones_vaciar", f"DELETE FROM {PANEL};"),
        trigger_function(
            "version_empresas_altas",
            f"IF EXISTS (SELECT 1 FROM nuevas AS r WHERE {_counts('r')}) THEN {_BUMP}; END IF;",
        ),
        trigger_function(
            "version_empresas_bajas",
            f"IF EXISTS (SELECT 1 FROM viejas AS r WHERE {_counts('r')}) THEN {_BUMP}; END IF;",
        ),
        trigger_function("version_empresas_subir", f"{_BUMP};"),
    ]
    triggers = {
        "panel_versiones_alta": "AFTER INSERT ON panel_resultados REFERENCING NEW TABLE AS "
        "nuevas FOR EACH STATEMENT EXECUTE FUNCTION panel_versiones_sumar()",
        "panel_versiones_baja": "AFTER DELETE ON panel_resultados REFERENCING OLD TABLE AS "
        "viejas FOR EACH STATEMENT EXECUTE FUNCTION panel_versiones_restar()",
        "panel_versiones_cambio": f"AFTER UPDATE OF {watched} ON panel_resultados FOR EACH ROW "
        f"WHEN ({_key_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION panel_versiones_mover()",
        "panel_versiones_vaciado": "AFTER TRUNCATE ON panel_resultados FOR EACH STATEMENT "
        "EXECUTE FUNCTION panel_versiones_vaciar()",
        "version_empresas_alta": "AFTER INSERT ON empresas REFERENCING NEW TABLE AS nuevas "
        "FOR EACH STATEMENT EXECUTE FUNCTION version_empresas_altas()",
        "version_empresas_baja": "AFTER DELETE ON empresas REFERENCING OLD TABLE AS viejas "
        "FOR EACH STATEMENT EXECUTE FUNCTION version_empresas_bajas()",
        "version_empresas_cambio": "AFTER UPDATE OF consent_statistics, verified_at, is_demo "
        f"ON empresas FOR EACH ROW WHEN ({_counting_changed('IS DISTINCT FROM')}) "
        "EXECUTE FUNCTION version_empresas_subir()",
        "version_empresas_vaciado": "AFTER TRUNCATE ON empresas FOR EACH STATEMENT "
        "EXECUTE FUNCTION version_empresas_subir()",
    }
    assert tuple(triggers) == tuple(name for name, _ in POSTGRES_TRIGGERS)
    for (name, table), definition in zip(POSTGRES_TRIGGERS, triggers.values(), strict=True):
        # DROP + CREATE rather than CREATE OR REPLACE TRIGGER (PostgreSQL 14+ only).
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        statements.append(f"CREATE TRIGGER {name} {definition}")
    return statements


def trigger_ddl(dialect: str) -> list[str]:
    """The statements that create (or replace) the triggers on ``dialect``."""
    if dialect == "sqlite":
        return _sqlite_ddl()
    if dialect == "postgresql":
        return _postgres_ddl()
    raise NotImplementedError(f"no version triggers for {dialect}")


def drop_ddl(dialect: str) -> list[str]:
    """The statements that remove the triggers (and PostgreSQL's functions)."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    statements = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in POSTGRES_TRIGGERS]
    return statements + [f"DROP FUNCTION IF EXISTS {name}()" for name in POSTGRES_FUNCTIONS]


def recount(connection: Connection) -> None:
    """Set the panel counters from the rows, and the firm counter's row if missing.

    Run after :func:`install` in the same transaction: creating a trigger locks its table
    against writers on PostgreSQL until the transaction ends, so nothing is missed between
    the two."""
    connection.exec_driver_sql(f"DELETE FROM {PANEL}")
    connection.exec_driver_sql(
        f"INSERT INTO {PANEL} ({_COLUMNS}) "
        f"SELECT {_KEY_LIST}, count(*), max(assessment_id), sum(assessment_id) "
        f"FROM panel_resultados GROUP BY {_KEY_LIST}"
    )
    connection.exec_driver_sql(
        f"INSERT INTO {FIRMS} (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"
    )


def tables_present(connection: Connection) -> bool:
    """Whether the tables the triggers join exist (``create_all`` may build only some)."""
    inspector = inspect(connection)
    return all(inspector.has_table(name) for name in ("empresas", "panel_resultados", PANEL, FIRMS))


def install(connection: Connection) -> None:
    """Create the triggers (idempotent) and set the counters from the current data."""
    for statement in trigger_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
    recount(connection)


def uninstall(connection: Connection) -> None:
    for statement in drop_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
