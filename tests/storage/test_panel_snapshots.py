"""Issue 11: the staff panel's saved cube (``storage.panel_snapshots``), on both databases."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from storage import panel_snapshots
from storage.db import session_scope
from storage.models import Firm, PanelCubeSnapshot, PanelRow, utcnow

KEY = ("brujula", "completo", "sha256:uno")
OTHER = ("brujula", "expres", "sha256:uno")


@pytest.fixture(autouse=True)
def _made_up_versions(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Most tests here save snapshots of made-up data versions: ``save`` then takes the
    database's data version to be the one given (its own check is tested apart)."""
    if "real_versions" in request.keywords:
        return
    import storage.results_table as results_table

    real_save = panel_snapshots.save

    def save(session, key, version, *args):
        with monkeypatch.context() as patch:
            patch.setattr(results_table, "data_version", lambda *a, **k: tuple(version))
            return real_save(session, key, version, *args)

    monkeypatch.setattr(panel_snapshots, "save", save)


@pytest.mark.real_versions
def test_a_cube_of_a_version_that_moved_on_is_not_saved(engine: Engine) -> None:
    """A panel row added, changed or deleted while the cube was built: its snapshot is not
    saved (a change's trigger ran before the snapshot existed)."""
    from storage.results_table import data_version
    from tests.storage.test_panel_blocks import KEY as ROWS_KEY
    from tests.storage.test_panel_blocks import Data

    with Session(engine) as session:
        data = Data(session, seed=5)
        ids = data.add(4, key=ROWS_KEY)
        session.commit()
        read = data_version(session, *ROWS_KEY)
        session.execute(delete(PanelRow).where(PanelRow.assessment_id == ids[1]))
        session.commit()
        assert not panel_snapshots.save(session, ROWS_KEY, read, {}, b"viejo")
        session.commit()
        assert panel_snapshots.saved_version(session, ROWS_KEY) is None
        now = data_version(session, *ROWS_KEY)
        assert panel_snapshots.save(session, ROWS_KEY, now, {}, b"actual")
        session.commit()
        assert panel_snapshots.saved_version(session, ROWS_KEY) == now


def test_a_snapshot_is_read_back_only_for_its_data_version(engine: Engine) -> None:
    blob = bytes(np.arange(300_000, dtype=np.uint8) % 251)  # bytes of every value
    with session_scope(engine) as session:
        assert panel_snapshots.saved_version(session, KEY) is None
        assert panel_snapshots.save(session, KEY, (10, 12, 78, 3), {"formato": 1}, blob)
    with session_scope(engine) as session:
        assert panel_snapshots.saved_version(session, KEY) == (10, 12, 78, 3)
        assert panel_snapshots.load(session, KEY, (10, 12, 78, 3)) == ({"formato": 1}, blob)
        assert panel_snapshots.load(session, KEY, (10, 12, 78, 4)) is None  # consent changed
        assert panel_snapshots.load(session, KEY, (11, 13, 91, 3)) is None  # one more row
        assert panel_snapshots.load(session, OTHER, (10, 12, 78, 3)) is None


def test_a_new_snapshot_replaces_the_previous_one(engine: Engine) -> None:
    with session_scope(engine) as session:
        panel_snapshots.save(session, KEY, (1, 1, 1, 0), {"n": 1}, b"uno")
        panel_snapshots.save(session, OTHER, (1, 1, 1, 0), {"n": 2}, b"otro")
    with session_scope(engine) as session:
        panel_snapshots.save(session, KEY, (2, 2, 3, 0), {"n": 3}, b"dos")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(PanelCubeSnapshot)) == 2
        assert panel_snapshots.load(session, KEY, (1, 1, 1, 0)) is None
        assert panel_snapshots.load(session, KEY, (2, 2, 3, 0)) == ({"n": 3}, b"dos")
        assert panel_snapshots.load(session, OTHER, (1, 1, 1, 0)) == ({"n": 2}, b"otro")


@pytest.mark.parametrize("change", ["borrar", "cambiar", "vaciar"])
def test_a_snapshot_never_outlives_a_panel_row(engine: Engine, change: str) -> None:
    """A snapshot holds rows of single firms (firms that moved, rank codes): deleting or
    changing a panel row (a firm deleted in cascade, demo data removed) deletes every saved
    cube, whatever code writes; a new submission leaves it (stale, never shown)."""
    from tests.storage.test_panel_blocks import KEY as ROWS_KEY
    from tests.storage.test_panel_blocks import Data

    with Session(engine) as session:
        data = Data(session, seed=3)
        ids = data.add(5, key=ROWS_KEY)
        panel_snapshots.save(session, KEY, (1, 1, 1, 0), {}, b"x")
        panel_snapshots.save(session, OTHER, (1, 1, 1, 0), {}, b"y")
        session.commit()
        data.add(1, key=ROWS_KEY)
        session.commit()
        assert session.scalar(select(func.count()).select_from(PanelCubeSnapshot)) == 2
        if change == "borrar":
            session.execute(delete(PanelRow).where(PanelRow.assessment_id == ids[2]))
        elif change == "cambiar":
            session.execute(
                update(PanelRow).where(PanelRow.assessment_id == ids[2]).values(vector=b"")
            )
        elif engine.dialect.name == "postgresql":
            session.execute(text("TRUNCATE panel_resultados"))
        else:
            session.execute(delete(PanelRow))
        session.commit()
        assert session.scalar(select(func.count()).select_from(PanelCubeSnapshot)) == 0


