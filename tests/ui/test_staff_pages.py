"""SNI staff pages with AppTest: access, suppression, consent, audit and exports."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from scoring import compile_questionnaire, load_questionnaire, privacy, score_assessment
from scoring.aggregates import RESERVED_NOTE, Filters, dashboard
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.db import make_engine, migrate, session_scope
from storage.models import Assessment, AuditLog, Firm, PanelLayout, PanelRow, utcnow
from storage.results_table import load_results_frame, store_result_vector
from storage.staff import shared_assessments
from tests.ui.conftest import MINI
from tests.ui.helpers import logged_in, make_firm, make_staff, open_page, texts, valid_ruc
from ui.staff_exports import (
    aggregate_sheets,
    aggregates_csv,
    csv_bytes,
    firms_table,
    method_board,
    xlsx_bytes,
)
from ui.staff_labels import labels_for

STAFF_PAGES = (
    "ui/pages/staff_dashboard.py",
    "ui/pages/staff_firms.py",
    "ui/pages/staff_export.py",
)
TITLES = ("Panel SNI", "Empresas que comparten sus resultados", "Exportar datos")
REFUSED = "Esta página es solo para el equipo de SNI."


@pytest.fixture(autouse=True)
def _negligible_noise():
    """These tests check what the pages show; the noise itself is tested in
    tests/scoring/test_privacy.py and tests/storage/test_privacy_attacks.py. A huge ε makes
    every release equal to the true figure (rounded to the release's grid)."""
    huge = 1e6
    privacy.reset(privacy.PrivacyConfig(huge, huge, huge, 0.5, huge))
    yield
    privacy.reset()


def seed(url: str, count: int, first: int = 0, **overrides: object) -> list[int]:
    """``count`` firms (no login) each with one submitted Completo assessment of the mini form."""
    migrate(url)
    engine = make_engine(url)
    compiled = compile_questionnaire(load_questionnaire(MINI), "completo")
    ids = []
    with session_scope(engine) as database:
        for i in range(first, first + count):
            data = {
                "ruc": valid_ruc(f"205{i:07d}"),
                "razon_social": f"Empresa {i} S.A.C.",
                "ciiu_division": 10,
                "region": "Piura",
                "annual_sales": Decimal("500000"),
                "sales_year": 2025,
                "size_class": "micro",
                "workers": 5,
                "email": f"e{i}@ejemplo.pe",
                "consent_share_sni": True,
                "consent_statistics": True,
                "verified_at": utcnow(),  # issue 12: only verified firms count
            }
            data.update(overrides)
            firm = Firm(**data)
            database.add(firm)
            database.flush()
            _submit_one(database, compiled, firm.id, i)
            ids.append(firm.id)
    engine.dispose()
    return ids


def _submit_one(database, compiled, firm_id: int, i: int) -> None:
    """One submitted Completo assessment of the mini form for ``firm_id`` (answers from ``i``)."""
    loaded = compiled.loaded
    answers = {"e1": i % 5, "e2": (i + 2) % 5, "usa_agua": "si", "a1": 2}
    answers |= {"agua_total": 100.0, "agua_reusada": 10.0 * (i % 10)}
    sources = {"agua_total": "medido", "agua_reusada": "estimado"}
    meta = (loaded.id, loaded.version, loaded.content_hash)
    assessment = start_assessment(database, firm_id, meta, "completo")
    save_answers(database, assessment.id, firm_id, answers, sources)
    result = score_assessment(compiled, answers, sources)
    submit(database, assessment.id, firm_id, result_summary(result))
    store_result_vector(database, assessment.id, compiled, result)


def resubmit(url: str, firm_ids: list[int], first: int = 50) -> None:
    """A new submitted assessment for each of ``firm_ids`` (firms ``seed`` made)."""
    engine = make_engine(url)
    compiled = compile_questionnaire(load_questionnaire(MINI), "completo")
    with session_scope(engine) as database:
        for n, firm_id in enumerate(firm_ids):
            _submit_one(database, compiled, firm_id, first + n)
    engine.dispose()


def audit_actions(url: str) -> list[tuple[str, str, dict | None]]:
    engine = make_engine(url)
    with session_scope(engine) as database:
        rows = database.scalars(select(AuditLog).order_by(AuditLog.id))
        found = [(row.action, row.target, row.detail) for row in rows]
    engine.dispose()
    return found


def charts(at) -> list[dict]:
    """Chart specs, with the data Streamlit sends apart (Arrow) put back under ``values``."""
    specs = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        for part in ("text", "subtitle"):  # titles are wrapped into lines for phones
            spec["title"][part] = " ".join(spec["title"][part])
        spec["values"] = convert_arrow_bytes_to_pandas_df(chart.proto.data.data)
        specs.append(spec)
    return specs


# --- access ------------------------------------------------------------------------------------


def test_staff_lands_on_the_panel_and_opens_every_staff_page(app_env: str) -> None:
    seed(app_env, 6)
    token = make_staff(app_env)
    at = logged_in(token)
    assert not at.exception
    assert at.title[0].value == "Panel SNI"
    for page, title in zip(STAFF_PAGES, TITLES, strict=True):
        at = open_page(page, token)
        assert not at.exception, page
        assert at.title[0].value == title


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_firm_user_and_visitor_are_refused(app_env: str, page: str) -> None:
    seed(app_env, 6)
    firm_token = make_firm(app_env)
    at = open_page(page, firm_token)
    assert not at.exception
    assert REFUSED in [e.value for e in at.error]
    assert not any(t.value in TITLES for t in at.title)
    assert not at.get("vega_lite_chart") and not at.dataframe
    visitor = open_page(page)
    assert "Inicie sesión para continuar." in texts(visitor)
    assert not any(t.value in TITLES for t in visitor.title)
    assert not visitor.get("arrow_vega_lite_chart") and not visitor.dataframe


# --- dashboard ---------------------------------------------------------------------------------


def test_under_five_firms_nothing_is_shown(app_env: str) -> None:
    seed(app_env, 4)
    at = logged_in(make_staff(app_env))
    assert not at.exception
    assert any(RESERVED_NOTE in w.value for w in at.warning)
    assert not charts(at)
    assert [m.value for m in at.metric][0] == "menos de 5"


def test_dashboard_shows_charts_and_greys_small_sectors(app_env: str) -> None:
    seed(app_env, 6)
    seed(app_env, 2, first=10, ciiu_division=22)
    seed(app_env, 3, first=20, ciiu_division=31)
    seed(app_env, 3, first=30, consent_statistics=False)  # never counted
    at = logged_in(make_staff(app_env))
    assert not at.exception
    assert at.metric[0].value == "11"
    specs = charts(at)
    assert len(specs) >= 6
    for spec in specs:
        assert spec["title"]["text"]
    heat = next(s for s in specs if s["title"]["text"].startswith("Puntaje medio por sector"))
    assert RESERVED_NOTE in heat["title"]["subtitle"]
    cells = heat["values"]
    assert cells.loc[cells["sector"].str.startswith("22"), "reservado"].all()
    assert (cells.loc[cells["reservado"], "texto"] == "<5").all()
    assert cells.loc[cells["reservado"], "media"].isna().all()
    assert not cells.loc[cells["sector"].str.startswith("10"), "reservado"].any()
    captions = " ".join(c.value for c in at.caption)
    assert "Puntaje global más alto: 10 · Alimentos" in captions


def test_filter_down_to_a_small_group_hides_results(app_env: str) -> None:
    seed(app_env, 6)
    seed(app_env, 2, first=10, ciiu_division=22)
    at = logged_in(make_staff(app_env))
    at.selectbox(key="sni_sector").set_value("ciiu:22").run()
    assert not at.exception
    assert any(RESERVED_NOTE in w.value for w in at.warning)
    assert not charts(at)


# --- firms and consent -------------------------------------------------------------------------


def test_only_consenting_firms_are_listed_and_views_are_audited(app_env: str) -> None:
    sharing = seed(app_env, 2, razon_social="Comparte S.A.C.")
    hidden = seed(app_env, 1, first=10, consent_share_sni=False, razon_social="Reservada S.A.C.")
    token = make_staff(app_env)
    at = open_page("ui/pages/staff_firms.py", token)
    assert not at.exception
    listed = " ".join(at.selectbox(key="sni_empresa").options)
    assert "Comparte" in listed and "Reservada" not in listed
    assert "Reservada" not in at.dataframe[0].value.to_string()
    at.text_input(key="sni_buscar").input("Reservada").run()
    assert "No hay empresas" in texts(at)
    at.text_input(key="sni_buscar").input("").run()
    with pytest.raises(ValueError):  # not an option: a non-consenting firm cannot be chosen
        at.selectbox(key="sni_empresa").set_value(hidden[0]).run()
    at = open_page("ui/pages/staff_firms.py", token)
    at.selectbox(key="sni_empresa").set_value(sharing[0]).run()
    assert not at.exception
    assert at.subheader[0].value.replace("\\", "").replace("\u2060", "") == "Comparte S.A.C."
    at.run()  # a rerun of the same view is not logged twice
    views = [a for a in audit_actions(app_env) if a[0] == "ver_empresa"]
    assert views == [("ver_empresa", f"empresa:{sharing[0]}", views[0][2])]


def test_consenting_firm_reports_can_be_downloaded(app_env: str) -> None:
    firm_id = seed(app_env, 1)[0]
    at = open_page("ui/pages/staff_firms.py", make_staff(app_env))
    at.selectbox(key="sni_empresa").set_value(firm_id).run()
    assert not at.exception
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert labels == ["Informe PDF", "Datos en Excel", "Datos en JSON"]


# --- exports -----------------------------------------------------------------------------------


def test_export_page_records_each_export(app_env: str) -> None:
    seed(app_env, 6)
    at = open_page("ui/pages/staff_export.py", make_staff(app_env))
    assert not at.exception
    at.button(key="sni_prep_agregados").click().run()
    at.button(key="sni_prep_empresas_csv").click().run()
    assert not at.exception
    actions = [a for a in audit_actions(app_env) if a[0].startswith("exportacion")]
    assert [a[0] for a in actions] == ["exportacion_agregados", "exportacion_empresas"]
    assert "Evaluación Completa" in actions[0][2]["filtros"]
    assert "Evaluación Completa" in actions[1][2]["filtros"]


def test_exports_read_back_and_are_formula_safe(app_env: str) -> None:
    seed(app_env, 5, razon_social='=HYPERLINK("http://x")')
    seed(app_env, 1, first=10, razon_social="@SUMA(A1)", region="Lima Metropolitana")
    seed(app_env, 1, first=20, consent_share_sni=False, razon_social="Sin permiso")
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        shared = shared_assessments(database, questionnaire_id="mini", depth="completo")
        frame = load_results_frame(database, "mini", "completo")
    engine.dispose()
    table = firms_table(shared)
    back = pd.read_csv(io.BytesIO(csv_bytes(table)), encoding="utf-8-sig", dtype={"RUC": str})
    assert len(back) == 6 and "Sin permiso" not in back["Razón social"].tolist()
    assert back["Razón social"].str.startswith("'").all()
    assert back["Puntaje global"].dtype.kind == "f"  # numbers stay numbers
    assert back["RUC"].str.len().eq(11).all()
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"Empresas": table})))
    sheet = book["Empresas"]
    names = [cell.value for cell in sheet["B"][1:]]
    assert all(isinstance(v, str) and v.startswith("'") for v in names)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    compiled = compile_questionnaire(load_questionnaire(MINI), "completo")
    sheets = aggregate_sheets(dashboard(frame, Filters()), labels_for(compiled), "prueba")
    long = pd.read_csv(io.BytesIO(aggregates_csv(sheets)), encoding="utf-8-sig")
    assert set(long["tabla"]) >= {"Niveles", "Puntajes", "Sectores", "Indicadores"}
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(sheets)))
    assert "Sectores" in book.sheetnames and book["Puntajes"]["A1"].value == "Medida"


