"""Issue 11: panel rows kept current by appending, and peers once per data version.

The in-memory rows must equal what a full read gives (``load_results_frame``, ``peer_scores``,
``sector_indicator_values``) after every kind of change, while reading only what changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from reports.sample import sample_answers
from scoring import compile_questionnaire, score_assessment
from scoring.catalog import default_questionnaire
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.live_results import (
    LiveResults,
    Rows,
    as_frame,
    counted_firm_ids,
    empty_rows,
    merge,
    read_rows,
)
from storage.models import Firm
from storage.peers import PeerSource, peer_scores, sector_indicator_values
from storage.results_table import load_results_frame, store_result_vector
from tests.storage.storage_testdata import make_firm


@pytest.fixture(scope="module")
def compiled():
    return compile_questionnaire(default_questionnaire(), "completo")


def _submit(session: Session, compiled, firm_id: int, seed: int) -> int:
    loaded = compiled.loaded
    answers, sources = sample_answers(compiled, seed=seed)
    assessment = start_assessment(
        session, firm_id, (loaded.id, loaded.version, loaded.content_hash), compiled.depth
    )
    save_answers(session, assessment.id, firm_id, answers, sources)
    result = score_assessment(compiled, answers, sources)
    submit(session, assessment.id, firm_id, result_summary(result))
    store_result_vector(session, assessment.id, compiled, result)
    session.commit()
    return assessment.id


def _firms(session: Session) -> dict[str, Firm]:
    return {
        "a": make_firm(session, "2010007097", ciiu_division=10, email="a@e.pe"),
        "b": make_firm(session, "2060000000", ciiu_division=10, email="b@e.pe"),
        "c": make_firm(session, "2070000000", ciiu_division=14, email="c@e.pe"),
        "unverified": make_firm(session, "2080000000", verified=False, email="u@e.pe"),
        "private": make_firm(session, "2090000000", consent_statistics=False, email="p@e.pe"),
        "demo": make_firm(session, "2050000000", is_demo=True, verified=False, email="d@e.pe"),
    }


def _same_as_full_read(session: Session, compiled, live: LiveResults) -> None:
    loaded = compiled.loaded
    snapshot = live.refresh(session)
    content_hash = loaded.content_hash
    full = load_results_frame(session, loaded.id, "completo", questionnaire_hash=content_hash)
    stored = as_frame(snapshot.rows, loaded.version, loaded.content_hash)
    mine = stored.iloc[snapshot.rows.sorted_positions()].reset_index(drop=True)
    assert list(mine.columns) == list(full.columns)
    assert mine["assessment_id"].tolist() == full["assessment_id"].tolist()
    assert mine["firm_id"].tolist() == full["firm_id"].tolist()
    assert mine["size_class"].astype(str).tolist() == full["size_class"].astype(str).tolist()
    assert mine["region"].astype(str).tolist() == full["region"].astype(str).tolist()
    assert (mine["submitted_at"] == full["submitted_at"]).all()
    columns = list(full.columns[9:])
    np.testing.assert_array_equal(mine[columns].to_numpy(float), full[columns].to_numpy(float))
    # Stored column by column, so that each score column is one contiguous array (the
    # aggregates scan every column: strided columns were ten times slower at 500 000 rows).
    assert all(stored[c].to_numpy().flags.c_contiguous for c in stored.columns[9:])
    assert all(np.shares_memory(stored[c].to_numpy(), snapshot.rows.matrix) for c in columns)


def test_live_rows_append_and_follow_consent(session: Session, compiled) -> None:
    loaded = compiled.loaded
    firms = _firms(session)
    for seed, key in enumerate(("a", "b", "unverified", "private", "demo")):
        _submit(session, compiled, firms[key].id, seed)
    live = LiveResults(loaded.id, "completo", loaded.content_hash)
    _same_as_full_read(session, compiled, live)
    assert live.reads == {"completa": 1, "nuevas": 0, "consentimiento": 0}
    first = live.refresh(session)
    assert live.refresh(session) is first  # same data version: nothing read

    before = first.rows.matrix.copy()
    _submit(session, compiled, firms["a"].id, 10)  # a new submission: only it is read
    _submit(session, compiled, firms["c"].id, 11)
    _same_as_full_read(session, compiled, live)
    assert live.reads == {"completa": 1, "nuevas": 1, "consentimiento": 0}
    # Appended after the rows already held, in the same matrix (no copy at a million rows),
    # and the snapshot shown until then keeps its rows unchanged.
    appended = live.refresh(session).rows
    assert appended.matrix.base is first.rows.matrix.base is not None
    assert len(appended) == len(first.rows) + 2
    np.testing.assert_array_equal(first.rows.matrix, before)
    np.testing.assert_array_equal(appended.matrix[: len(first.rows)], before)

    firms["b"].consent_statistics = False  # withdrawn: its rows go without a read
    session.commit()
    _same_as_full_read(session, compiled, live)
    assert live.reads["completa"] == 1 and live.reads["consentimiento"] == 0

    firms["private"].consent_statistics = True  # given: only that firm's rows are read
    session.commit()
    _same_as_full_read(session, compiled, live)
    assert live.reads == {"completa": 1, "nuevas": 1, "consentimiento": 1}

    session.execute(delete(Firm).where(Firm.id == firms["a"].id))  # rows vanished: read again
    session.commit()
    _same_as_full_read(session, compiled, live)
    assert live.reads["completa"] == 2


def test_a_failed_read_leaves_the_change_of_firms_for_the_next_refresh(
    session: Session, compiled, monkeypatch
) -> None:
    loaded = compiled.loaded
    firms = _firms(session)
    _submit(session, compiled, firms["a"].id, 1)
    _submit(session, compiled, firms["b"].id, 2)
    live = LiveResults(loaded.id, "completo", loaded.content_hash)
    _same_as_full_read(session, compiled, live)

    firms["b"].consent_statistics = False  # b leaves and a submits again, before one refresh
    session.commit()
    _submit(session, compiled, firms["a"].id, 3)
    read = LiveResults._read

    def failing(self, *args, **options):
        if "after_id" in options:
            raise RuntimeError("conexión perdida")
        return read(self, *args, **options)

    monkeypatch.setattr(LiveResults, "_read", failing)
    with pytest.raises(RuntimeError):
        live.refresh(session)
    monkeypatch.setattr(LiveResults, "_read", read)
    # b's rows go now, although the failed refresh had already read the new list of firms.
    _same_as_full_read(session, compiled, live)
    assert live.reads["completa"] == 1


def test_read_rows_in_chunks_equals_one_read(session: Session, compiled) -> None:
    loaded = compiled.loaded
    firms = _firms(session)
    for seed in range(7):
        _submit(session, compiled, firms["abc"[seed % 3]].id, seed)
    columns = ["global", "dim_economica", "preg_" + compiled.practice[0].id]
    args = (session, loaded.id, "completo", loaded.content_hash, columns)
    whole = read_rows(*args)
    pieces = read_rows(*args, chunk=2, expected=1)  # arrays grow past the expected size
    assert whole.scanned == pieces.scanned == 7
    np.testing.assert_array_equal(whole.rows.matrix, pieces.rows.matrix)
    np.testing.assert_array_equal(whole.rows.meta["firm_id"], pieces.rows.meta["firm_id"])
    only = read_rows(*args, only_firms=[firms["b"].id])
    assert set(only.rows.meta["firm_id"]) == {firms["b"].id}
    later = read_rows(*args, after_id=int(whole.rows.meta["assessment_id"][3]))
    assert later.scanned == 3
    # Merging the later rows into the earlier ones gives the sorted whole.
    earlier = whole.rows.take(np.arange(4))
    merged = merge(earlier.take(earlier.sort_order()), later.rows)
    expected = whole.rows.take(whole.rows.sort_order())
    in_order = merged.sorted_positions()
    np.testing.assert_array_equal(
        merged.meta["assessment_id"][in_order], expected.meta["assessment_id"]
    )
    np.testing.assert_array_equal(merged.matrix[in_order], expected.matrix)


def test_counted_firms_as_the_full_reads(session: Session) -> None:
    firms = _firms(session)
    assert counted_firm_ids(session, demo=False).tolist() == sorted(
        [firms["a"].id, firms["b"].id, firms["c"].id]
    )
    with_demo = counted_firm_ids(session, demo=True).tolist()
    assert with_demo == sorted([firms["a"].id, firms["b"].id, firms["c"].id, firms["demo"].id])


def _peer_frame(frame: pd.DataFrame) -> pd.DataFrame:
    columns = sorted(frame.columns)
    return frame[columns].sort_values(columns[:3] + ["overall"]).reset_index(drop=True)


def test_peer_table_equals_peer_scores_and_sector_values(session: Session, compiled) -> None:
    loaded = compiled.loaded
    firms = _firms(session)
    for seed, key in enumerate(("a", "a", "b", "c", "unverified", "private", "demo")):
        _submit(session, compiled, firms[key].id, seed)
    source = PeerSource(loaded.id, "completo", loaded.content_hash)
    table = source.current(session)
    assert source.current(session) is table  # one table per data version, shared
    for viewer in ("a", "b", "unverified"):
        firm_id = firms[viewer].id
        expected = peer_scores(
            session,
            loaded.id,
            "completo",
            exclude_firm_id=firm_id,
            questionnaire_hash=loaded.content_hash,
        )
        mine = table.without(firm_id)
        assert set(mine.columns) == set(expected.columns)
        pd.testing.assert_frame_equal(
            _peer_frame(mine), _peer_frame(expected), check_dtype=False, atol=1e-4
        )
        ids = [i.model.id for i in compiled.indicators if i.model.comparar_en_sector]
        sector = sector_indicator_values(
            session,
            firm_id=firm_id,
            questionnaire_hash=loaded.content_hash,
            depth="completo",
            ciiu_division=10,
        )
        found = table.sector_values(firm_id, 10, ids)
        assert found.keys() == sector.keys()
        for key, values in sector.items():
            np.testing.assert_allclose(sorted(found[key]), sorted(values), rtol=1e-6)
    assert len(table) == 3  # a (latest only), b, c: never unverified, private or demo firms


def test_peer_table_follows_a_new_submission_and_verification(session: Session, compiled) -> None:
    loaded = compiled.loaded
    firms = _firms(session)
    _submit(session, compiled, firms["a"].id, 1)
    _submit(session, compiled, firms["unverified"].id, 2)
    source = PeerSource(loaded.id, "completo", loaded.content_hash)
    assert len(source.current(session)) == 1
    _submit(session, compiled, firms["b"].id, 3)
    assert len(source.current(session)) == 2
    firms["unverified"].verified_at = firms["a"].verified_at  # SNI verifies it
    session.commit()
    assert len(source.current(session)) == 3
    assert source.live.reads["completa"] == 1


def test_a_new_submission_does_not_read_the_counted_firms_again(
    session: Session, compiled, monkeypatch
) -> None:
    """At a million rows reading the 800 000 counted firm ids costs more than the new row:
    only a change in the consent part of the data version reads them again."""
    from storage import live_results

    loaded = compiled.loaded
    firms = _firms(session)
    _submit(session, compiled, firms["a"].id, 1)
    live = LiveResults(loaded.id, "completo", loaded.content_hash)
    live.refresh(session)
    calls: list[int] = []
    real = live_results.counted_firm_ids

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(live_results, "counted_firm_ids", counting)
    _submit(session, compiled, firms["b"].id, 2)
    _same_as_full_read(session, compiled, live)
    assert calls == []
    firms["b"].consent_statistics = False  # consent changed: the firms are read again
    session.commit()
    _same_as_full_read(session, compiled, live)
    assert calls == [1]


def _synthetic(rng: np.random.Generator, count: int, first_id: int) -> Rows:
    """``count`` rows of a few firms with ids from ``first_id``, in id order (as read)."""
    meta = {
        "assessment_id": np.arange(first_id, first_id + count, dtype=np.int64),
        "firm_id": rng.integers(1, 40, count).astype(np.int64),
        "submitted_at": rng.integers(0, 50, count).astype("datetime64[us]"),
        "is_demo": np.zeros(count, bool),
        "ciiu_division": np.full(count, 10, np.int16),
        "size_class": np.zeros(count, np.int16),
        "region": np.zeros(count, np.int16),
        "vector_format": np.ones(count, np.int16),
    }
    matrix = np.asfortranarray(rng.random((count, 3), dtype=np.float32))
    return Rows(
        ["global", "dim_a", "dim_b"], matrix, meta, {"size_class": ["micro"], "region": ["Lima"]}
    )


def _in_order(rows: Rows) -> tuple[np.ndarray, np.ndarray]:
    positions = rows.sorted_positions()
    return rows.meta["assessment_id"][positions], rows.matrix[positions]


@pytest.mark.parametrize("one_by_one", [True, False])
def test_merge_appends_in_place_and_keeps_every_snapshot(monkeypatch, one_by_one) -> None:
    """Rows merged batch by batch are the sorted union; each merge writes into the room left
    (no copy) while there is room, and a snapshot taken earlier never changes, even when an
    older snapshot is merged again (it then gets its own copy)."""
    if not one_by_one:
        monkeypatch.setattr("storage.live_results.MERGE_ONE_BY_ONE", 0)
    monkeypatch.setattr("storage.live_results.MIN_ROOM", 10)
    rng = np.random.default_rng(3)
    rows = merge(empty_rows(["global", "dim_a", "dim_b"]), _synthetic(rng, 40, 1))
    everything = [rows]
    kept: list[tuple[Rows, np.ndarray, np.ndarray]] = []
    next_id, copies = 41, 0
    for count in (1, 3, 2, 5, 4, 1, 7, 2):
        batch = _synthetic(rng, count, next_id)
        next_id += count
        kept.append((rows, rows.matrix.copy(), rows.meta["assessment_id"].copy()))
        merged = merge(rows, batch)
        copies += merged.reserve is not rows.reserve
        everything.append(batch)
        rows = merged
        whole = merge(empty_rows(rows.columns), _concat(everything))
        ids, matrix = _in_order(rows)
        expected_ids, expected = _in_order(whole)
        np.testing.assert_array_equal(ids, expected_ids)
        np.testing.assert_array_equal(matrix, expected)
    assert 0 < copies < 4  # room for 10 rows, then 1/8 more: a copy now and then, not each time
    for snapshot, matrix, ids in kept:
        np.testing.assert_array_equal(snapshot.matrix, matrix)
        np.testing.assert_array_equal(snapshot.meta["assessment_id"], ids)
    # An older snapshot merged again must not write over the rows of any other one (it
    # appends in place only when it is the newest of its matrix).
    newest = rows.matrix.copy()
    for older, matrix, _ in kept:
        again = merge(older, _synthetic(rng, 2, next_id))
        np.testing.assert_array_equal(again.matrix[: len(older)], matrix)
        np.testing.assert_array_equal(rows.matrix, newest)
        for snapshot, before, _ in kept:
            np.testing.assert_array_equal(snapshot.matrix, before)


def _concat(parts: list[Rows]) -> Rows:
    meta = {k: np.concatenate([p.meta[k] for p in parts]) for k in parts[0].meta}
    matrix = np.asfortranarray(np.concatenate([p.matrix for p in parts]))
    return Rows(parts[0].columns, matrix, meta, parts[0].categories)


def test_rows_without_firms_keep_their_order() -> None:
    rng = np.random.default_rng(5)
    rows = merge(
        merge(empty_rows(["global", "dim_a", "dim_b"]), _synthetic(rng, 30, 1)),
        _synthetic(rng, 6, 31),
    )
    assert rows.order is not None  # appended rows: stored out of order
    gone = np.array([3, 7, 11], dtype=np.int64)
    left = rows.without_firms(gone)
    ids, matrix = _in_order(rows)
    keep = ~np.isin(rows.meta["firm_id"][rows.sorted_positions()], gone)
    left_ids, left_matrix = _in_order(left)
    np.testing.assert_array_equal(left_ids, ids[keep])
    np.testing.assert_array_equal(left_matrix, matrix[keep])