def test_an_older_snapshot_serves_only_a_version_that_adds_rows(engine: Engine) -> None:
    """``load_older``: the saved cube of (10, 12, 78, 3) for a version with more rows and the
    same counted firms; never after the counted firms changed, nor for the same version, an
    older one or another key."""
    with session_scope(engine) as session:
        panel_snapshots.save(session, KEY, (10, 12, 78, 3), {"formato": 1}, b"cubo")
    with session_scope(engine) as session:
        saved = ((10, 12, 78, 3), {"formato": 1}, b"cubo")
        assert panel_snapshots.load_older(session, KEY, (12, 14, 105, 3)) == saved
        assert panel_snapshots.load_older(session, KEY, (12, 14, 105, 4)) is None  # a firm
        assert panel_snapshots.load_older(session, KEY, (10, 12, 78, 3)) is None  # the same
        assert panel_snapshots.load_older(session, KEY, (9, 11, 66, 3)) is None  # fewer rows
        assert panel_snapshots.load_older(session, KEY, (11, 12, 90, 3)) is None  # no new id
        assert panel_snapshots.load_older(session, KEY, (12, 14, 105, 2)) is None
        assert panel_snapshots.load_older(session, OTHER, (12, 14, 105, 3)) is None


@pytest.mark.parametrize(
    "change,deletes",
    [
        ("retira el consentimiento", True),
        ("pierde la verificación", True),
        ("pasa a demostración", True),
        ("se borra", True),
        ("da su consentimiento", False),
        ("es verificada", False),
        ("cambia su correo", False),
    ],
)
def test_a_snapshot_never_shows_a_firm_that_stopped_counting(
    engine: Engine, change: str, deletes: bool
) -> None:
    """A firm that stops counting (or is deleted) deletes every saved cube, as its rows leave
    the figures with no panel row changed; a firm that starts counting only adds rows."""
    from tests.storage.storage_testdata import make_firm

    with Session(engine) as session:
        counted = make_firm(session, "2060002222", consent_statistics=True)
        pending = make_firm(session, "2060003333", verified=False, consent_statistics=False)
        panel_snapshots.save(session, KEY, (1, 1, 1, 0), {}, b"x")
        session.commit()
        changes = {
            "retira el consentimiento": (counted, {"consent_statistics": False}),
            "pierde la verificación": (counted, {"verified_at": None}),
            "pasa a demostración": (counted, {"is_demo": True}),
            "da su consentimiento": (pending, {"consent_statistics": True}),
            "es verificada": (pending, {"verified_at": utcnow()}),
            "cambia su correo": (counted, {"email": "otro@ejemplo.pe"}),
        }
        if change == "se borra":
            session.execute(delete(Firm).where(Firm.id == counted.id))
        else:
            firm, values = changes[change]
            session.execute(update(Firm).where(Firm.id == firm.id).values(**values))
        session.commit()
        left = session.scalar(select(func.count()).select_from(PanelCubeSnapshot))
        assert left == (0 if deletes else 1)


@pytest.mark.real_versions
def test_a_cube_is_not_saved_while_a_writer_holds_the_panel_rows(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long writer of the panel rows (a bulk load): ``save`` gives up after its wait, says
    so with False, and the session stays usable (the cube is saved another time)."""
    from storage import db
    from storage.results_table import data_version
    from tests.storage.test_panel_blocks import KEY as ROWS_KEY
    from tests.storage.test_panel_blocks import Data

    monkeypatch.setattr(panel_snapshots, "LOCK_WAIT_MS", 300)
    with Session(engine) as session:
        Data(session, seed=6).add(3, key=ROWS_KEY)
        session.commit()
        version = data_version(session, *ROWS_KEY)
    with engine.connect() as writer:
        if engine.dialect.name == "sqlite":
            monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
            writer.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            writer.execute(delete(PanelRow).where(PanelRow.assessment_id == -1))
        with Session(engine) as session:
            assert not panel_snapshots.save(session, ROWS_KEY, version, {}, b"cubo")
            assert panel_snapshots.saved_version(session, ROWS_KEY) is None
        writer.rollback()
