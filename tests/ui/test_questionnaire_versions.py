"""A new questionnaire file does not strand older assessments: drafts continue on the version
they were started with, and earlier results still render and download (archived by hash)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select, update

from scoring import compile_questionnaire, load_questionnaire, score_assessment
from storage.assessments import (
    load_answers,
    result_summary,
    save_answers,
    start_assessment,
    submit,
)
from storage.db import make_engine, session_scope
from storage.models import Assessment, PanelRow, Result
from storage.questionnaires import source_for_hash
from storage.results_table import store_result_vector
from tests.ui.conftest import MINI
from tests.ui.helpers import firm_id_for, logged_in, make_firm, make_staff, open_page, texts
from ui.widgets import widget_key

FILL = "ui/pages/fill.py"
REVIEW = "ui/pages/review.py"
RESULTS = "ui/pages/results.py"
STAFF_FIRMS = "ui/pages/staff_firms.py"
DOWNLOADS = ["Informe PDF", "Datos en Excel", "Datos en JSON"]
OLD_TEXT = "¿Tiene estrategia?"
NEW_TEXT = "¿Tiene una estrategia escrita?"
# A required practice question in both depths: a draft scored with the new version would lack it.
NEW_QUESTION = """\
          - id: e3
            tipo: practica
            texto: ¿Mide sus residuos?
            ruta: R1
            profundidades: [expres, completo]
            niveles: *niveles