# --- method 2.0 and questionnaire versions -----------------------------------------------------

METODO2 = MINI.parent / "metodo2.yaml"


def seed_v2(
    url: str,
    count: int,
    first: int = 100,
    failing: int = 0,
    changes: dict | None = None,
    comments: dict | None = None,
    **overrides,
) -> list[int]:
    """``count`` firms with one method 2.0 result each; the first ``failing`` miss a floor item."""
    migrate(url)
    engine = make_engine(url)
    compiled = compile_questionnaire(load_questionnaire(METODO2), "completo")
    ids = []
    with session_scope(engine) as database:
        for n, i in enumerate(range(first, first + count)):
            firm = Firm(
                ruc=valid_ruc(f"206{i:07d}"),
                razon_social=f"Circular {i} S.A.C.",
                ciiu_division=10,
                region="Piura",
                annual_sales=Decimal("500000"),
                sales_year=2025,
                size_class="micro",
                workers=5,
                email=f"c{i}@ejemplo.pe",
                consent_share_sni=True,
                consent_statistics=True,
                **({"verified_at": utcnow()} | overrides),
            )
            database.add(firm)
            database.flush()
            answers = {
                "perfil_tamano": "micro",
                "perfil_agua_proceso": "si",
                "perfil_peligrosos": ["aceites_usados"],
                "piso_iga": "si",
                "piso_manifiestos": "no" if n < failing else "si",
                "agua_medicion": 3,
                "agua_reuso": "no_se" if n % 2 else 2,
                "res_segregacion": 2 + n % 3,
                "res_valorizacion": 3,
                "est_metas": 1,
                "masa_total": 1000.0,
                "masa_circular": 100.0 * (n + 1),
                "sst_mejora": 1,
            }
            answers.update(changes or {})
            sources = {"masa_total": "medido", "masa_circular": "estimado"}
            # The loaded questionnaire: start_assessment archives it, so staff pages name it.
            assessment = start_assessment(database, firm.id, compiled.loaded, "completo")
            save_answers(database, assessment.id, firm.id, answers, sources, comments=comments)
            scored = dict(answers, **{f"{q}__motivo": c for q, c in (comments or {}).items()})
            result = score_assessment(compiled, scored, sources)
            submit(database, assessment.id, firm.id, result_summary(result))
            store_result_vector(database, assessment.id, compiled, result)
            ids.append(firm.id)
    engine.dispose()
    return ids


