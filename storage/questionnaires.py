"""Archive of questionnaire versions: the YAML text of each one an assessment used, by hash.

The file in ``cuestionarios/`` changes over time, but an assessment keeps the content hash of
the version it was started with. Keeping that version's YAML here lets a draft continue, and a
submitted assessment's report be rebuilt, with its own questions, levels and weights.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scoring.loader import LoadedQuestionnaire
from storage.models import ArchivedQuestionnaire, utcnow

_TABLE = ArchivedQuestionnaire.__table__
_SOURCE = select(ArchivedQuestionnaire.source_yaml).where(
    ArchivedQuestionnaire.content_hash == bindparam("content_hash")
)


def _dialect(db: Session | Connection) -> str:
    return db.dialect.name if isinstance(db, Connection) else db.get_bind().dialect.name


def archive(db: Session | Connection, loaded: LoadedQuestionnaire) -> bool:
    """Keep ``loaded``'s YAML under its content hash; True if it was not archived yet.

    Idempotent, also when two sessions archive the same new version at once (the second insert
    is skipped by the database, not failed). Runs in the caller's transaction.
    """
    if not loaded.source.strip():
        raise ValueError("the questionnaire has no YAML text to archive")
    params = {"content_hash": loaded.content_hash}
    if db.execute(_SOURCE, params).first() is not None:
        return False
    values = {
        "content_hash": loaded.content_hash,
        "questionnaire_id": loaded.id,
        "version": loaded.version,
        "source_yaml": loaded.source,
        "created_at": utcnow(),
    }
    dialect = _dialect(db)
    if dialect not in ("postgresql", "sqlite"):
        db.execute(insert(_TABLE).values(values))
        return True
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING tells whether the row went in (rowcount is not reliable here with psycopg).
    statement = (
        upsert(_TABLE).values(values).on_conflict_do_nothing().returning(_TABLE.c.content_hash)
    )
    return db.execute(statement).first() is not None


def source_for_hash(db: Session | Connection, content_hash: str) -> str | None:
    """The archived YAML of the questionnaire version with this content hash, if any."""
    return db.execute(_SOURCE, {"content_hash": content_hash}).scalar()
