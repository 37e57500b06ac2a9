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
from storage.live_results import LiveResults, as_frame, counted_firm_ids, merge, read_rows
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
    mine = as_frame(snapshot.rows, loaded.version, loaded.content_hash)
    assert list(mine.columns) == list(full.columns)
    assert mine["assessment_id"].tolist() == full["assessment_id"].tolist()
    assert mine["firm_id"].tolist() == full["firm_id"].tolist()
    assert mine["size_class"].astype(str).tolist() == full["size_class"].astype(str).tolist()
    assert mine["region"].astype(str).tolist() == full["region"].astype(str).tolist()
    assert (mine["submitted_at"] == full["submitted_at"]).all()
    np.testing.assert_array_equal(
        mine.iloc[:, 9:].to_numpy(dtype=float), full.iloc[:, 9:].to_numpy(dtype=float)
    )
    # Stored column by column, so that each score column is one contiguous array (the
    # aggregates scan every column: strided columns were ten times slower at 500 000 rows).
    assert all(mine[c].to_numpy().flags.c_contiguous for c in mine.columns[9:])


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

    _submit(session, compiled, firms["a"].id, 10)  # a new submission: only it is read
    _submit(session, compiled, firms["c"].id, 11)
    _same_as_full_read(session, compiled, live)
    assert live.reads == {"completa": 1, "nuevas": 1, "consentimiento": 0}

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
    merged = merge(earlier.take(earlier.order()), later.rows)
    expected = whole.rows.take(whole.rows.order())
    np.testing.assert_array_equal(merged.meta["assessment_id"], expected.meta["assessment_id"])
    np.testing.assert_array_equal(merged.matrix, expected.matrix)


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