def _panel_for(at, questionnaire_id: str):
    at.selectbox(key="sni_cuestionario").set_value(questionnaire_id).run()
    assert not at.exception
    return at


def test_method2_panel_shows_floor_indices_band_and_provisional(app_env: str) -> None:
    seed(app_env, 6)
    seed_v2(app_env, 10, failing=5)
    at = logged_in(make_staff(app_env))
    assert "metodo2_prueba" in at.selectbox(key="sni_cuestionario").options
    at = _panel_for(at, "metodo2_prueba")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Empresas"] == "10"  # the mini questionnaire's firms are not mixed in
    assert metrics["Cumplen el piso legal"] == "50 %"
    assert "Resultados provisionales" in metrics
    tables = [t.value for t in at.table]
    failing = next(t for t in tables if "Requisito" in t.columns)
    assert failing.iloc[0]["Empresas que no cumplen"] == "5"
    titles = [s["title"]["text"] for s in charts(at)]
    assert "Puntaje medio por índice" in titles
    assert any(t.startswith("Banda del puntaje principal") for t in titles)


def test_method2_floor_items_under_five_are_reserved(app_env: str) -> None:
    seed_v2(app_env, 7, failing=2)
    at = _panel_for(logged_in(make_staff(app_env)), "metodo2_prueba")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cumplen el piso legal"] == "reservado"  # 2 failing firms: a small cell
    failing = next(t.value for t in at.table if "Requisito" in t.value.columns)
    assert "reservado" in failing["Empresas que no cumplen"].tolist()
    assert "2" not in failing["Empresas que no cumplen"].tolist()