"""


def _db(url: str):
    return session_scope(make_engine(url))


def _publish_new_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Edit the questionnaire as a methodologist would (new version, a changed text and a new
    question) and point the app at it; returns the new content hash."""
    text = MINI.read_text(encoding="utf-8")
    changed = (
        text.replace('version: "1.0"', 'version: "1.1"', 1)
        .replace(OLD_TEXT, NEW_TEXT, 1)
        .replace("  - id: ambiental\n", NEW_QUESTION + "  - id: ambiental\n", 1)
    )
    path = tmp_path / "mini_1_1.yaml"
    path.write_text(changed, encoding="utf-8")
    monkeypatch.setenv("BRUJULA_CUESTIONARIO", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()  # as after a restart: only the database remembers version 1.0
    loaded = load_questionnaire(path)
    assert loaded.version == "1.1" and loaded.content_hash != load_questionnaire(MINI).content_hash
    return loaded.content_hash


def _shown(at) -> str:
    return texts(at) + "\n" + "\n".join(str(r.label) for r in at.radio)


def test_a_draft_continues_saves_and_submits_on_its_own_version(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    at = logged_in(token)
    at.button(key="start_expres").click().run()
    assert not at.exception, at.exception
    param = at.query_params["evaluacion"]
    aid = int(param[0] if isinstance(param, list) else param)
    at.radio(key=widget_key(aid, "e1")).set_value(2).run()
    old_hash = load_questionnaire(MINI).content_hash

    new_hash = _publish_new_version(tmp_path, monkeypatch)

    fill = open_page(FILL, token, evaluacion=str(aid))
    assert not fill.exception, fill.exception
    assert not fill.error
    assert OLD_TEXT in _shown(fill) and NEW_TEXT not in _shown(fill)
    assert widget_key(aid, "e3") not in [r.key for r in fill.radio]
    assert fill.radio(key=widget_key(aid, "e1")).value == 2
    fill.radio(key=widget_key(aid, "e1")).set_value(4).run()
    fill.button(key=f"next_{aid}").click().run()
    fill.radio(key=widget_key(aid, "usa_agua")).set_value("si").run()
    fill.radio(key=widget_key(aid, "a1")).set_value(2).run()
    assert not fill.exception, fill.exception
    with _db(app_env) as database:
        answers, _ = load_answers(database, aid, firm_id)
    assert answers == {"e1": 4, "usa_agua": "si", "a1": 2}

    review = open_page(REVIEW, token, evaluacion=str(aid))
    assert not review.exception, review.exception
    assert "Todas las preguntas obligatorias tienen respuesta." in texts(review)
    review.button(key="submit_open").click().run()
    review.button(key="submit_confirm").click().run()
    assert not review.exception, review.exception
    assert review.title[0].value == "Resultados de su evaluación"
    assert [b.proto.label for b in review.get("download_button")] == DOWNLOADS
    assert "versión 1.0" in texts(review)
    with _db(app_env) as database:
        assessment = database.get(Assessment, aid)
        assert assessment.status == "enviada" and assessment.questionnaire_hash == old_hash
        result = database.scalar(select(Result).where(Result.assessment_id == aid))
        assert result.detail_json["cuestionario_hash"] == old_hash
        panel = database.get(PanelRow, aid)
        assert panel is not None and panel.questionnaire_hash == old_hash

    # A new assessment, though, uses the file as it is now.
    dashboard = logged_in(token)
    dashboard.button(key="start_completo").click().run()
    assert not dashboard.exception, dashboard.exception
    assert NEW_TEXT in _shown(dashboard)
    with _db(app_env) as database:
        newest = database.scalar(select(Assessment).order_by(Assessment.id.desc()).limit(1))
        assert newest.id != aid and newest.questionnaire_hash == new_hash
        assert newest.questionnaire_version == "1.1"


def test_drafts_from_before_the_archive_are_kept_once_the_app_serves_their_version(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    loaded = load_questionnaire(MINI)
    with _db(app_env) as database:  # started as before migration 0003: nothing archived
        meta = (loaded.id, loaded.version, loaded.content_hash)
        aid = start_assessment(database, firm_id, meta, "expres").id
        assert source_for_hash(database, loaded.content_hash) is None
    at = logged_in(token)  # the app archives the version it serves
    assert not at.exception, at.exception
    with _db(app_env) as database:
        assert source_for_hash(database, loaded.content_hash) == loaded.source

    _publish_new_version(tmp_path, monkeypatch)
    fill = open_page(FILL, token, evaluacion=str(aid))
    assert not fill.exception, fill.exception
    assert not fill.error
    assert OLD_TEXT in _shown(fill) and NEW_TEXT not in _shown(fill)


def _submitted_on_old_version(url: str, firm_id: int, keep_detail: bool = True) -> int:
    loaded = load_questionnaire(MINI)
    compiled = compile_questionnaire(loaded, "completo")
    answers = {"e1": 2, "e2": 1, "usa_agua": "si", "a1": 3, "agua_total": 100, "agua_reusada": 30}
    sources = {"agua_total": "medido", "agua_reusada": "estimado"}
    with _db(url) as database:
        assessment = start_assessment(database, firm_id, loaded, "completo")  # archives 1.0
        save_answers(database, assessment.id, firm_id, answers, sources)
        result = score_assessment(compiled, answers, sources)
        submit(database, assessment.id, firm_id, result_summary(result))
        store_result_vector(database, assessment.id, compiled, result)
        if not keep_detail:  # an older row without the detail: the page must re-score it
            database.execute(
                update(Result).where(Result.assessment_id == assessment.id).values(detail_json={})
            )
        return assessment.id


@pytest.mark.parametrize("keep_detail", [True, False], ids=["guardado", "recalculado"])
def test_results_of_an_older_version_render_and_download(
    app_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_detail: bool
) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    aid = _submitted_on_old_version(app_env, firm_id, keep_detail)
    _publish_new_version(tmp_path, monkeypatch)

    at = open_page(RESULTS, token, evaluacion=str(aid))
    assert not at.exception, at.exception
    assert not at.error
    shown = texts(at)
    assert "Las descargas no están disponibles" not in shown
    assert [b.proto.label for b in at.get("download_button")] == DOWNLOADS
    assert "versión 1.0" in shown
    expected = "guardado al enviar" if keep_detail else "recalculado a partir de sus respuestas"
    assert expected in shown

    staff = open_page(STAFF_FIRMS, make_staff(app_env))
    staff.selectbox(key="sni_empresa").set_value(firm_id).run()
    assert not staff.exception, staff.exception
    assert [b.proto.label for b in staff.get("download_button")] == DOWNLOADS


def test_an_unknown_version_is_explained(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    with _db(app_env) as database:
        draft = start_assessment(database, firm_id, ("mini", "0.9", "f" * 64), "expres")
        aid = draft.id
    for page in (FILL, REVIEW):
        at = open_page(page, token, evaluacion=str(aid))
        assert not at.exception, at.exception
        assert "No encontramos la versión del cuestionario" in at.error[0].value
        assert not at.radio and "submit_open" not in [b.key for b in at.button]
