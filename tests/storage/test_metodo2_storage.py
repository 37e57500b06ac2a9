"""Method 2.0 in storage: no dimension columns, v1 and v2 results side by side, peers and
staff data per questionnaire version (content hash), sector values for indicator comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from scoring import compile_questionnaire, load_questionnaire, score_assessment
from scoring.loader import parse_questionnaire
from scoring.result import ScoreResult
from storage.assessments import (
    QuestionnaireMeta,
    get_result,
    result_summary,
    save_answers,
    start_assessment,
    submit,
)
from storage.db import alembic_config
from storage.models import PanelLayout, PanelRow, Result
from storage.peers import peer_scores, sector_indicator_values
from storage.results_table import (
    backfill,
    data_version,
    detail_vector,
    load_results_frame,
    store_result_vector,
    stored_versions,
    vector_columns,
)
from storage.staff import shared_assessments
from tests.storage.storage_testdata import make_firm

ROOT = Path(__file__).resolve().parents[2]
V1 = ROOT / "cuestionarios" / "archivo" / "brujula_manufactura-1.0.0.yaml"
V2 = ROOT / "tests" / "scoring" / "fixtures" / "metodo2.yaml"
OLD_COLUMNS = ("economica", "social", "ambiental", "r1", "r2", "r3")
V2_ANSWERS = {
    "perfil_tamano": "micro",
    "perfil_agua_proceso": "si",
    "perfil_peligrosos": ["aceites_usados"],
    "piso_iga": "si",
    "piso_manifiestos": "no",
    "agua_medicion": 3,
    "agua_reuso": "no_se",
    "res_segregacion": 2,
    "res_valorizacion": 3,
    "est_metas": 0,
    "masa_total": 8000.0,
    "masa_circular": 2000.0,
    "sst_mejora": 1,
}
V2_SOURCES = {"masa_total": "medido", "masa_circular": "estimado"}


@pytest.fixture(scope="module")
def v1():
    return compile_questionnaire(load_questionnaire(V1), "completo")


@pytest.fixture(scope="module")
def v2():
    return compile_questionnaire(load_questionnaire(V2), "completo")


def _submit(session: Session, compiled, firm_id: int, answers, sources) -> tuple[int, ScoreResult]:
    assessment = start_assessment(session, firm_id, compiled.loaded, compiled.depth)
    save_answers(session, assessment.id, firm_id, answers, sources)
    result = score_assessment(compiled, answers, sources)
    submit(session, assessment.id, firm_id, result_summary(result))
    store_result_vector(session, assessment.id, compiled, result)
    session.commit()
    return assessment.id, result


def _v1_answers(compiled) -> tuple[dict, dict]:
    from reports.sample import sample_answers

    return sample_answers(compiled, seed=3)


# --- migration ---------------------------------------------------------------------------------


def test_migration_0004_drops_dimension_columns_and_downgrade_refills_them(
    engine: Engine,
) -> None:
    columns = {c["name"] for c in inspect(engine).get_columns("resultados")}
    assert not columns & set(OLD_COLUMNS)
    with Session(engine) as session:
        firm = make_firm(session)
        meta = QuestionnaireMeta("q", "1.0.0", "sha256:a")
        assessment = start_assessment(session, firm.id, meta, "expres")
        scores = {"dimensiones": {"economica": 10.0, "social": 20.0}, "rutas": {"R1": 5.0}}
        submit(session, assessment.id, firm.id, {"coverage": 1.0, "scores": scores})
        session.commit()
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0003")
    engine.dispose()
    with engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT economica, social, ambiental, r1, r3 FROM resultados"
        ).one()
    assert tuple(row) == (10.0, 20.0, None, 5.0, None)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()
    columns = {c["name"] for c in inspect(engine).get_columns("resultados")}
    assert not columns & set(OLD_COLUMNS)
    with Session(engine) as session:
        assert session.scalar(select(Result.scores_json))["dimensiones"]["social"] == 20.0


# --- v1 and v2 results side by side ------------------------------------------------------------


def test_v1_and_v2_results_coexist_and_read_back_as_stored(session: Session, v1, v2) -> None:
    firm = make_firm(session)
    first, result1 = _submit(session, v1, firm.id, *_v1_answers(v1))
    second, result2 = _submit(session, v2, firm.id, V2_ANSWERS, V2_SOURCES)
    session.expire_all()
    for assessment_id, result in ((first, result1), (second, result2)):
        stored = get_result(session, assessment_id, firm.id)
        assert stored.detail_json == result.to_dict()
        assert ScoreResult.from_dict(stored.detail_json) == result
    assert result1.metodo == "1.0" and result2.metodo == "2.0"
    assert get_result(session, second, firm.id).scores_json["indices"] == {
        i.id: i.puntaje for i in result2.indices
    }

    old = load_results_frame(session, v1.loaded.id, "completo")
    assert len(old) == 1 and np.isnan(old.loc[0, "piso_legal"])
    assert old.loc[0, "provisional"] == 0
    assert not [c for c in old.columns if c.startswith("idx_")]

    new = load_results_frame(session, v2.loaded.id, "completo")
    assert len(new) == 1
    row = new.iloc[0]
    assert row["global"] == pytest.approx(result2.global_.puntaje)
    assert row["nivel"] == result2.global_.nivel
    assert row["global_sin_no_se"] == pytest.approx(result2.global_.puntaje_sin_no_se)
    assert row["global_maximo"] == pytest.approx(result2.global_.puntaje_maximo)
    assert row["global_maximo"] > row["global"]  # the "No sé" answer widens the band
    assert row["piso_legal"] == 0.0  # piso_manifiestos answered "no"
    assert row["provisional"] == float(result2.provisional)
    for index in result2.indices:
        assert row[f"idx_{index.id}"] == pytest.approx(index.puntaje, nan_ok=True)
    assert (row["req_piso_iga"], row["req_piso_manifiestos"]) == (0.0, 1.0)


def test_v2_vector_paths_agree(v2) -> None:
    from scoring.answers import encode_frame, records_to_frame
    from scoring.engine import score_batch
    from storage.results_table import batch_vectors, result_vector

    records = [
        ("a", V2_ANSWERS, V2_SOURCES),
        ("b", V2_ANSWERS | {"piso_iga": "en_tramite", "piso_manifiestos": "si"}, V2_SOURCES),
        ("c", {k: v for k, v in V2_ANSWERS.items() if k != "piso_iga"}, V2_SOURCES),
    ]
    encoded, problems, _ = encode_frame(v2, records_to_frame(records), strict_rows=False)
    assert not problems
    batch = batch_vectors(v2, score_batch(v2, encoded), encoded.practice, encoded.requirements)
    columns = vector_columns(v2)
    requirement = [columns.index("req_piso_iga"), columns.index("req_piso_manifiestos")]
    assert batch[:, requirement].tolist() == [[0, 1], [2, 0], [4, 1]]
    for row, (_, answers, sources) in enumerate(records):
        single = result_vector(v2, score_assessment(v2, answers, sources))
        np.testing.assert_array_equal(np.frombuffer(single, dtype=np.float32), batch[row])


def test_legacy_v1_detail_backfills_with_empty_method_fields(session: Session, v1) -> None:
    """A detail stored before method 2.0 lacks its keys: the vector marks them NaN / 0."""
    firm = make_firm(session)
    answers, sources = _v1_answers(v1)
    result = score_assessment(v1, answers, sources)
    legacy = result.to_dict()
    for key in ("metodo", "indices", "piso_legal", "provisional", "umbral_provisional"):
        legacy.pop(key)
    legacy["esquema"] = "1.0"
    for score in (legacy["global"], *legacy["dimensiones"], *legacy["ejes"], *legacy["rutas"]):
        for key in ("puntaje_sin_no_se", "puntaje_maximo", "principal"):
            score.pop(key)
    assessment = start_assessment(session, firm.id, v1.loaded, "completo")
    summary = result_summary(result) | {"detail": legacy}
    submit(session, assessment.id, firm.id, summary)
    session.commit()
    assert get_result(session, assessment.id, firm.id).detail_json == legacy
    assert ScoreResult.from_dict(legacy).metodo == "1.0"
    names, _ = detail_vector(legacy)
    assert names == vector_columns(v1)
    assert backfill(session) == 1
    session.commit()
    row = load_results_frame(session, v1.loaded.id, "completo").iloc[0]
    assert np.isnan(row["piso_legal"]) and np.isnan(row["global_maximo"])
    assert row["provisional"] == 0 and row["global"] == pytest.approx(result.global_.puntaje)


def test_rows_of_the_old_vector_format_still_decode(session: Session, v2) -> None:
    firm = make_firm(session)
    other = make_firm(session, "2060000000", email="b@ejemplo.pe")
    assessment_id, result = _submit(session, v2, firm.id, V2_ANSWERS, V2_SOURCES)
    _submit(session, v2, other.id, V2_ANSWERS, V2_SOURCES)
    # Rewrite the first row as format 1 did: no band, floor, provisional nor index columns.
    columns = vector_columns(v2)
    kept = [
        i
        for i, c in enumerate(columns)
        if c not in ("global_sin_no_se", "global_maximo", "piso_legal", "provisional")
        and not c.startswith("idx_")
    ]
    row = session.get_one(PanelRow, assessment_id)
    vector = np.frombuffer(row.vector, dtype=np.float32)[kept]
    session.add(
        PanelLayout(
            questionnaire_hash=row.questionnaire_hash,
            depth=row.depth,
            vector_format=1,
            columns=[columns[i] for i in kept],
        )
    )
    row.vector_format, row.vector = 1, vector.tobytes()
    session.commit()
    frame = load_results_frame(session, v2.loaded.id, "completo").set_index("assessment_id")
    assert frame.loc[assessment_id, "global"] == pytest.approx(result.global_.puntaje)
    assert np.isnan(frame.loc[assessment_id, "piso_legal"])
    assert frame.drop(index=assessment_id)["piso_legal"].tolist() == [0.0]


# --- peers never mix versions ------------------------------------------------------------------

A = QuestionnaireMeta("brujula", "2.0.0", "sha256:aaa")
B = QuestionnaireMeta("brujula", "2.0.0", "sha256:bbb")  # same id and version, other content


def _scored(session: Session, firm_id: int, meta, overall: float, detail=None, depth="expres"):
    assessment = start_assessment(session, firm_id, meta, depth)
    summary = {
        "overall": overall,
        "coverage": 1.0,
        "scores": {"dimensiones": {"x": overall}, "indices": {"circular": overall / 2}},
        "detail": detail or {},
    }
    submit(session, assessment.id, firm_id, summary)
    session.commit()


def test_peers_never_mix_two_hashes(session: Session) -> None:
    one = make_firm(session, "2010007097")
    two = make_firm(session, "2060000000", email="b@ejemplo.pe")
    three = make_firm(session, "2070000000", email="c@ejemplo.pe")
    _scored(session, one.id, A, 10)
    _scored(session, two.id, A, 20)
    _scored(session, two.id, B, 30)  # firm two's latest is of version B
    _scored(session, three.id, B, 40)
    in_a = peer_scores(session, "brujula", "expres", questionnaire_hash=A.hash)
    assert sorted(in_a["overall"]) == [10.0, 20.0]
    assert sorted(in_a["idx_circular"]) == [5.0, 10.0] and "x" in in_a
    in_b = peer_scores(session, "brujula", "expres", questionnaire_hash=B.hash)
    assert sorted(in_b["overall"]) == [30.0, 40.0]
    # Without a hash: the version of the latest submission only, never both.
    assert sorted(peer_scores(session, "brujula", "expres")["overall"]) == [30.0, 40.0]
    assert peer_scores(session, "brujula", "expres", questionnaire_hash="sha256:zzz").empty


def _detail(values: dict[str, float | None]) -> dict:
    return {
        "indicadores": [
            {
                "id": ident,
                "valor": value,
                "valido": value is not None,
                "comparar_en_sector": ident != "fijo",
            }
            for ident, value in values.items()
        ]
    }


def test_sector_indicator_values_only_other_consenting_firms_same_division_and_hash(
    session: Session,
) -> None:
    me = make_firm(session, "2010007097", ciiu_division=22)
    peers = [
        make_firm(session, f"20600000{i}0", ciiu_division=22, email=f"p{i}@ejemplo.pe")
        for i in range(3)
    ]
    private = make_firm(
        session, "2070000000", ciiu_division=22, consent_statistics=False, email="x@ejemplo.pe"
    )
    elsewhere = make_firm(session, "2080000000", ciiu_division=10, email="y@ejemplo.pe")
    demo = make_firm(session, "2090000000", ciiu_division=22, is_demo=True, email="z@e.pe")
    _scored(session, me.id, A, 50, _detail({"agua": 1.0, "energia": 9.0, "fijo": 3.0}))
    _scored(session, peers[0].id, A, 50, _detail({"agua": 2.0, "energia": 8.0, "fijo": 4.0}))
    _scored(session, peers[1].id, A, 50, _detail({"agua": 99.0, "energia": None}))
    _scored(session, peers[1].id, A, 50, _detail({"agua": 3.0, "energia": None}))  # latest
    _scored(session, peers[2].id, B, 50, _detail({"agua": 100.0, "energia": 100.0}))
    _scored(session, peers[2].id, A, 50, _detail({"agua": 4.0}), depth="completo")
    _scored(session, private.id, A, 50, _detail({"agua": 200.0, "energia": 200.0}))
    _scored(session, elsewhere.id, A, 50, _detail({"agua": 300.0, "energia": 300.0}))
    _scored(session, demo.id, A, 50, _detail({"agua": 400.0, "energia": 400.0}))

    values = sector_indicator_values(
        session, firm_id=me.id, questionnaire_hash=A.hash, depth="expres", ciiu_division=22
    )
    assert {k: sorted(v) for k, v in values.items()} == {"agua": [2.0, 3.0], "energia": [8.0]}
    other_hash = sector_indicator_values(
        session, firm_id=me.id, questionnaire_hash=B.hash, depth="expres", ciiu_division=22
    )
    assert other_hash == {"agua": [100.0], "energia": [100.0]}
    # The firm itself is left out even when it is the only one with values.
    assert sector_indicator_values(
        session, firm_id=peers[0].id, questionnaire_hash=A.hash, depth="expres", ciiu_division=22
    ) == {"agua": [1.0, 3.0], "energia": [9.0]}


# --- staff data per version --------------------------------------------------------------------


def test_staff_data_split_by_version(session: Session, v2) -> None:
    firm = make_firm(session)
    other = make_firm(session, "2060000000", email="b@ejemplo.pe")
    loaded = v2.loaded
    _submit(session, v2, firm.id, V2_ANSWERS, V2_SOURCES)
    # The same questionnaire id answered with other content (a later edit of the file).
    changed_source = loaded.source.replace('version: "2.0.0"', 'version: "2.0.1"')
    assert changed_source != loaded.source
    changed = parse_questionnaire(changed_source, "metodo2.yaml")
    later = compile_questionnaire(changed, "completo")
    _submit(session, later, other.id, V2_ANSWERS | {"agua_medicion": 4}, V2_SOURCES)

    versions = stored_versions(session, loaded.id, "completo")
    assert [v.version for v in versions] == ["2.0.1", "2.0.0"]
    assert {v.hash for v in versions} == {loaded.content_hash, changed.content_hash}
    first = load_results_frame(
        session, loaded.id, "completo", questionnaire_hash=loaded.content_hash
    )
    second = load_results_frame(
        session, loaded.id, "completo", questionnaire_hash=changed.content_hash
    )
    assert first["firm_id"].tolist() == [firm.id] and second["firm_id"].tolist() == [other.id]
    assert len(load_results_frame(session, loaded.id, "completo")) == 2
    before = data_version(session, loaded.id, "completo", loaded.content_hash)
    _submit(session, later, firm.id, V2_ANSWERS, V2_SOURCES)
    assert data_version(session, loaded.id, "completo", loaded.content_hash)[:3] == before[:3]
    shared = shared_assessments(
        session, questionnaire_id=loaded.id, questionnaire_hash=changed.content_hash
    )
    assert sorted(shared["firm_id"]) == [firm.id, other.id]
    assert {"dim_ambiental", "idx_circular", "ruta_R1"} <= set(shared.columns)