def test_staff_panel_lists_stored_versions_and_never_mixes_them(app_env: str) -> None:
    seed(app_env, 6)
    # Results of an earlier content of the same questionnaire id (stored, no longer served).
    seed(app_env, 5, first=40, ciiu_division=31)
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        layout = database.scalars(select(PanelLayout)).one()
        database.add(
            PanelLayout(
                questionnaire_hash="sha256:anterior",
                depth="completo",
                vector_format=layout.vector_format,
                columns=layout.columns,
            )
        )
        older = database.scalars(select(PanelRow).where(PanelRow.ciiu_division == 31)).all()
        for row in older:
            row.questionnaire_hash, row.questionnaire_version = "sha256:anterior", "0.9.0"
            database.get_one(Assessment, row.assessment_id).questionnaire_hash = "sha256:anterior"
    engine.dispose()
    at = logged_in(make_staff(app_env))
    versions = at.selectbox(key="sni_version")
    assert len(versions.options) == 2
    assert at.metric[0].value == "6"
    versions.set_value("sha256:anterior").run()
    assert not at.exception
    assert at.metric[0].value == "5"
    assert "versión 0.9.0" in " ".join(c.value for c in at.caption)


def test_method2_exports_per_firm_and_aggregates(app_env: str) -> None:
    seed_v2(app_env, 6, failing=1)
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        shared = shared_assessments(database, questionnaire_id="metodo2_prueba", with_detail=True)
        frame = load_results_frame(database, "metodo2_prueba", "completo")
    engine.dispose()
    table = firms_table(shared)
    columns = set(table.columns)
    assert {"Nivel", "Provisional", "Cumple el piso legal", "Nivel limitado por el piso legal"} <= (
        columns
    )
    assert any(c.startswith("Piso legal: ¿Entrega sus residuos") for c in columns)
    assert any(c.endswith("· frontera") for c in columns)
    assert any(c.endswith("· fuente") for c in columns)
    assert any(c.startswith("Índice") and c.endswith("· sin «No sé»") for c in columns)
    assert sorted(table["Cumple el piso legal"]) == ["no"] + ["sí"] * 5
    compiled = compile_questionnaire(load_questionnaire(METODO2), "completo")
    method = method_board(frame, Filters())
    sheets = aggregate_sheets(dashboard(frame, Filters()), labels_for(compiled), "x", method)
    assert {"Piso legal", "Requisitos incumplidos", "Provisionales", "Índices"} <= set(sheets)
    floor = sheets["Piso legal"]
    assert floor["Reservado"].tolist() == ["sí", "sí"]  # one failing firm: both cells reserved
    assert floor["Empresas"].isna().all()
    assert sheets["Índices"]["Empresas"].tolist() == [6.0] * len(sheets["Índices"])
    back = pd.read_csv(io.BytesIO(csv_bytes(table)), encoding="utf-8-sig")
    assert len(back) == 6


