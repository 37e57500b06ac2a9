"""Saved cubes of the staff panel (issue 11): a fresh process (a restart, another replica)
shows the panel's first view from the cube another process built for the same data version,
instead of reading a million rows and summing them before it can show anything.

A snapshot (``models.PanelCubeSnapshot``, table ``panel_cubos``) is what
``scoring.panel_cube.PanelCube.snapshot`` returns, kept with the data version
(``results_table.data_version``) it was built from; one per questionnaire version and depth,
replaced by the next one saved. Its figures are those of exactly that data version, the same
key ``live_results.LiveResults`` trusts to bring its rows up to date: any submission, deletion
or change of the counted firms gives another version. ``load`` gives it only for that version;
``load_older`` also for a later version that only adds rows (new submissions of firms that
count, ``extends``), whose figures it lacks: a big panel shows it, saying so, while it sums
them.

A snapshot holds some rows of single firms (those that moved between cells, their rank codes),
so it must not outlive them, nor show a firm that no longer counts: triggers (migrations 0011
and 0012) delete every snapshot as soon as a panel row is deleted or changed (a firm deleted in
cascade, demo data removed) or a firm stops counting (consent to statistics withdrawn,
verification removed, demo flag changed) or is deleted, whatever code writes. A new
submission only makes it stale (another data version); the next cube saved replaces it.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, delete, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from storage import version_counters
from storage.models import PanelCubeSnapshot

log = logging.getLogger(__name__)

Key = tuple[str, str, str]  # questionnaire id, depth, content hash
LOCK_WAIT_MS = 10_000  # how long ``save`` waits for writers of the panel rows (PostgreSQL)


def _of(key: Key):
    questionnaire_id, depth, questionnaire_hash = key
    return (
        PanelCubeSnapshot.questionnaire_id == questionnaire_id,
        PanelCubeSnapshot.depth == depth,
        PanelCubeSnapshot.questionnaire_hash == questionnaire_hash,
    )


def saved_version(session: Session, key: Key) -> tuple[int, ...] | None:
    """The data version of the snapshot saved for ``key`` (None: none saved)."""
    found = session.scalar(select(PanelCubeSnapshot.data_version).where(*_of(key)))
    return None if found is None else tuple(int(v) for v in found)


def load(session: Session, key: Key, version: tuple[int, ...]) -> tuple[dict, bytes] | None:
    """(meta, arrays) of the snapshot of ``key`` if it was built from data ``version``."""
    found = session.execute(
        select(
            PanelCubeSnapshot.data_version, PanelCubeSnapshot.meta, PanelCubeSnapshot.arrays
        ).where(*_of(key))
    ).first()
    if found is None or tuple(int(v) for v in found[0]) != tuple(version):
        return None
    return found[1], found[2]


def extends(saved: tuple[int, ...], version: tuple[int, ...]) -> bool:
    """Whether data ``version`` can differ from the ``saved`` one of a stored snapshot only by
    panel rows added since (submissions): more rows, a larger largest id and the same counter
    of counted firms (it goes up whenever a firm starts or stops counting or is deleted, also
    while a cube is being built). A panel row changed or deleted after the snapshot was saved
    deleted it (triggers); ``save`` stores none whose version is no longer current."""
    return (
        len(saved) == len(version)
        and saved[0] < version[0]
        and saved[1] < version[1]
        and saved[3:] == version[3:]
    )


def load_older(
    session: Session, key: Key, version: tuple[int, ...]
) -> tuple[tuple[int, ...], dict, bytes] | None:
    """(its version, meta, arrays) of the snapshot of ``key`` if it was built from an earlier
    data version that ``version`` only adds rows to (``extends``). Its figures miss them."""
    found = session.execute(
        select(
            PanelCubeSnapshot.data_version, PanelCubeSnapshot.meta, PanelCubeSnapshot.arrays
        ).where(*_of(key))
    ).first()
    if found is None:
        return None
    saved = tuple(int(v) for v in found[0])
    if not extends(saved, tuple(version)):
        return None
    return saved, found[1], found[2]


def save(session: Session, key: Key, version: tuple[int, ...], meta: dict, arrays: bytes) -> bool:
    """Replace the snapshot of ``key`` with this one (built from data ``version``). False
    when another process saved one at the same moment (theirs stays: either will do), or when
    ``version`` is no longer the data version: a panel row changed or deleted while the cube
    was built, whose trigger ran before this snapshot existed, would otherwise stay in it.
    The check runs while no panel row can change until the commit (PostgreSQL: a SHARE lock
    on the panel rows; SQLite: the write lock the delete below takes)."""
    from storage.results_table import data_version  # local: storage without scoring

    questionnaire_id, depth, questionnaire_hash = key
    try:
        with session.begin_nested():
            if session.get_bind().dialect.name == "postgresql":
                # Submissions wait while it is held (until the commit, right after): a long
                # writer (a bulk load) makes this give up instead.
                session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_MS}ms'"))
                session.execute(text("LOCK TABLE panel_resultados IN SHARE MODE"))
            session.execute(delete(PanelCubeSnapshot).where(*_of(key)))
            if data_version(session, *key) != tuple(version):
                raise _Outdated()
            session.add(
                PanelCubeSnapshot(
                    questionnaire_id=questionnaire_id,
                    depth=depth,
                    questionnaire_hash=questionnaire_hash,
                    data_version=[int(v) for v in version],
                    meta=meta,
                    arrays=arrays,
                )
            )
    except IntegrityError:
        log.info("another process saved the panel cube of %s at the same time", key)
        return False
    except _Outdated:
        log.info("panel cube of %s not saved: the data changed while it was built", key)
        return False
    except OperationalError:  # the panel rows stayed locked by a writer: saved another time
        log.warning("panel cube of %s not saved: the panel rows are being written", key)
        return False
    return True


class _Outdated(Exception):
    """The data version moved on while the cube was built (``save`` stores nothing)."""


def build_and_save(session: Session, key: Key, label: str) -> int | None:
    """Read the counted firms' rows of ``key`` (as the staff panel does), build their cube
    with every period the panel prepares and save it; the number of assessments in it (None:
    not saved, the data changed meanwhile or another process saved one). For
    ``python -m storage compactar-panel``: the next fresh process shows the first view from
    it."""
    from scoring.panel_cube import PanelCube  # local: storage is importable without scoring
    from storage.live_results import LiveResults, as_frame

    snapshot = LiveResults(*key, demo=True).refresh(session)
    cube = PanelCube(as_frame(snapshot.rows, label, key[2]))
    cube.prepare(PanelCube.FIRST_VIEW)
    cube.prepare(PanelCube.LATER)
    if not save(session, key, snapshot.version, *cube.snapshot()):
        return None
    return cube.assessments


# A firm that stops counting (its consent to statistics withdrawn, its verification removed,
# its demo flag changed) or is deleted: its rows leave the figures although no panel row
# changes. A firm that starts counting (verified, consent given) only adds rows.
_FIRM_LEAVES = (
    "(OLD.consent_statistics AND NOT NEW.consent_statistics)"
    " OR (OLD.verified_at IS NOT NULL AND NEW.verified_at IS NULL)"
    " OR (OLD.is_demo {differs} NEW.is_demo)"
)
_INVALIDATE = "DELETE FROM panel_cubos;"
# (trigger, table, event, row condition or None)
SQLITE_TRIGGERS = (
    ("panel_cubos_al_cambiar", "panel_resultados", "UPDATE", None),
    ("panel_cubos_al_borrar", "panel_resultados", "DELETE", None),
    ("panel_cubos_empresa_sale", "empresas", "UPDATE", _FIRM_LEAVES.format(differs="IS NOT")),
    ("panel_cubos_empresa_borrada", "empresas", "DELETE", None),
)
POSTGRES_TRIGGERS = (
    ("panel_cubos_al_cambiar", "panel_resultados", "UPDATE", None),
    ("panel_cubos_al_borrar", "panel_resultados", "DELETE", None),
    ("panel_cubos_al_vaciar", "panel_resultados", "TRUNCATE", None),
    (
        "panel_cubos_empresa_sale",
        "empresas",
        "UPDATE",
        _FIRM_LEAVES.format(differs="IS DISTINCT FROM"),
    ),
    ("panel_cubos_empresa_borrada", "empresas", "DELETE", None),
    ("panel_cubos_empresas_vaciadas", "empresas", "TRUNCATE", None),
)
POSTGRES_FUNCTION = "panel_cubos_invalidar"


def trigger_ddl(dialect: str) -> list[str]:
    """Statements that create the triggers deleting every saved cube when a panel row is
    changed or deleted, or a firm stops counting or is deleted (drop them first with
    ``drop_ddl`` to replace them)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {name} AFTER {event} ON {table}"
            + (f" WHEN {condition}" if condition else "")
            + f" BEGIN {_INVALIDATE} END"
            for name, table, event, condition in SQLITE_TRIGGERS
        ]
    if dialect != "postgresql":
        raise NotImplementedError(f"no saved cube triggers for {dialect}")
    return [
        version_counters.trigger_function(POSTGRES_FUNCTION, _INVALIDATE),
        *(
            f"CREATE TRIGGER {name} AFTER {event} ON {table}"
            + (f" FOR EACH ROW WHEN ({condition})" if condition else " FOR EACH STATEMENT")
            + f" EXECUTE FUNCTION {POSTGRES_FUNCTION}()"
            for name, table, event, condition in POSTGRES_TRIGGERS
        ),
    ]


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name, *_ in SQLITE_TRIGGERS]
    return [
        *(f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table, *_ in POSTGRES_TRIGGERS),
        f"DROP FUNCTION IF EXISTS {POSTGRES_FUNCTION}()",
    ]


def tables_present(connection: Connection) -> bool:
    inspector = inspect(connection)
    return all(
        inspector.has_table(name) for name in ("empresas", "panel_resultados", "panel_cubos")
    )


def install(connection: Connection) -> None:
    """Create (or replace) the triggers; also used by ``metadata.create_all``."""
    for statement in (*drop_ddl(connection.dialect.name), *trigger_ddl(connection.dialect.name)):
        connection.exec_driver_sql(statement)


def uninstall(connection: Connection) -> None:
    for statement in drop_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
