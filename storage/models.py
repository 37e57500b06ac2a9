"""Database tables (SQLAlchemy 2 typed declarative); table names in Spanish, code in English."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage import version_counters
from storage.db import metadata


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = metadata


class Firm(Base):
    __tablename__ = "empresas"
    # Issue 11: «Empresas que comparten» is paged in name order.
    __table_args__ = (Index("ix_empresas_razon_social", "razon_social", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ruc: Mapped[str] = mapped_column(String(11), unique=True)
    razon_social: Mapped[str] = mapped_column(String(200))
    ciiu_division: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(40))
    annual_sales: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    sales_year: Mapped[int] = mapped_column(Integer)
    size_class: Mapped[str] = mapped_column(String(10))
    workers: Mapped[int] = mapped_column(Integer)
    email: Mapped[str] = mapped_column(String(254))
    consent_share_sni: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_statistics: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Issue 12: only firms verified by SNI staff count in peer figures and staff aggregates
    # (migration 0005).
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The staff account id (no foreign key: see migration 0005).
    verified_by: Mapped[int | None] = mapped_column(Integer)


class Account(Base):
    __tablename__ = "cuentas"
    __table_args__ = (
        CheckConstraint("kind IN ('empresa', 'personal')", name="kind"),
        CheckConstraint("kind <> 'empresa' OR firm_id IS NOT NULL", name="empresa_firm"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    login: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    firm_id: Mapped[int | None] = mapped_column(
        ForeignKey("empresas.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(200))
    # Issue 10 (migration 0008): a firm has one «titular» (logs in with the RUC) and any number
    # of «colaborador» accounts (log in with their e-mail); NULL for staff. A removed member is
    # disabled, not deleted, so who answered what keeps its name.
    role: Mapped[str | None] = mapped_column(String(12))
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    firm: Mapped[Firm | None] = relationship()


class AuthSession(Base):
    __tablename__ = "sesiones"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("cuentas.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class Assessment(Base):
    __tablename__ = "evaluaciones"
    __table_args__ = (
        CheckConstraint("depth IN ('expres', 'completo')", name="depth"),
        CheckConstraint("status IN ('borrador', 'enviada')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("empresas.id", ondelete="CASCADE"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    questionnaire_version: Mapped[str] = mapped_column(String(40))
    questionnaire_hash: Mapped[str] = mapped_column(String(128))
    depth: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="borrador")
    current_section: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    result: Mapped[Result | None] = relationship(back_populates="assessment")


class Answer(Base):
    __tablename__ = "respuestas"
    __table_args__ = (
        UniqueConstraint("assessment_id", "question_id"),
        CheckConstraint("source IN ('medido', 'estimado', 'no_se')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("evaluaciones.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(60))
    value: Mapped[Any] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(10))
    comment: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Issue 10 (migration 0008): the account that gave the answer (no foreign key, see 0005),
    # and whether it was carried over from the firm's previous assessment and not yet confirmed.
    answered_by: Mapped[int | None] = mapped_column(Integer)
    carried_over: Mapped[bool] = mapped_column(Boolean, default=False)


class Result(Base):
    """Scored summary of a submitted assessment.

    Only questionnaire-independent figures are columns; dimension, route and index scores live
    in ``scores_json`` under the ids the questionnaire declares, the full result in
    ``detail_json`` (``ScoreResult.to_dict``).
    """

    __tablename__ = "resultados"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("evaluaciones.id", ondelete="CASCADE"), primary_key=True
    )
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    overall: Mapped[float | None] = mapped_column(Float)
    level: Mapped[int | None] = mapped_column(Integer)
    weakest_dimension: Mapped[str | None] = mapped_column(String(20))
    performance: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)
    dont_know_count: Mapped[int] = mapped_column(Integer, default=0)
    scores_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    detail_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Copied from the firm at submission, so history keeps the profile it was scored with.
    ciiu_division: Mapped[int] = mapped_column(Integer, index=True)
    size_class: Mapped[str] = mapped_column(String(10), index=True)
    region: Mapped[str] = mapped_column(String(40), index=True)

    assessment: Mapped[Assessment] = relationship(back_populates="result")


class AuditLog(Base):
    __tablename__ = "auditoria"
    # Audit views filter by action, newest first.
    __table_args__ = (Index("ix_auditoria_action_id", "action", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("cuentas.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PanelLayout(Base):
    """Column names of the panel vectors of one questionnaire content hash, depth and format."""

    __tablename__ = "panel_formatos"

    questionnaire_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    depth: Mapped[str] = mapped_column(String(10), primary_key=True)
    vector_format: Mapped[int] = mapped_column(Integer, primary_key=True)
    columns: Mapped[list[str]] = mapped_column(JSON)


class PanelRow(Base):
    """Narrow copy of a submitted result for staff aggregates (see storage.results_table).

    Kept apart from ``resultados`` because its wide ``detail_json`` spills to overflow pages in
    SQLite, and a scan that reads any later column must walk them.
    """

    __tablename__ = "panel_resultados"
    __table_args__ = (
        Index("ix_panel_resultados_cuestionario", "questionnaire_id", "depth"),
        # Issue 11: data_version and the chunked reads (storage.live_results) walk this index.
        Index(
            "ix_panel_resultados_version",
            "questionnaire_id",
            "depth",
            "questionnaire_hash",
            "assessment_id",
        ),
    )

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("evaluaciones.id", ondelete="CASCADE"), primary_key=True
    )
    firm_id: Mapped[int] = mapped_column(ForeignKey("empresas.id", ondelete="CASCADE"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    questionnaire_version: Mapped[str] = mapped_column(String(40))
    questionnaire_hash: Mapped[str] = mapped_column(String(128))
    depth: Mapped[str] = mapped_column(String(10))
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    ciiu_division: Mapped[int] = mapped_column(Integer)
    size_class: Mapped[str] = mapped_column(String(10))
    region: Mapped[str] = mapped_column(String(40))
    vector_format: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class PanelVersion(Base):
    """Count, largest id and sum of ids of the panel rows of one questionnaire, depth and
    hash, kept by database triggers (``storage.version_counters``; migration 0009)."""

    __tablename__ = "panel_versiones"

    questionnaire_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    depth: Mapped[str] = mapped_column(String(10), primary_key=True)
    questionnaire_hash: Mapped[str] = mapped_column(String(128), primary_key=True)
    row_count: Mapped[int] = mapped_column(BigInteger)
    max_id: Mapped[int] = mapped_column(Integer)
    id_sum: Mapped[int] = mapped_column(BigInteger)


class CountedFirmsVersion(Base):
    """One row (id 1) whose ``version`` grows whenever the set of firms that count may have
    changed; kept by database triggers (``storage.version_counters``; migration 0009)."""

    __tablename__ = "version_empresas"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


@event.listens_for(metadata, "after_create")
def _install_version_triggers(_target: Any, connection: Any, **_kw: Any) -> None:
    """``metadata.create_all`` gets the same triggers as migration 0009."""
    if version_counters.tables_present(connection):
        version_counters.install(connection)


@event.listens_for(metadata, "before_drop")
def _drop_version_triggers(_target: Any, connection: Any, **_kw: Any) -> None:
    if version_counters.tables_present(connection):
        version_counters.uninstall(connection)


class ArchivedQuestionnaire(Base):
    """The YAML of every questionnaire version an assessment was started with, by content hash.

    Drafts continue, and reports are rebuilt, with their own version after the file in
    ``cuestionarios/`` changes (see storage.questionnaires).
    """

    __tablename__ = "cuestionarios"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(40))
    source_yaml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(Base):
    """An invitation for a colleague to join a firm's account (issue 10); single use, expiring."""

    __tablename__ = "invitaciones"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("empresas.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("cuentas.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("cuentas.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PlanItem(Base):
    """Follow-up of one action of a firm's plan (issue 10): who, by when, in which state.

    Keyed by the question the action is about, so it carries over to the next assessment.
    """

    __tablename__ = "plan_seguimiento"
    __table_args__ = (
        UniqueConstraint("firm_id", "question_id"),
        CheckConstraint("status IN ('pendiente', 'en_curso', 'hecho')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("empresas.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(60))
    # The assessment whose plan proposed it; the action text is a snapshot from that result.
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluaciones.id", ondelete="SET NULL")
    )
    action_text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(120))
    target_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="pendiente")
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("cuentas.id", ondelete="SET NULL"))