def test_staff_detail_shows_declared_not_applicable_reasons(app_env: str) -> None:
    reason = "Solo ensamblamos; no generamos residuos valorizables."
    firm_id = seed_v2(
        app_env,
        1,
        first=300,
        changes={"res_valorizacion": "no_aplica"},
        comments={"res_valorizacion": reason},
    )[0]
    at = open_page("ui/pages/staff_firms.py", make_staff(app_env))
    at.selectbox(key="sni_empresa").set_value(firm_id).run()
    assert not at.exception
    reasons = [d.value for d in at.dataframe if "Motivo de la empresa" in d.value.columns]
    assert reasons and list(reasons[0]["Motivo de la empresa"]) == [reason]
    assert list(reasons[0]["Pregunta"]) == ["¿Valoriza sus residuos?"]


# --- fixed partitions, demo mode and protected exports (issue 12) -----------------------------


def test_filters_offer_only_fixed_periods_and_sectors(app_env: str) -> None:
    seed(app_env, 6)
    at = logged_in(make_staff(app_env))
    assert not at.exception
    assert not at.get("date_input") and not at.multiselect  # no free range, no multi-select
    periods = at.selectbox(key="sni_periodo").options
    assert periods[0] == "Todo el periodo"
    year = dt.datetime.now(dt.UTC).year  # seeded now
    assert f"Año {year}" in periods and f"3.er trimestre (jul–sep) {year}" in periods
    assert len(periods) == 1 + 5 * len({p.split()[-1] for p in periods[1:]})
    sectors = at.selectbox(key="sni_sector").options
    assert sectors[0] == "Todos los sectores"
    assert "Alimentos y bebidas (CIIU 10–12)" in sectors
    assert "CIIU 10 · Alimentos" in sectors
    at.selectbox(key="sni_sector").set_value("grupo:alimentos").run()
    assert not at.exception
    assert at.metric[0].value == "6"
    assert "Alimentos y bebidas (CIIU 10–12)" in " ".join(c.value for c in at.caption)


