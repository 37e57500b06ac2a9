"""Staff read model: vectors written at submission, bulk loads, consent and the loaded frame."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reports.sample import sample_answers
from scoring import compile_questionnaire, load_questionnaire, score_assessment
from scoring.answers import encode_frame, records_to_frame
from scoring.catalog import default_questionnaire
from scoring.engine import score_batch
from storage import __main__ as cli
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.bulk import ScoredBatch, insert_firms, insert_scored
from storage.demo import create_demo
from storage.models import Account, Firm, PanelRow
from storage.results_table import (
    backfill,
    batch_vectors,
    data_version,
    detail_vector,
    load_results_frame,
    result_vector,
    store_result_vector,
    vector_columns,
)
from tests.storage.storage_testdata import make_firm

MINI = Path(__file__).resolve().parents[1] / "scoring" / "fixtures" / "mini.yaml"


@pytest.fixture(scope="module")
def compiled():
    return compile_questionnaire(default_questionnaire(), "completo")


def _submit(session: Session, compiled, firm_id: int, seed: int, vector: bool = True):
    loaded = compiled.loaded
    answers, sources = sample_answers(compiled, seed=seed)
    assessment = start_assessment(
        session, firm_id, (loaded.id, loaded.version, loaded.content_hash), compiled.depth
    )
    save_answers(session, assessment.id, firm_id, answers, sources)
    result = score_assessment(compiled, answers, sources)
    submit(session, assessment.id, firm_id, result_summary(result))
    if vector:
        store_result_vector(session, assessment.id, compiled, result)
    session.commit()
    return assessment.id, result


def test_vector_paths_agree(compiled) -> None:
    records = [(f"r{seed}", *sample_answers(compiled, seed=seed)) for seed in range(5)]
    encoded, problems, _ = encode_frame(compiled, records_to_frame(records), strict_rows=False)
    assert not problems
    batch = batch_vectors(
        compiled, score_batch(compiled, encoded), encoded.practice, encoded.requirements
    )
    for row, (_, answers, sources) in enumerate(records):
        result = score_assessment(compiled, answers, sources)
        single = np.frombuffer(result_vector(compiled, result), dtype=np.float32)
        np.testing.assert_array_equal(single, batch[row])
        names, from_detail = detail_vector(result.to_dict())
        assert names == vector_columns(compiled)
        assert from_detail == single.tobytes()


def test_submitted_result_reads_back(session: Session, compiled) -> None:
    firm = make_firm(session)
    assessment_id, result = _submit(session, compiled, firm.id, seed=3)
    frame = load_results_frame(session, compiled.loaded.id, "completo")
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["assessment_id"] == assessment_id and row["firm_id"] == firm.id
    assert row["ciiu_division"] == 22 and row["size_class"] == firm.size_class
    assert row["submitted_at"].tzinfo is not None
    assert row["global"] == pytest.approx(result.global_.puntaje, abs=1e-4)
    for dimension in result.dimensiones:
        assert row[f"dim_{dimension.id}"] == pytest.approx(dimension.puntaje, abs=1e-4)
    for theme in result.ejes:
        expected = np.nan if theme.puntaje is None else theme.puntaje
        assert row[f"eje_{theme.id}"] == pytest.approx(expected, abs=1e-4, nan_ok=True)
    for question in result.preguntas:
        value = row[f"preg_{question.id}"]
        if question.estado == "nivel":
            assert value == question.nivel
        elif question.estado in ("no_se", "sin_respuesta"):
            assert value == 0  # counted as level 0, as the engine scores it
        else:
            assert np.isnan(value)
    for indicator in result.indicadores:
        value = row[f"ind_{indicator.id}"]
        if indicator.valido:
            assert value == pytest.approx(indicator.valor, rel=1e-6)
        else:
            assert np.isnan(value)


def test_consent_and_data_version(session: Session, compiled) -> None:
    qid = compiled.loaded.id
    sharing = make_firm(session, "2010007097")
    private = make_firm(session, "2060001111", consent_statistics=False, email="b@ejemplo.pe")
    assert data_version(session, qid, "completo")[0] == 0
    _submit(session, compiled, sharing.id, seed=1)
    before = data_version(session, qid, "completo")
    _submit(session, compiled, private.id, seed=2)
    after_submit = data_version(session, qid, "completo")
    assert after_submit != before
    assert load_results_frame(session, qid, "completo")["firm_id"].tolist() == [sharing.id]
    private.consent_statistics = True
    session.commit()
    assert data_version(session, qid, "completo") != after_submit
    assert set(load_results_frame(session, qid, "completo")["firm_id"]) == {sharing.id, private.id}
    assert load_results_frame(session, qid, "expres").empty


def test_backfill_from_stored_detail(session: Session, compiled) -> None:
    firm = make_firm(session)
    _submit(session, compiled, firm.id, seed=4, vector=False)
    assert load_results_frame(session, compiled.loaded.id, "completo").empty
    assert backfill(session) == 1
    session.commit()
    assert backfill(session) == 0
    assert len(load_results_frame(session, compiled.loaded.id, "completo")) == 1


def test_versions_with_different_layouts_union_their_columns(session: Session) -> None:
    firm = make_firm(session)
    mini = compile_questionnaire(load_questionnaire(MINI), "completo")
    base = compile_questionnaire(default_questionnaire(), "completo")
    for compiled, version in ((mini, "1.0"), (base, "2.0")):
        answers, sources = sample_answers(compiled, seed=1)
        meta = ("mismo_id", version, compiled.loaded.content_hash)
        assessment = start_assessment(session, firm.id, meta, "completo")
        save_answers(session, assessment.id, firm.id, answers, sources)
        result = score_assessment(compiled, answers, sources)
        submit(session, assessment.id, firm.id, result_summary(result))
        store_result_vector(session, assessment.id, compiled, result)
    session.commit()
    frame = load_results_frame(session, "mismo_id", "completo")
    assert frame["questionnaire_version"].astype(str).tolist() == ["1.0", "2.0"]
    assert not np.isnan(frame.loc[0, "preg_e1"]) and np.isnan(frame.loc[1, "preg_e1"])
    first_base_column = f"preg_{base.practice[0].id}"
    assert np.isnan(frame.loc[0, first_base_column]) and not np.isnan(
        frame.loc[1, first_base_column]
    )


def test_bulk_insert_matches_the_engine(engine: Engine, compiled) -> None:
    records = [(f"r{seed}", *sample_answers(compiled, seed=seed)) for seed in range(12)]
    encoded, _, _ = encode_frame(compiled, records_to_frame(records), strict_rows=False)
    scores = score_batch(compiled, encoded)
    firms = [
        {
            "ruc": f"2000000{i:03d}0",
            "razon_social": f"Empresa {i}",
            "ciiu_division": 10 + i % 3,
            "region": "Piura",
            "annual_sales": 1000,
            "sales_year": 2025,
            "size_class": "micro",
            "workers": 3,
            "email": f"e{i}@ejemplo.pe",
            "consent_share_sni": True,
            "consent_statistics": True,
            "is_demo": False,
            "created_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            "verified_at": dt.datetime(2025, 1, 2, tzinfo=dt.UTC),
        }
        for i in range(10)
    ]
    when = [dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=d) for d in range(12)]
    with engine.begin() as connection:
        ids = insert_firms(connection, firms)
        owners = ids + ids[:2]
        insert_scored(connection, ScoredBatch(compiled, scores, encoded.practice, owners, when))
    with Session(engine) as session:
        frame = load_results_frame(session, compiled.loaded.id, "completo")
    assert len(frame) == 12
    assert frame.groupby("firm_id").size().max() == 2
    by_id = frame.sort_values("assessment_id").reset_index(drop=True)
    np.testing.assert_allclose(by_id["global"], scores.overall, rtol=1e-6)


def test_cli_crear_personal(tmp_path, monkeypatch, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("BRUJULA_CLAVE_PERSONAL", "clave-segura-123")
    assert (
        cli.main(["crear-personal", "--correo", "Ana@SNI.org.pe", "--nombre", "Ana", "--url", url])
        == 0
    )
    assert "ana@sni.org.pe" in capsys.readouterr().out
    assert (
        cli.main(["crear-personal", "--correo", "ana@sni.org.pe", "--nombre", "Ana", "--url", url])
        == 1
    )
    assert "Ya existe" in capsys.readouterr().err
    monkeypatch.delenv("BRUJULA_CLAVE_PERSONAL")
    answers = iter(["clave-segura-123", "otra-clave-distinta"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert (
        cli.main(["crear-personal", "--correo", "b@sni.org.pe", "--nombre", "B", "--url", url]) == 1
    )
    assert "no coinciden" in capsys.readouterr().err
    short = iter(["corta", "corta"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(short))
    assert (
        cli.main(["crear-personal", "--correo", "c@sni.org.pe", "--nombre", "C", "--url", url]) == 1
    )
    assert "al menos" in capsys.readouterr().err


def test_demo_data(session: Session) -> None:
    from scoring.peru import ruc_error

    loaded = default_questionnaire()
    compiled = {d: compile_questionnaire(loaded, d) for d in ("expres", "completo")}
    summary = create_demo(session, compiled, firms=12, seed=5)
    session.commit()
    firms = list(session.scalars(select(Firm)))
    assert summary.firms == len(firms) == 12 and summary.assessments >= 12
    assert all(f.is_demo and f.razon_social.endswith("(DEMO)") for f in firms)
    assert all(ruc_error(f.ruc) is None and f.ruc.startswith("20") for f in firms)
    assert session.scalar(select(Account.id)) is None  # demo firms get no login
    rows = list(session.scalars(select(PanelRow)))
    assert len(rows) == summary.assessments and all(r.is_demo for r in rows)
    now = dt.datetime.now(dt.UTC)
    assert all(now - dt.timedelta(days=731) <= r.submitted_at <= now for r in rows)


def test_cli_demo(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert cli.main(["demo", "--empresas", "6", "--semilla", "3", "--url", url]) == 0
    assert "6 empresas" in capsys.readouterr().out
    assert cli.main(["demo", "--empresas", "4", "--url", url]) == 1  # never silently doubled
    assert "--reemplazar" in capsys.readouterr().err
    assert cli.main(["demo", "--empresas", "4", "--reemplazar", "--url", url]) == 0
    assert "Se borraron 6" in capsys.readouterr().out


def test_cli_staff_without_terminal_or_variable_says_what_to_do(tmp_path, capsys, monkeypatch):
    def no_terminal(prompt=""):
        raise EOFError

    monkeypatch.delenv("BRUJULA_CLAVE_PERSONAL", raising=False)
    monkeypatch.setattr(cli.getpass, "getpass", no_terminal)
    url = f"sqlite:///{tmp_path / 'personal.sqlite3'}"
    assert cli.main(["crear-personal", "--correo", "a@b.pe", "--nombre", "A", "--url", url]) == 1
    assert "BRUJULA_CLAVE_PERSONAL" in capsys.readouterr().err
