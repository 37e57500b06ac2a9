"""Issue 11: the staff panel's saved cube (``storage.panel_snapshots``), on both databases."""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, func, select

from storage import panel_snapshots
from storage.db import session_scope
from storage.models import PanelCubeSnapshot

KEY = ("brujula", "completo", "sha256:uno")
OTHER = ("brujula", "expres", "sha256:uno")


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