def test_a_crafted_filter_is_refused_on_the_server_side() -> None:
    frame = pd.DataFrame({"firm_id": [], "submitted_at": []})
    for crafted in (
        Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 14)),  # free date range
        Filters(ciiu=(10, 22)),  # an arbitrary set of sectors
        Filters(sizes=("micro", "pequena")),
    ):
        with pytest.raises(ValueError):
            dashboard(frame, crafted)
        with pytest.raises(ValueError):
            method_board(frame, crafted)


def test_demo_firms_show_in_demo_mode_only(app_env: str) -> None:
    seed(app_env, 6, is_demo=True, verified_at=None)  # demo firms are never verified
    token = make_staff(app_env)
    at = logged_in(token)
    assert not at.exception
    assert at.checkbox(key="sni_demo").value  # only demo data: demo mode by default
    assert at.metric[0].value == "6"
    seed(app_env, 5, first=50)  # real, verified firms
    seed(app_env, 3, first=60, verified_at=None)  # real, not verified: never counted
    at = logged_in(token)
    assert not at.checkbox(key="sni_demo").value
    assert at.metric[0].value == "5"
    at.checkbox(key="sni_demo").check().run()
    assert at.metric[0].value == "11"


def test_aggregate_exports_carry_the_dashboards_protected_values(app_env: str) -> None:
    privacy.reset()  # the configured ε: real noise
    seed_v2(app_env, 7, failing=2)
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        frame = load_results_frame(database, "metodo2_prueba", "completo")
    engine.dispose()
    compiled = compile_questionnaire(load_questionnaire(METODO2), "completo")
    board, method = dashboard(frame, Filters()), method_board(frame, Filters())
    exact = method_board(frame, Filters(), exact=True)
    sheets = aggregate_sheets(dashboard(frame, Filters()), labels_for(compiled), "x", method)
    # The same releases as the panel (noise drawn once per statistic and data)…
    assert sheets["Puntajes"]["Media (0-100)"].tolist() == board.scores["media"].tolist()
    again = method_board(frame, Filters())
    assert sheets["Índices"]["Media (0-100)"].tolist() == again.indices["media"].tolist()
    # …never the full-precision figures of the cut.
    noisy, true = method.indices["media"].to_numpy(), exact.indices["media"].to_numpy()
    assert (abs(noisy - true) > 1e-9).all()
    exact_board = dashboard(frame, Filters(), exact=True)
    assert (abs(board.scores["media"] - exact_board.scores["media"]) > 1e-9).any()
    # Small cells stay reserved (2 failing firms), with or without noise.
    assert sheets["Piso legal"]["Empresas"].isna().all()


@pytest.mark.parametrize(
    "page",
    ["ui/pages/staff_dashboard.py", "ui/pages/staff_firms.py", "ui/pages/staff_export.py"],
)
def test_staff_pages_hide_the_table_toolbar(app_env: str, page: str) -> None:
    seed(app_env, 5)
    at = open_page(page, make_staff(app_env))
    assert not at.exception
    styles = [str(e.proto) for e in at.get("html")]
    assert any("stElementToolbar" in s and "display:none" in s for s in styles)


def test_a_big_panel_shows_its_figures_while_new_submissions_are_summed(
    app_env: str, monkeypatch
) -> None:
    """Issue 11: above ``BACKGROUND_FROM_ROWS`` assessments a new submission is summed in the
    background; the page shows the installed figures and says so, then the new ones."""
    from ui import staff

    monkeypatch.setattr(staff, "BACKGROUND_FROM_ROWS", 1)
    seed(app_env, 6)
    token = make_staff(app_env)
    at = logged_in(token)
    assert not at.exception
    assert at.metric[0].value == "6"
    seed(app_env, 3, first=40)
    at.run()
    assert not at.exception
    assert at.metric[0].value == "6"  # the installed figures, at once
    assert any("se están sumando" in c.value for c in at.caption)
    for thread in threading.enumerate():
        if thread.name in ("panel-update", "panel-years"):
            thread.join(timeout=60)
    at.run()
    assert not at.exception
    assert at.metric[0].value == "9"
    assert not any("se están sumando" in c.value for c in at.caption)