class PasswordReset(Base):
    """A self-service password reset sent by e-mail (issue 10): single use, expiring."""

    __tablename__ = "restablecimientos"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("cuentas.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PanelBlock(Base):
    """A compacted, column-major copy of the panel rows (all firms) of one questionnaire
    version and depth with ``first_id <= assessment_id <= last_id`` (issue 11; see
    ``storage.panel_blocks``): a million rows read as a few large blobs.

    Triggers on ``panel_resultados`` and ``panel_formatos`` (migration 0010) delete a block as
    soon as a row in its range is inserted, changed or deleted, or a layout of its version
    changes, so a block present is never stale. Each array is raw numpy bytes (``compression``
    says whether zlib was applied); ``matrix`` holds the values of ``columns`` as
    ``live_results._matrix`` decodes them, column after column, each in its ``dtypes`` entry;
    ``size_class`` and ``region`` are int16 codes into ``categories``.
    """

    __tablename__ = "panel_bloques"
    __table_args__ = (
        UniqueConstraint(
            "questionnaire_id",
            "depth",
            "questionnaire_hash",
            "first_id",
            name="uq_panel_bloques_questionnaire_id",
        ),
        # The triggers look blocks up by range end.
        Index(
            "ix_panel_bloques_rango", "questionnaire_id", "depth", "questionnaire_hash", "last_id"
        ),
        # A block id is never reused: a reader that read a block's meta and then its matrix
        # by id gets that block's matrix or nothing.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    depth: Mapped[str] = mapped_column(String(10))
    questionnaire_hash: Mapped[str] = mapped_column(String(128))
    first_id: Mapped[int] = mapped_column(Integer)
    last_id: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list[str]] = mapped_column(JSON)
    # How each column of ``matrix`` is stored: "f4" float32, "u1/<n>" and "u2/<n>" uint8 or
    # uint16 codes into the n float32 values that follow them (storage.panel_blocks._encode).
    dtypes: Mapped[list[str]] = mapped_column(JSON)
    categories: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    compression: Mapped[str] = mapped_column(String(10))
    assessment_ids: Mapped[bytes] = mapped_column(LargeBinary)
    firm_ids: Mapped[bytes] = mapped_column(LargeBinary)
    submitted_at: Mapped[bytes] = mapped_column(LargeBinary)
    is_demo: Mapped[bytes] = mapped_column(LargeBinary)
    ciiu_division: Mapped[bytes] = mapped_column(LargeBinary)
    size_class: Mapped[bytes] = mapped_column(LargeBinary)
    region: Mapped[bytes] = mapped_column(LargeBinary)
    vector_format: Mapped[bytes] = mapped_column(LargeBinary)
    matrix: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PanelCubeSnapshot(Base):
    """The staff panel's cube (``scoring.panel_cube.PanelCube.snapshot``) of one questionnaire
    version and depth, saved for the data version (``results_table.data_version``) it was
    built from (issue 11, ``storage.panel_snapshots``): a fresh process shows the first view
    from it while it reads the rows. One per questionnaire version and depth; a snapshot of
    another data version is never used."""

    __tablename__ = "panel_cubos"
    __table_args__ = (
        UniqueConstraint(
            "questionnaire_id", "depth", "questionnaire_hash", name="uq_panel_cubos_cuestionario"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    depth: Mapped[str] = mapped_column(String(10))
    questionnaire_hash: Mapped[str] = mapped_column(String(128))
    data_version: Mapped[list[int]] = mapped_column(JSON)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    arrays: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(metadata, "after_create")
def _install_block_triggers(_target: Any, connection: Any, **_kw: Any) -> None:
    """``metadata.create_all`` gets the same triggers as migrations 0010 and 0011."""
    from storage import panel_blocks, panel_snapshots  # local: they import these models

    if panel_blocks.tables_present(connection):
        panel_blocks.install(connection)
    if panel_snapshots.tables_present(connection):
        panel_snapshots.install(connection)


@event.listens_for(metadata, "before_drop")
def _drop_block_triggers(_target: Any, connection: Any, **_kw: Any) -> None:
    from storage import panel_blocks, panel_snapshots

    if panel_blocks.tables_present(connection):
        panel_blocks.uninstall(connection)
    if panel_snapshots.tables_present(connection):
        panel_snapshots.uninstall(connection)
