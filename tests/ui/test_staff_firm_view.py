"""«Empresas que comparten»: a row of the list opens its firm, two assessments sent the same day
are told apart by their Lima time, and the firm's notes and evidence are shown to staff."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from scoring import compile_questionnaire, load_questionnaire, score_assessment
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.db import make_engine, session_scope
from storage.models import Assessment
from tests.ui.conftest import MINI
from tests.ui.helpers import make_staff, open_page
from tests.ui.test_staff_pages import seed
from ui import widgets

PAGE = "ui/pages/staff_firms.py"


def _second_assessment(url: str, firm_id: int, comments: dict[str, str] | None = None) -> list:
    """Another submitted Completo assessment of the firm; then both are dated the same Lima day,
    at 09:05 and 16:40. Returns their ids, oldest first."""
    engine = make_engine(url)
    compiled = compile_questionnaire(load_questionnaire(MINI), "completo")
    loaded = compiled.loaded
    answers = {"e1": 3, "e2": 1, "usa_agua": "si", "a1": 2, "agua_total": 90.0}
    with session_scope(engine) as database:
        meta = (loaded.id, loaded.version, loaded.content_hash)
        assessment = start_assessment(database, firm_id, meta, "completo")
        save_answers(database, assessment.id, firm_id, answers, {}, comments=comments)
        submit(
            database, assessment.id, firm_id, result_summary(score_assessment(compiled, answers))
        )
        rows = database.scalars(
            select(Assessment).where(Assessment.firm_id == firm_id).order_by(Assessment.id)
        ).all()
        rows[0].submitted_at = dt.datetime(2026, 5, 4, 14, 5, tzinfo=dt.UTC)  # 09:05 in Lima
        rows[1].submitted_at = dt.datetime(2026, 5, 4, 21, 40, tzinfo=dt.UTC)  # 16:40 in Lima
        ids = [row.id for row in rows]
    engine.dispose()
    return ids


def _open(url: str, firm_id: int):
    at = open_page(PAGE, make_staff(url))
    at.selectbox(key="sni_empresa").set_value(firm_id).run()
    assert not at.exception
    return at


def test_same_day_assessments_show_their_time(app_env: str) -> None:
    firm_id = seed(app_env, 1)[0]
    _second_assessment(app_env, firm_id)
    at = _open(app_env, firm_id)
    history = at.dataframe[1].value
    assert list(history["Enviada"]) == ["4 de mayo de 2026, 16:40 h", "4 de mayo de 2026, 09:05 h"]
    options = at.selectbox(key="sni_informe_eval").options
    assert options == [
        "4 de mayo de 2026, 16:40 h · Completo",
        "4 de mayo de 2026, 09:05 h · Completo",
    ]


def test_staff_see_the_firms_notes(app_env: str) -> None:
    firm_id = seed(app_env, 1)[0]
    note = "Boletas de chatarra **2025** [archivo](http://x.pe) :material/home:"
    first, _ = _second_assessment(app_env, firm_id, comments={"e1": note})
    at = _open(app_env, firm_id)
    notes = [t for t in at.markdown if "Notas y evidencias" in t.value]
    assert notes
    table = at.table[-1].value
    assert list(table["Nota o evidencia"]) == [widgets.plain(note)]  # shown literally
    # The other assessment has no notes, and says so.
    at.selectbox(key="sni_informe_eval").set_value(first).run()
    assert not [t for t in at.markdown if "Notas y evidencias" in t.value]
    assert any("no dejó notas" in c.value for c in at.caption)


def test_a_row_of_the_list_opens_its_firm(app_env: str) -> None:
    ids = seed(app_env, 3)
    at = open_page(PAGE, make_staff(app_env))
    assert at.selectbox(key="sni_empresa").value is None
    listed = at.dataframe[0].value
    row = list(listed["RUC"]).index(listed["RUC"].iloc[1])
    at.session_state["sni_empresas_tabla_0_"] = {
        "selection": {"rows": [row], "columns": [], "cells": []}
    }
    at.run()
    assert not at.exception
    assert at.selectbox(key="sni_empresa").value in ids
    assert at.subheader[0].value.replace("\\", "").replace("\u2060", "") == listed[
        "Razón social"
    ].iloc[row].replace("\\", "")
    # A click on a cell (not the row's checkbox) opens its row's firm too.
    cell = 2 if row != 2 else 0
    at.session_state["sni_empresas_tabla_0_"] = {
        "selection": {"rows": [], "columns": [], "cells": [[cell, "RUC"]]}
    }
    at.run()
    assert not at.exception
    assert at.subheader[0].value.replace("\\", "").replace("\u2060", "") == listed[
        "Razón social"
    ].iloc[cell].replace("\\", "")
    # Choosing another firm in the list below wins over the row still ticked.
    other = next(i for i in ids if i != at.selectbox(key="sni_empresa").value)
    at.selectbox(key="sni_empresa").set_value(other).run()
    assert at.selectbox(key="sni_empresa").value == other