def test_a_failed_background_update_keeps_the_figures_and_says_so(
    app_env: str, monkeypatch
) -> None:
    from ui import staff

    monkeypatch.setattr(staff, "BACKGROUND_FROM_ROWS", 1)
    seed(app_env, 6)
    at = logged_in(make_staff(app_env))
    assert at.metric[0].value == "6"

    def broken(frame):
        raise RuntimeError("falla simulada")

    monkeypatch.setattr(staff, "PanelCube", broken)
    seed(app_env, 3, first=40)
    at.run()
    for thread in threading.enumerate():
        if thread.name == "panel-update":
            thread.join(timeout=60)
    at.run()
    assert not at.exception
    assert at.metric[0].value == "6"  # the installed figures stay
    assert any("No pudimos sumar" in w.value for w in at.warning)


def _join(*names: str) -> None:
    for thread in threading.enumerate():
        if thread.name in names:
            thread.join(timeout=60)


def test_a_fresh_process_shows_the_saved_cube_while_it_reads_the_rows(
    app_env: str, monkeypatch
) -> None:
    """Issue 11: a process that built the cube saves it; a fresh process (caches emptied)
    shows the first view from it before the rows are read, and builds any other period once
    they are attached."""
    import streamlit as st

    from ui import staff

    monkeypatch.setattr(staff, "SAVE_FROM_ROWS", 1)
    seed(app_env, 6)
    token = make_staff(app_env)
    at = logged_in(token)
    assert at.metric[0].value == "6"
    _join("panel-years")  # the years, then the save
    st.cache_resource.clear()  # a fresh process

    real = staff.as_frame
    gate = threading.Event()
    readers: list[str] = []

    def slow(*args, **kwargs):
        readers.append(threading.current_thread().name)
        gate.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(staff, "as_frame", slow)
    at = logged_in(token)
    assert not at.exception
    assert at.metric[0].value == "6"  # shown while the rows are still being read
    assert set(readers) <= {"panel-rows"}
    gate.set()
    _join("panel-rows", "panel-years")
    at.selectbox(key="sni_periodo").set_value(str(dt.datetime.now(staff.LIMA).year)).run()
    assert not at.exception
    assert at.metric[0].value == "6"
    assert readers == ["panel-rows"]  # the rows read once, in the background


def _saved_then_more(
    app_env: str, monkeypatch, big: bool, firms: int = 6, between=None, again: bool = False
) -> tuple[AppTest, str]:
    """``firms`` firms, a cube saved from them, 3 more submissions (of 3 new firms, or with
    ``again`` of 3 of those firms) and ``between``, called then; the staff panel opened by a
    fresh process (caches emptied). ``big``: the panel is above ``BACKGROUND_FROM_ROWS``."""
    import streamlit as st

    from ui import staff

    monkeypatch.setattr(staff, "SAVE_FROM_ROWS", 1)
    if big:
        monkeypatch.setattr(staff, "BACKGROUND_FROM_ROWS", 1)
    seeded = seed(app_env, firms)
    token = make_staff(app_env)
    assert logged_in(token).metric[0].value == str(firms)
    _join("panel-years")
    if again:
        resubmit(app_env, seeded[:3])
    else:
        seed(app_env, 3, first=40)
    if between is not None:
        between()
    st.cache_resource.clear()
    at = logged_in(token)
    assert not at.exception
    return at, token


def _summing(at: AppTest) -> bool:
    return any("se están sumando" in c.value for c in at.caption)


@pytest.mark.parametrize("big", [False, True])
def test_a_saved_cube_of_an_older_data_version_is_not_shown(
    app_env: str, monkeypatch, big: bool
) -> None:
    """Three new firms submitted (verified: the counted firms changed) after the cube was
    saved: a fresh process builds the cube from the rows (in the run) instead of showing
    figures that miss them, on a small panel and on a big one (the same counter moves when a
    firm stops counting)."""
    at, _ = _saved_then_more(app_env, monkeypatch, big=big)
    assert at.metric[0].value == "9"
    assert not _summing(at)


def test_a_big_panel_shows_an_older_saved_cube_while_it_sums_the_newer_submissions(
    app_env: str, monkeypatch
) -> None:
    """Issue 11: firms that count submitted again after the cube was saved. On a big panel a
    fresh process shows the saved figures at once, says they are being brought up to date,
    and then shows all."""
    at, _ = _saved_then_more(app_env, monkeypatch, big=True, again=True)
    submitted = [m for m in at.metric if m.label == "Evaluaciones enviadas"]
    assert submitted[0].value == "6"  # the saved figures, at once
    assert _summing(at)
    _join("panel-rows", "panel-update", "panel-years")
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric if m.label == "Evaluaciones enviadas"] == ["9"]
    assert not _summing(at)


def test_an_older_saved_cube_is_not_shown_after_a_firm_stops_counting(
    app_env: str, monkeypatch
) -> None:
    """A firm withdrew its consent to statistics after the cube was saved: its figures are not
    shown again, not even for a moment."""
    from sqlalchemy import update

    def withdraw() -> None:
        with session_scope(make_engine(app_env)) as database:
            database.execute(
                update(Firm)
                .where(Firm.razon_social == "Empresa 0 S.A.C.")
                .values(consent_statistics=False)
            )

    at, _ = _saved_then_more(app_env, monkeypatch, big=True, firms=7, between=withdraw, again=True)
    assert at.metric[0].value == "6"
    assert not _summing(at)


def test_the_replaced_cube_is_let_go_at_once(app_env: str, monkeypatch) -> None:
    """The server runs without Streamlit's collection after each run, and a page's globals
    sit in reference cycles: they hold the cube weakly, so a replaced cube and its rows are
    freed at once (at a million assessments, 490 MB that otherwise stayed until the next
    automatic full collection)."""
    import gc
    import weakref

    from scoring.panel_cube import PanelCube
    from ui import staff

    built: list[weakref.ref] = []

    class Recorded(PanelCube):
        def __init__(self, frame) -> None:
            super().__init__(frame)
            built.append(weakref.ref(self))

    monkeypatch.setattr(staff, "PanelCube", Recorded)
    monkeypatch.setattr(staff, "BACKGROUND_FROM_ROWS", 1)
    seed(app_env, 6)
    at = logged_in(make_staff(app_env))
    _join("panel-years")
    seed(app_env, 3, first=40)
    gc.disable()  # freed by reference counting, not by a collection
    try:
        at.run()
        _join("panel-update", "panel-years")
        at.run()
        assert at.metric[0].value == "9"
        assert len(built) == 2
        assert built[0]() is None  # the first cube is gone
        assert built[1]() is not None
    finally:
        gc.enable()


@pytest.mark.parametrize("background", [False, True])
def test_a_saved_cube_whose_rows_fail_is_replaced_on_a_later_run(
    app_env: str, monkeypatch, background: bool
) -> None:
    """Reading the rows of a saved cube fails: the first view still shows, and a later run
    builds a cube with rows (in the run, or in the background on a big panel), so a year can
    be chosen (not a cube without rows forever)."""
    import streamlit as st

    from ui import staff

    monkeypatch.setattr(staff, "SAVE_FROM_ROWS", 1)
    if background:
        monkeypatch.setattr(staff, "BACKGROUND_FROM_ROWS", 1)
        monkeypatch.setattr(staff, "RETRY_SECONDS", 0)
    seed(app_env, 6)
    token = make_staff(app_env)
    assert logged_in(token).metric[0].value == "6"
    _join("panel-years")
    st.cache_resource.clear()
    real = staff.as_frame

    def broken(*args, **kwargs):
        raise RuntimeError("falla simulada")

    monkeypatch.setattr(staff, "as_frame", broken)
    at = logged_in(token)
    assert at.metric[0].value == "6"  # from the saved cube
    _join("panel-rows")
    monkeypatch.setattr(staff, "as_frame", real)
    at.run()
    assert at.metric[0].value == "6"
    _join("panel-update", "panel-years")
    at.selectbox(key="sni_periodo").set_value(str(dt.datetime.now(staff.LIMA).year)).run()
    assert not at.exception
    assert at.metric[0].value == "6"
    assert not any("preparando" in i.value for i in at.info)
